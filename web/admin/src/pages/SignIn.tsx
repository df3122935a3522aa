import { useEffect, useState } from 'preact/hooks';
import { t } from '../../../shared/i18n';
import { Button, ErrorRegion, InlineAlert, PasswordField, TextField } from '../../../shared/components';
import type { AlertKind } from '../../../shared/components';
import { post, problemText } from '../api';
import type { Session } from '../api';

export interface Notice {
  kind: AlertKind;
  title?: string;
  text: string;
}

// Password and second factor in one form. At the first sign-in the code is left empty.
export function SignIn({ notice, onSignedIn }:
  { notice: Notice | null; onSignedIn: (s: Session) => void }) {
  const [jid, setJid] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    document.getElementById('signin-jid')?.focus();
  }, []);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    if (!jid.trim() || !password) {
      setError(t('signIn.missing'));
      return;
    }
    setBusy(true);
    setError(null);
    const body: Record<string, string> = { jid: jid.trim(), password };
    const second = code.replace(/\s+/g, '');
    if (second) body.code = second;
    try {
      const s = await post<Session>('/api/v1/session', body, { expect401: true });
      onSignedIn(s);
    } catch (err) {
      setError(problemText(err));
      setBusy(false);
      setPassword('');
      setCode('');
    }
  };

  return (
    <main id="main" tabIndex={-1} class="app-main app-main--narrow">
      <div class="card signin">
        <h1 class="rp-page-heading">{t('signIn.title')}</h1>
        <p class="lead">{t('signIn.intro')}</p>
        {notice && (
          <InlineAlert kind={notice.kind} title={notice.title}>{notice.text}</InlineAlert>
        )}
        <ErrorRegion error={error} title={t('signIn.failed')} />
        <form class="form" onSubmit={submit} noValidate>
          <TextField id="signin-jid" label={t('signIn.jid')} hint={t('signIn.jidHint')}
                     name="jid" type="text" autocomplete="username" inputMode="email"
                     spellcheck={false} autocapitalize="off" required
                     value={jid} onValue={setJid} />
          <PasswordField id="signin-password" label={t('signIn.password')} name="password"
                         autocomplete="current-password" required
                         value={password} onValue={setPassword} />
          <TextField id="signin-code" label={t('signIn.code')} hint={t('signIn.codeHint')}
                     name="code" autocomplete="one-time-code" spellcheck={false}
                     autocapitalize="off" value={code} onValue={setCode} />
          <Button type="submit" variant="primary" busy={busy}>
            {busy ? t('signIn.signingIn') : t('signIn.submit')}
          </Button>
        </form>
      </div>
    </main>
  );
}
