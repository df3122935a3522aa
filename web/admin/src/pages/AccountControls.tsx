import { useState } from 'preact/hooks';
import { formatDateTime, t } from '../../../shared/i18n';
import { Button, Checkbox, Dialog, ErrorRegion, SelectField, TextField, toast } from '../../../shared/components';
import { post, problemText, seg } from '../api';
import type { User } from '../api';

// The security administrator's controls over one account: freeze (lock or suspend, optionally
// until a time), unfreeze, and sign out everywhere. Each is a recorded decision with its reason.

interface Props { user: User; onClose: () => void; onDone: () => void }

function useAction(onDone: () => void) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const run = async (fn: () => Promise<void>) => {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      await fn();
      onDone();
    } catch (err) {
      setError(problemText(err));
      setBusy(false);
    }
  };
  return { error, busy, run };
}

// The reason a freeze or unfreeze records: required, checked before anything is sent.
function useReason() {
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  const given = () => {
    setError(reason.trim() ? null : t('users.reasonMissing'));
    return Boolean(reason.trim());
  };
  const field = (
    <TextField label={t('users.reason')} name="reason" required maxLength={500}
               value={reason} onValue={setReason} error={error} />
  );
  return { reason: reason.trim(), given, field };
}

export function FreezeDialog({ user, onClose, onDone }: Props) {
  const [mode, setMode] = useState<'lock' | 'suspend'>('lock');
  const [until, setUntil] = useState('');
  const { reason, given, field } = useReason();
  const { error, busy, run } = useAction(onDone);
  const formId = 'freeze-form';
  const submit = (e: Event) => {
    e.preventDefault();
    if (!given()) return;
    void run(async () => {
      await post(`/api/v1/users/${seg(user.jid)}/freeze`, {
        mode, reason, until: until ? new Date(until).toISOString() : null,
      });
      toast(t(mode === 'lock' ? 'users.locked' : 'users.suspended', { jid: user.jid }));
    });
  };
  return (
    <Dialog title={t('users.freezeTitle', { jid: user.jid })} onClose={onClose} actions={<>
      <Button onClick={onClose}>{t('common.cancel')}</Button>
      <Button type="submit" form={formId} variant="danger" busy={busy}>{t('users.freezeSubmit')}</Button>
    </>}>
      <ErrorRegion error={error} />
      <form id={formId} class="form" onSubmit={submit} noValidate>
        <SelectField label={t('users.freezeMode')} name="mode" value={mode}
                     onValue={(v) => setMode(v === 'suspend' ? 'suspend' : 'lock')}
                     hint={mode === 'lock' ? t('users.modeLockHint') : t('users.modeSuspendHint')}
                     options={[{ value: 'lock', label: t('users.modeLock') },
                               { value: 'suspend', label: t('users.modeSuspend') }]} />
        <TextField label={t('users.freezeUntil')} hint={t('users.freezeUntilHint')} name="until"
                   type="datetime-local" value={until} onValue={setUntil} />
        {field}
      </form>
    </Dialog>
  );
}

export function UnfreezeDialog({ user, onClose, onDone }: Props) {
  const { reason, given, field } = useReason();
  const { error, busy, run } = useAction(onDone);
  const formId = 'unfreeze-form';
  const submit = (e: Event) => {
    e.preventDefault();
    if (!given()) return;
    void run(async () => {
      await post(`/api/v1/users/${seg(user.jid)}/unfreeze`, { reason });
      toast(t('users.unfrozen', { jid: user.jid }));
    });
  };
  const f = user.frozen;
  return (
    <Dialog title={t('users.unfreezeTitle', { jid: user.jid })} onClose={onClose} actions={<>
      <Button onClick={onClose}>{t('common.cancel')}</Button>
      <Button type="submit" form={formId} variant="primary" busy={busy}>{t('users.unfreezeSubmit')}</Button>
    </>}>
      <ErrorRegion error={error} />
      {f && (
        <p>{t(f.mode === 'lock' ? 'users.isLocked' : 'users.isSuspended', {
          until: f.until ? formatDateTime(f.until) : t('users.untilUnfrozen'), reason: f.reason })}</p>
      )}
      <form id={formId} class="form" onSubmit={submit} noValidate>
        {field}
      </form>
    </Dialog>
  );
}

export function LogoutDialog({ user, onClose, onDone }: Props) {
  const [revoke, setRevoke] = useState(false);
  const { error, busy, run } = useAction(onDone);
  return (
    <Dialog role="alertdialog" title={t('users.logoutTitle', { jid: user.jid })} onClose={onClose}
            initialFocus=".dialog-cancel" actions={<>
      <Button class="dialog-cancel" onClick={onClose}>{t('common.cancel')}</Button>
      <Button variant="danger" busy={busy} onClick={() => void run(async () => {
        await post(`/api/v1/users/${seg(user.jid)}/logout`, { revoke_devices: revoke });
        toast(t('users.loggedOut', { jid: user.jid }));
      })}>{t('users.logoutSubmit')}</Button>
    </>}>
      <ErrorRegion error={error} />
      <p>{t('users.logoutText')}</p>
      <Checkbox name="revoke_devices" label={t('users.revokeDevices')} checked={revoke}
                onChecked={setRevoke} />
    </Dialog>
  );
}
