import { useState } from 'preact/hooks';
import { t } from '../../../shared/i18n';
import { Button, Dialog, ErrorRegion, PageHeading, PasswordField, toast } from '../../../shared/components';
import { post, problemText } from '../api';
import type { Session } from '../api';

export const minPasswordLength = 12;

interface Errors {
  current?: string;
  next?: string;
  confirm?: string;
}

function check(next: string, confirm: string): Errors {
  const errors: Errors = {};
  if ([...next].length < minPasswordLength) {
    errors.next = t('password.tooShort', { n: minPasswordLength });
  } else if (next !== confirm) {
    errors.confirm = t('password.mismatch');
  }
  return errors;
}

function focusFirstInvalid(root: HTMLElement | null) {
  root?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
}

// The first sign-in: the one-time password is replaced before anything else.
export function FirstPassword({ onDone }: { onDone: (s: Session) => void }) {
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [errors, setErrors] = useState<Errors>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    const form = e.currentTarget as HTMLFormElement;
    const found = check(next, confirm);
    setErrors(found);
    setError(null);
    if (found.next || found.confirm) {
      window.setTimeout(() => focusFirstInvalid(form));
      return;
    }
    setBusy(true);
    try {
      onDone(await post<Session>('/api/v1/session/password', { new_password: next }));
    } catch (err) {
      setError(problemText(err));
      setBusy(false);
    }
  };

  return (
    <main id="main" tabIndex={-1} class="app-main app-main--narrow">
      <div class="card">
        <p class="steps-label">{t('firstSignIn.step', { n: 1, of: 3 })}</p>
        <PageHeading>{t('firstSignIn.passwordTitle')}</PageHeading>
        <p class="lead">{t('firstSignIn.passwordIntro', { n: minPasswordLength })}</p>
        <ErrorRegion error={error} />
        <form class="form" onSubmit={submit} noValidate>
          <PasswordField label={t('password.new')} name="new_password" autocomplete="new-password"
                         hint={t('password.rule', { n: minPasswordLength })} required
                         value={next} onValue={setNext} error={errors.next} />
          <PasswordField label={t('password.confirm')} name="confirm_password"
                         autocomplete="new-password" required value={confirm}
                         onValue={setConfirm} error={errors.confirm} />
          <Button type="submit" variant="primary" busy={busy}>{t('firstSignIn.passwordSubmit')}</Button>
        </form>
      </div>
    </main>
  );
}

// Changing one's own password later: the current one is needed too.
export function ChangePasswordDialog({ onClose }: { onClose: () => void }) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [errors, setErrors] = useState<Errors>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const formId = 'change-password-form';

  const submit = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    const form = e.currentTarget as HTMLFormElement;
    const found = check(next, confirm);
    if (!current) found.current = t('password.currentMissing');
    setErrors(found);
    setError(null);
    if (found.current || found.next || found.confirm) {
      window.setTimeout(() => focusFirstInvalid(form));
      return;
    }
    setBusy(true);
    try {
      await post<Session>('/api/v1/session/password', { current_password: current, new_password: next });
      toast(t('password.changed'));
      onClose();
    } catch (err) {
      setError(problemText(err));
      setBusy(false);
    }
  };

  return (
    <Dialog title={t('password.change')} onClose={onClose} actions={<>
      <Button onClick={onClose}>{t('common.cancel')}</Button>
      <Button type="submit" form={formId} variant="primary" busy={busy}>{t('password.change')}</Button>
    </>}>
      <ErrorRegion error={error} />
      <form id={formId} class="form" onSubmit={submit} noValidate>
        <PasswordField label={t('password.current')} name="current_password"
                       autocomplete="current-password" required value={current}
                       onValue={setCurrent} error={errors.current} />
        <PasswordField label={t('password.new')} name="new_password" autocomplete="new-password"
                       hint={t('password.rule', { n: minPasswordLength })} required
                       value={next} onValue={setNext} error={errors.next} />
        <PasswordField label={t('password.confirm')} name="confirm_password"
                       autocomplete="new-password" required value={confirm}
                       onValue={setConfirm} error={errors.confirm} />
      </form>
    </Dialog>
  );
}
