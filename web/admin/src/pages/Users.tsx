import { useEffect, useState } from 'preact/hooks';
import { formatDateTime, formatNumber, t } from '../../../shared/i18n';
import {
  Button, DataTable, Dialog, EmptyState, ErrorRegion, Pagination, PasswordField, SelectField,
  TextField, toast,
} from '../../../shared/components';
import { del, get, post, problemText, put, seg } from '../api';
import type { Page, Tenant, User, UserSession } from '../api';
import { roleName, useCan, useSession } from '../session';
import { FreezeDialog, LogoutDialog, UnfreezeDialog } from './AccountControls';

const pageSize = 25;

type Open =
  | { kind: 'create' }
  | { kind: 'delete'; user: User }
  | { kind: 'password'; user: User }
  | { kind: 'sessions'; user: User }
  | { kind: 'freeze'; user: User }
  | { kind: 'unfreeze'; user: User }
  | { kind: 'logout'; user: User }
  | null;

function Hidden({ children }: { children: string }) {
  return <span class="rp-visually-hidden"> {children}</span>;
}

export function Users() {
  const session = useSession();
  const can = useCan();
  const initial = new URLSearchParams(window.location.search);
  const [tenants, setTenants] = useState<Tenant[]>([]);
  const [tenant, setTenant] = useState(initial.get('tenant') ?? session.tenant ?? '');
  const [search, setSearch] = useState(initial.get('q') ?? '');
  const [q, setQ] = useState(initial.get('q') ?? '');
  const [cursors, setCursors] = useState<string[]>(['']);
  const [page, setPage] = useState<Page<User> | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [open, setOpen] = useState<Open>(null);
  const [reloads, setReloads] = useState(0);
  const cursor = cursors[cursors.length - 1];

  useEffect(() => {
    if (!can('tenant.read')) return;
    get<Page<Tenant>>('/api/v1/tenants').then((p) => {
      setTenants(p.items);
      setTenant((cur) => cur || p.items[0]?.name || '');
    }).catch((e: unknown) => setError(problemText(e)));
  }, []);

  useEffect(() => {
    let stale = false;
    setBusy(true);
    get<Page<User>>('/api/v1/users', { tenant, q, cursor, limit: pageSize })
      .then((p) => { if (!stale) { setPage(p); setError(null); } })
      .catch((e: unknown) => { if (!stale) setError(problemText(e)); })
      .finally(() => { if (!stale) setBusy(false); });
    const params = new URLSearchParams();
    if (tenant) params.set('tenant', tenant);
    if (q) params.set('q', q);
    const query = params.toString();
    window.history.replaceState(null, '', `/users${query ? `?${query}` : ''}`);
    return () => { stale = true; };
  }, [tenant, q, cursor, reloads]);

  const reload = (fromStart = false) => {
    if (fromStart) setCursors(['']);
    setReloads((n) => n + 1);
  };

  const submitSearch = (e: Event) => {
    e.preventDefault();
    setQ(search.trim());
    setCursors(['']);
  };

  const domain = tenant || session.tenant || tenants[0]?.name || '';

  return (
    <div>
      <div class="toolbar">
        <form class="toolbar__search" role="search" onSubmit={submitSearch}>
          {tenants.length > 0 && (
            <SelectField label={t('users.tenant')} name="tenant" value={tenant}
                         options={tenants.map((x) => ({ value: x.name, label: x.display_name === x.name ? x.name : `${x.display_name} (${x.name})` }))}
                         onValue={(v) => { setTenant(v); setCursors(['']); }} />
          )}
          <TextField label={t('users.search')} hint={t('users.searchHint')} name="q" type="search"
                     value={search} onValue={setSearch} spellcheck={false} autocapitalize="off" />
          <Button type="submit">{t('users.searchButton')}</Button>
        </form>
        {can('user.write') && (
          <Button variant="primary" class="users-create" onClick={() => setOpen({ kind: 'create' })}>
            {t('users.create')}
          </Button>
        )}
      </div>
      <ErrorRegion error={error} />
      {page && (
        <>
          <p class="muted" role="status">
            {q ? t('users.resultsFor', { q, tenant: domain }) : t('users.resultsIn', { tenant: domain })}
          </p>
          <DataTable<User> caption={t('users.caption', { tenant: domain })} rows={page.items}
            rowKey={(u) => u.jid} busy={busy}
            empty={q ? t('users.noMatch', { q }) : t('users.empty')}
            columns={[
              { key: 'jid', header: t('users.account'), cell: (u) => <span class="jid">{u.jid}</span> },
              { key: 'role', header: t('users.role'), cell: (u) => u.role ? roleName(u.role) : '—' },
              { key: 'sessions', header: t('users.sessions'), class: 'rp-num',
                cell: (u) => formatNumber(u.sessions) },
              { key: 'state', header: t('users.state'), cell: (u) => (u.frozen
                ? <span class={`badge badge--${u.frozen.mode === 'lock' ? 'failure' : 'open'}`}>
                    {u.frozen.mode === 'lock' ? t('users.stateLocked') : t('users.stateSuspended')}
                  </span>
                : t('users.stateActive')) },
              { key: 'actions', header: t('common.actions'), cell: (u) => (
                <div class="row-actions">
                  <Button variant="quiet" onClick={() => setOpen({ kind: 'sessions', user: u })}>
                    {t('users.showSessions')}<Hidden>{u.jid}</Hidden>
                  </Button>
                  {can('user.write') && !u.role && (
                    <Button variant="quiet" onClick={() => setOpen({ kind: 'password', user: u })}>
                      {t('users.resetPassword')}<Hidden>{u.jid}</Hidden>
                    </Button>
                  )}
                  {can('user.write') && !u.role && (
                    <Button variant="quiet" class="danger-text" onClick={() => setOpen({ kind: 'delete', user: u })}>
                      {t('users.delete')}<Hidden>{u.jid}</Hidden>
                    </Button>
                  )}
                  {can('account.freeze') && !u.frozen && (
                    <Button variant="quiet" class="danger-text" onClick={() => setOpen({ kind: 'freeze', user: u })}>
                      {t('users.freeze')}<Hidden>{u.jid}</Hidden>
                    </Button>
                  )}
                  {can('account.freeze') && u.frozen && (
                    <Button variant="quiet" onClick={() => setOpen({ kind: 'unfreeze', user: u })}>
                      {t('users.unfreeze')}<Hidden>{u.jid}</Hidden>
                    </Button>
                  )}
                  {can('session.end') && (
                    <Button variant="quiet" onClick={() => setOpen({ kind: 'logout', user: u })}>
                      {t('users.logout')}<Hidden>{u.jid}</Hidden>
                    </Button>
                  )}
                  {can('user.write') && u.role && (
                    <span class="muted small row-note">{t('users.adminAccount')}</span>
                  )}
                </div>
              ) },
            ]} />
          <Pagination page={cursors.length} hasPrevious={cursors.length > 1}
                      hasNext={Boolean(page.next_cursor)}
                      onPrevious={() => setCursors(cursors.slice(0, -1))}
                      onNext={() => page.next_cursor && setCursors([...cursors, page.next_cursor])} />
        </>
      )}
      {!page && !error && <p role="status">{t('common.loading')}</p>}
      {open?.kind === 'create' && (
        <CreateUser domain={domain} onClose={() => setOpen(null)}
                    onCreated={() => { setOpen(null); reload(true); }} />
      )}
      {open?.kind === 'delete' && (
        <DeleteUser user={open.user} onClose={() => setOpen(null)}
                    onDeleted={() => { setOpen(null); reload(); }} />
      )}
      {open?.kind === 'password' && (
        <ResetPassword user={open.user} onClose={() => setOpen(null)} />
      )}
      {open?.kind === 'freeze' && (
        <FreezeDialog user={open.user} onClose={() => setOpen(null)}
                      onDone={() => { setOpen(null); reload(); }} />
      )}
      {open?.kind === 'unfreeze' && (
        <UnfreezeDialog user={open.user} onClose={() => setOpen(null)}
                        onDone={() => { setOpen(null); reload(); }} />
      )}
      {open?.kind === 'logout' && (
        <LogoutDialog user={open.user} onClose={() => setOpen(null)}
                      onDone={() => { setOpen(null); reload(); }} />
      )}
      {open?.kind === 'sessions' && (
        <Sessions user={open.user} onClose={() => setOpen(null)} onEnded={() => reload()} />
      )}
    </div>
  );
}

function CreateUser({ domain, onClose, onCreated }:
  { domain: string; onClose: () => void; onCreated: () => void }) {
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<{ name?: string; password?: string }>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const formId = 'create-user-form';

  const submit = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    const local = name.trim();
    const found: typeof errors = {};
    if (!local) found.name = t('users.nameMissing');
    if (!password) found.password = t('users.passwordMissing');
    setErrors(found);
    if (found.name || found.password) {
      const form = e.currentTarget as HTMLFormElement;
      window.setTimeout(() => form.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus());
      return;
    }
    const jid = local.includes('@') ? local : `${local}@${domain}`;
    setBusy(true);
    setError(null);
    try {
      await post('/api/v1/users', { jid, password });
      toast(t('users.created', { jid }));
      onCreated();
    } catch (err) {
      setError(problemText(err));
      setBusy(false);
    }
  };

  return (
    <Dialog title={t('users.createTitle')} onClose={onClose} actions={<>
      <Button onClick={onClose}>{t('common.cancel')}</Button>
      <Button type="submit" form={formId} variant="primary" busy={busy}>{t('users.createSubmit')}</Button>
    </>}>
      <ErrorRegion error={error} />
      <form id={formId} class="form" onSubmit={submit} noValidate>
        <TextField label={t('users.name')} hint={t('users.nameHint')} name="user" required
                   autocomplete="off" spellcheck={false} autocapitalize="off"
                   suffix={name.includes('@') ? undefined : `@${domain}`}
                   value={name} onValue={setName} error={errors.name} />
        <PasswordField label={t('users.initialPassword')} hint={t('users.initialPasswordHint')}
                       name="password" autocomplete="new-password" required
                       value={password} onValue={setPassword} error={errors.password} />
      </form>
    </Dialog>
  );
}

function DeleteUser({ user, onClose, onDeleted }:
  { user: User; onClose: () => void; onDeleted: () => void }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const confirm = async () => {
    if (busy) return;
    setBusy(true);
    try {
      await del(`/api/v1/users/${seg(user.jid)}`);
      toast(t('users.deleted', { jid: user.jid }));
      onDeleted();
    } catch (err) {
      setError(problemText(err));
      setBusy(false);
    }
  };
  return (
    <Dialog role="alertdialog" title={t('users.deleteTitle')} onClose={onClose}
            initialFocus=".dialog-cancel" actions={<>
      <Button class="dialog-cancel" onClick={onClose}>{t('common.cancel')}</Button>
      <Button variant="danger" busy={busy} onClick={confirm}>{t('users.deleteConfirm')}</Button>
    </>}>
      <ErrorRegion error={error} />
      <p>{t('users.deleteText', { jid: user.jid })}</p>
    </Dialog>
  );
}

function ResetPassword({ user, onClose }: { user: User; onClose: () => void }) {
  const [password, setPassword] = useState('');
  const [fieldError, setFieldError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const formId = 'reset-password-form';
  const submit = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    if (!password) {
      setFieldError(t('users.passwordMissing'));
      return;
    }
    setFieldError(null);
    setBusy(true);
    try {
      await put(`/api/v1/users/${seg(user.jid)}/password`, { password });
      toast(t('users.passwordReset', { jid: user.jid }));
      onClose();
    } catch (err) {
      setError(problemText(err));
      setBusy(false);
    }
  };
  return (
    <Dialog title={t('users.resetTitle', { jid: user.jid })} onClose={onClose} actions={<>
      <Button onClick={onClose}>{t('common.cancel')}</Button>
      <Button type="submit" form={formId} variant="primary" busy={busy}>{t('users.resetSubmit')}</Button>
    </>}>
      <ErrorRegion error={error} />
      <form id={formId} class="form" onSubmit={submit} noValidate>
        <PasswordField label={t('password.new')} hint={t('users.resetHint')} name="password"
                       autocomplete="new-password" required value={password}
                       onValue={setPassword} error={fieldError} />
      </form>
    </Dialog>
  );
}

function Sessions({ user, onClose, onEnded }:
  { user: User; onClose: () => void; onEnded: () => void }) {
  const can = useCan();
  const [items, setItems] = useState<UserSession[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const load = () => {
    get<Page<UserSession>>(`/api/v1/users/${seg(user.jid)}/sessions`)
      .then((p) => setItems(p.items))
      .catch((e: unknown) => setError(problemText(e)));
  };
  useEffect(load, []);
  useEffect(() => {
    if (confirming) document.querySelector<HTMLElement>('.confirm-box .rp-button--danger')?.focus();
  }, [confirming]);
  const end = async () => {
    if (busy) return;
    setBusy(true);
    try {
      const r = await del<{ ended: number }>(`/api/v1/users/${seg(user.jid)}/sessions`);
      toast(t('users.sessionsEnded', { n: r.ended, jid: user.jid }));
      setConfirming(false);
      // The server has ended them; its list may still show them while their connections close.
      setItems([]);
      onEnded();
    } catch (err) {
      setError(problemText(err));
    }
    setBusy(false);
  };
  return (
    <Dialog class="rp-dialog--wide" title={t('users.sessionsTitle', { jid: user.jid })} onClose={onClose}
            actions={<>
              {can('session.end') && items && items.length > 0 && !confirming && (
                <Button variant="danger" onClick={() => setConfirming(true)}>{t('users.endSessions')}</Button>
              )}
              <Button onClick={onClose}>{t('common.close')}</Button>
            </>}>
      <ErrorRegion error={error} />
      {!items && !error && <p role="status">{t('common.loading')}</p>}
      {items && items.length === 0 && <EmptyState>{t('users.noSessions')}</EmptyState>}
      {items && items.length > 0 && (
        <DataTable<UserSession> caption={t('users.sessionsTitle', { jid: user.jid })} rows={items}
          rowKey={(s) => s.jid} empty={t('users.noSessions')}
          columns={[
            { key: 'jid', header: t('users.resource'), cell: (s) => <span class="jid">{s.jid}</span> },
            { key: 'address', header: t('users.address'), cell: (s) => s.address },
            { key: 'since', header: t('users.since'), cell: (s) => formatDateTime(s.since) },
          ]} />
      )}
      {confirming && (
        <div class="confirm-box" role="group" aria-label={t('users.endSessions')}>
          <p>{t('users.endSessionsText', { jid: user.jid })}</p>
          <div class="rp-button-row">
            <Button onClick={() => setConfirming(false)}>{t('common.cancel')}</Button>
            <Button variant="danger" busy={busy} onClick={end}>{t('users.endSessionsConfirm')}</Button>
          </div>
        </div>
      )}
    </Dialog>
  );
}
