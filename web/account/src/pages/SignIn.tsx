import { useEffect, useState } from 'preact/hooks';
import { t } from '../../../shared/i18n';
import { Button, ErrorRegion, InlineAlert, PasswordField, TextField } from '../../../shared/components';
import type { AlertKind } from '../../../shared/components';
import { ApiError, api, post, problemText } from '../api';
import type { Session } from '../api';
import { passkeysSupported, signInWithPasskey } from '../passkey';

export interface Notice {
  kind: AlertKind;
  title?: string;
  text: string;
}

// Account and password; the second factor, when the account has one, is asked next.
export function SignIn({ notice, onSignedIn, onForgot }:
  { notice: Notice | null; onSignedIn: (s: Session) => void; onForgot: () => void }) {
  const [jid, setJid] = useState('');
  const [password, setPassword] = useState('');
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
    try {
      onSignedIn(await post<Session>(`${api}/session`, { jid: jid.trim(), password },
        { expect401: true }));
    } catch (err) {
      setError(problemText(err));
      setBusy(false);
      setPassword('');
      document.getElementById('signin-password')?.focus();
    }
  };

  return (
    <main id="main" tabIndex={-1} class="app-main app-main--narrow">
      <div class="card signin">
        <h1 class="rp-page-heading">{t('account.signInTitle')}</h1>
        <p class="lead">{t('account.signInIntro')}</p>
        {notice && <InlineAlert kind={notice.kind} title={notice.title}>{notice.text}</InlineAlert>}
        <ErrorRegion error={error} title={t('signIn.failed')} />
        <form class="form" onSubmit={submit} noValidate>
          <TextField id="signin-jid" label={t('account.jid')} hint={t('signIn.jidHint')}
                     name="jid" type="text" autocomplete="username" inputMode="email"
                     spellcheck={false} autocapitalize="off" required
                     value={jid} onValue={setJid} />
          <PasswordField id="signin-password" label={t('signIn.password')} name="password"
                         autocomplete="current-password" required
                         value={password} onValue={setPassword} />
          <Button type="submit" variant="primary" busy={busy}>
            {busy ? t('signIn.signingIn') : t('signIn.submit')}
          </Button>
        </form>
        <p><Button variant="quiet" onClick={onForgot}>{t('reset.forgot')}</Button></p>
      </div>
    </main>
  );
}

// The second step of a sign-in: a code from the authenticator app, or a recovery code.
export function SecondFactor({ onDone, onRestart }:
  { onDone: (s: Session) => void; onRestart: () => void }) {
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const [keyBusy, setKeyBusy] = useState(false);

  useEffect(() => {
    document.getElementById('second-code')?.focus();
  }, []);

  const usePasskey = async () => {
    if (keyBusy) return;
    setKeyBusy(true);
    setError(null);
    try {
      onDone(await signInWithPasskey());
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        onRestart();
        return;
      }
      setError(err instanceof DOMException ? t('account.passkeyCancelled') : problemText(err));
      setKeyBusy(false);
    }
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    const value = code.replace(/\s+/g, '');
    if (!value) {
      setError(t('account.codeMissing'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      onDone(await post<Session>(`${api}/session/second-factor`, { code: value },
        { expect401: true }));
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        onRestart();
        return;
      }
      setError(problemText(err));
      setBusy(false);
      setCode('');
      document.getElementById('second-code')?.focus();
    }
  };

  return (
    <main id="main" tabIndex={-1} class="app-main app-main--narrow">
      <div class="card signin">
        <h1 class="rp-page-heading">{t('account.secondFactorTitle')}</h1>
        <p class="lead">{t('account.secondFactorIntro')}</p>
        <ErrorRegion error={error} title={t('signIn.failed')} />
        <form class="form" onSubmit={submit} noValidate>
          <TextField id="second-code" label={t('signIn.code')} hint={t('account.codeHint')}
                     name="code" autocomplete="one-time-code" spellcheck={false}
                     autocapitalize="off" value={code} onValue={setCode} />
          <Button type="submit" variant="primary" busy={busy}>{t('account.verify')}</Button>
        </form>
        {passkeysSupported() && (
          <p class="or-passkey">
            <Button onClick={usePasskey} busy={keyBusy}>{t('account.usePasskey')}</Button>
          </p>
        )}
      </div>
    </main>
  );
}
