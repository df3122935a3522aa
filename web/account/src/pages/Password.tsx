import { useState } from 'preact/hooks';
import { t } from '../../../shared/i18n';
import { Button, ErrorRegion, InlineAlert, PageHeading, PasswordField, toast } from '../../../shared/components';
import { api, post, problemText } from '../api';
import type { Session } from '../api';

interface Errors {
  current?: string;
  next?: string;
  confirm?: string;
}

// The form for a new password. The server applies the organisation's policy and names the
// rule a refused password broke; here only the length and the repetition are checked.
function PasswordForm({ session, needCurrent, onDone }:
  { session: Session; needCurrent: boolean; onDone: (s: Session) => void }) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [errors, setErrors] = useState<Errors>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const min = session.password?.min_length ?? 8;

  const submit = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    const form = e.currentTarget as HTMLFormElement;
    const found: Errors = {};
    if (needCurrent && !current) found.current = t('password.currentMissing');
    if ([...next].length < min) found.next = t('password.tooShort', { n: min });
    else if (next !== confirm) found.confirm = t('password.mismatch');
    setErrors(found);
    setError(null);
    if (found.current || found.next || found.confirm) {
      window.setTimeout(() => form.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus());
      return;
    }
    setBusy(true);
    try {
      const body: Record<string, string> = { new_password: next };
      if (needCurrent) body.current_password = current;
      const s = await post<Session>(`${api}/password`, body);
      setCurrent('');
      setNext('');
      setConfirm('');
      setBusy(false);
      toast(t('password.changed'));
      onDone(s);
    } catch (err) {
      setError(problemText(err));
      setBusy(false);
    }
  };

  return (
    <form class="form" onSubmit={submit} noValidate>
      <ErrorRegion error={error} />
      {needCurrent && (
        <PasswordField id="pw-current" label={t('password.current')} name="current"
                       autocomplete="current-password" value={current} onValue={setCurrent}
                       error={errors.current} />
      )}
      <PasswordField id="pw-new" label={t('password.new')} hint={t('password.rule', { n: min })}
                     name="new" autocomplete="new-password" value={next} onValue={setNext}
                     error={errors.next} />
      <PasswordField id="pw-confirm" label={t('password.confirm')} name="confirm"
                     autocomplete="new-password" value={confirm} onValue={setConfirm}
                     error={errors.confirm} />
      <Button type="submit" variant="primary" busy={busy}>{t('password.change')}</Button>
    </form>
  );
}

// A password past the organisation's maximum age: it must be changed before anything else.
export function ForcedPassword({ session, onDone }:
  { session: Session; onDone: (s: Session) => void }) {
  return (
    <main id="main" tabIndex={-1} class="app-main app-main--narrow">
      <div class="card">
        <PageHeading>{t('account.expiredTitle')}</PageHeading>
        <InlineAlert kind="warning">{t('account.expiredText')}</InlineAlert>
        <PasswordForm session={session} needCurrent={false} onDone={onDone} />
      </div>
    </main>
  );
}

export function PasswordSection({ session, onDone }:
  { session: Session; onDone: (s: Session) => void }) {
  const p = session.password;
  return (
    <section class="card" aria-labelledby="password-heading">
      <h2 id="password-heading">{t('password.change')}</h2>
      {p?.expires && <p class="muted">{t('account.passwordExpires', { date: new Date(p.expires).toLocaleDateString() })}</p>}
      <PasswordForm session={session} needCurrent onDone={onDone} />
    </section>
  );
}
