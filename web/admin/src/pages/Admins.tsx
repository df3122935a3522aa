import { useEffect, useState } from 'preact/hooks';
import { formatDateTime, t } from '../../../shared/i18n';
import {
  Button, DataTable, Dialog, ErrorRegion, SelectField, TextField, toast,
} from '../../../shared/components';
import { del, get, post, problemText, seg } from '../api';
import type { Page, Role, RoleGrant, Tenant } from '../api';
import { roleName, scopeName, useCan, useSession } from '../session';

const roles: Role[] = ['sysadmin', 'secadmin', 'auditor', 'reviewer'];

export function Admins() {
  const session = useSession();
  const can = useCan();
  const [items, setItems] = useState<RoleGrant[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [revoking, setRevoking] = useState<RoleGrant | null>(null);
  const [reloads, setReloads] = useState(0);

  useEffect(() => {
    get<Page<RoleGrant>>('/api/v1/roles')
      .then((p) => { setItems(p.items); setError(null); })
      .catch((e: unknown) => setError(problemText(e)));
  }, [reloads]);
  const reload = () => setReloads((n) => n + 1);

  return (
    <div>
      <p class="lead">{t('admins.intro')}</p>
      <ErrorRegion error={error} />
      {can('role.write') && <GrantForm onGranted={reload} />}
      {!items && !error && <p role="status">{t('common.loading')}</p>}
      {items && (
        <DataTable<RoleGrant> caption={t('admins.caption')} rows={items}
          rowKey={(g) => `${g.jid} ${g.role}`} empty={t('admins.empty')}
          columns={[
            { key: 'jid', header: t('admins.admin'), cell: (g) => <span class="jid">{g.jid}</span> },
            { key: 'role', header: t('admins.role'), cell: (g) => roleName(g.role) },
            { key: 'scope', header: t('admins.scope'), cell: (g) => scopeName(g.tenant) },
            { key: 'granted', header: t('admins.granted'), cell: (g) => formatDateTime(g.granted) },
            { key: 'by', header: t('admins.grantedBy'), cell: (g) => g.granted_by },
            can('role.write') && {
              key: 'actions', header: t('common.actions'),
              cell: (g) => g.jid === session.jid ? <span class="muted">{t('admins.self')}</span> : (
                <Button variant="quiet" class="danger-text" onClick={() => setRevoking(g)}>
                  {t('admins.revoke')}<span class="rp-visually-hidden"> {g.jid}</span>
                </Button>
              ),
            },
          ]} />
      )}
      {revoking && (
        <Revoke grant={revoking} onClose={() => setRevoking(null)}
                onRevoked={() => { setRevoking(null); reload(); }} />
      )}
    </div>
  );
}

function GrantForm({ onGranted }: { onGranted: () => void }) {
  const session = useSession();
  const can = useCan();
  const [jid, setJid] = useState('');
  const [role, setRole] = useState<Role>('auditor');
  const [tenant, setTenant] = useState(session.tenant ?? '');
  const [tenants, setTenants] = useState<Tenant[]>([]);
  const [jidError, setJidError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!can('tenant.read')) return;
    get<Page<Tenant>>('/api/v1/tenants').then((p) => setTenants(p.items)).catch(() => undefined);
  }, []);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    const who = jid.trim();
    if (!/^[^@\s]+@[^@\s]+$/.test(who)) {
      setJidError(t('admins.jidInvalid'));
      document.getElementById('grant-jid')?.focus();
      return;
    }
    setJidError(null);
    setError(null);
    setBusy(true);
    try {
      const body: Record<string, string> = { jid: who, role };
      if (tenant) body.tenant = tenant;
      await post('/api/v1/roles', body);
      toast(t('admins.grantDone', { jid: who, role: roleName(role) }));
      setJid('');
      onGranted();
    } catch (err) {
      setError(problemText(err));
    }
    setBusy(false);
  };

  const tenantOptions = [
    ...(session.tenant ? [] : [{ value: '', label: t('scope.server') }]),
    ...tenants.map((x) => ({ value: x.name, label: x.name })),
  ];

  return (
    <section class="card" aria-labelledby="grant-heading">
      <h2 id="grant-heading">{t('admins.grantTitle')}</h2>
      <p class="muted">{t('admins.grantIntro')}</p>
      <ErrorRegion error={error} />
      <form class="form form--inline grant-form" onSubmit={submit} noValidate>
        <TextField id="grant-jid" label={t('admins.account')} hint={t('admins.accountHint')}
                   name="jid" required spellcheck={false} autocapitalize="off" autocomplete="off"
                   value={jid} onValue={setJid} error={jidError} />
        <SelectField label={t('admins.role')} name="role" value={role}
                     onValue={(v) => setRole(v as Role)}
                     options={roles.map((r) => ({ value: r, label: roleName(r) }))} />
        <SelectField label={t('admins.scope')} hint={t('admins.scopeHint')} name="tenant"
                     value={tenant} onValue={setTenant} options={tenantOptions} />
        <Button type="submit" variant="primary" busy={busy}>{t('admins.grant')}</Button>
      </form>
    </section>
  );
}

function Revoke({ grant, onClose, onRevoked }:
  { grant: RoleGrant; onClose: () => void; onRevoked: () => void }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const confirm = async () => {
    if (busy) return;
    setBusy(true);
    try {
      await del(`/api/v1/roles/${seg(grant.jid)}/${seg(grant.role)}`);
      toast(t('admins.revoked', { jid: grant.jid, role: roleName(grant.role) }));
      onRevoked();
    } catch (err) {
      setError(problemText(err));
      setBusy(false);
    }
  };
  return (
    <Dialog role="alertdialog" title={t('admins.revokeTitle')} onClose={onClose}
            initialFocus=".dialog-cancel" actions={<>
      <Button class="dialog-cancel" onClick={onClose}>{t('common.cancel')}</Button>
      <Button variant="danger" busy={busy} onClick={confirm}>{t('admins.revokeConfirm')}</Button>
    </>}>
      <ErrorRegion error={error} />
      <p>{t('admins.revokeText', { jid: grant.jid, role: roleName(grant.role) })}</p>
    </Dialog>
  );
}
