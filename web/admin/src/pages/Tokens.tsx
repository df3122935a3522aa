import { useEffect, useState } from 'preact/hooks';
import { formatDateTime, t } from '../../../shared/i18n';
import type { MessageKey } from '../../../shared/i18n';
import {
  Button, Checkbox, CopyButton, DataTable, Dialog, ErrorRegion, InlineAlert, SelectField,
  TextField, toast,
} from '../../../shared/components';
import { del, get, post, problemText, seg } from '../api';
import type { ApiToken, Page } from '../api';
import { roleName, scopeName, useCan, useSession } from '../session';

const lifetimes: Array<{ seconds: number; label: MessageKey }> = [
  { seconds: 3600, label: 'tokens.ttl.hour' },
  { seconds: 86400, label: 'tokens.ttl.day' },
  { seconds: 7 * 86400, label: 'tokens.ttl.week' },
  { seconds: 30 * 86400, label: 'tokens.ttl.month' },
  { seconds: 90 * 86400, label: 'tokens.ttl.quarter' },
  { seconds: 366 * 86400, label: 'tokens.ttl.year' },
];

export function Tokens() {
  const session = useSession();
  const can = useCan();
  const [all, setAll] = useState(false);
  const [items, setItems] = useState<ApiToken[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [created, setCreated] = useState<(ApiToken & { token: string }) | null>(null);
  const [revoking, setRevoking] = useState<ApiToken | null>(null);
  const [reloads, setReloads] = useState(0);

  useEffect(() => {
    let stale = false;
    get<Page<ApiToken>>('/api/v1/tokens', { all: all ? 'true' : undefined })
      .then((p) => { if (!stale) { setItems(p.items); setError(null); } })
      .catch((e: unknown) => { if (!stale) setError(problemText(e)); });
    return () => { stale = true; };
  }, [all, reloads]);
  const reload = () => setReloads((n) => n + 1);

  return (
    <div>
      <p class="lead">{t('tokens.intro')}</p>
      <ErrorRegion error={error} />
      {can('token.own') && <CreateToken onCreated={(tok) => { setCreated(tok); reload(); }} />}
      <section aria-labelledby="token-list-heading">
        <h2 id="token-list-heading">{all ? t('tokens.allTitle') : t('tokens.ownTitle')}</h2>
        {can('token.manage') && (
          <Checkbox name="all" label={t('tokens.showAll')} checked={all} onChecked={setAll} />
        )}
        {!items && !error && <p role="status">{t('common.loading')}</p>}
        {items && (
          <DataTable<ApiToken> caption={all ? t('tokens.allTitle') : t('tokens.ownTitle')}
            rows={items} rowKey={(x) => x.id} empty={t('tokens.empty')}
            columns={[
              { key: 'label', header: t('tokens.label'),
                cell: (x) => x.label || <span class="muted">{t('tokens.noLabel')}</span> },
              { key: 'id', header: t('tokens.id'), cell: (x) => <code>{x.id}</code> },
              all && { key: 'owner', header: t('tokens.owner'), cell: (x) => <span class="jid">{x.jid}</span> },
              { key: 'role', header: t('tokens.role'), cell: (x) => roleName(x.role) },
              { key: 'scope', header: t('tokens.scope'), cell: (x) => scopeName(x.tenant) },
              { key: 'created', header: t('tokens.created'), cell: (x) => formatDateTime(x.created) },
              { key: 'expires', header: t('tokens.expires'), cell: (x) => formatDateTime(x.expires) },
              { key: 'used', header: t('tokens.lastUsed'),
                cell: (x) => x.last_used ? formatDateTime(x.last_used) : t('tokens.never') },
              { key: 'actions', header: t('common.actions'), cell: (x) =>
                (x.jid === session.jid || can('token.manage')) && (
                  <Button variant="quiet" class="danger-text" onClick={() => setRevoking(x)}>
                    {t('tokens.revoke')}<span class="rp-visually-hidden"> {x.label || x.id}</span>
                  </Button>
                ) },
            ]} />
        )}
      </section>
      {created && (
        <Dialog title={t('tokens.createdTitle')} onClose={() => setCreated(null)}
                initialFocus="#new-token" actions={
          <Button variant="primary" onClick={() => setCreated(null)}>{t('tokens.done')}</Button>
        }>
          <InlineAlert kind="warning" title={t('tokens.onceTitle')}>{t('tokens.onceText')}</InlineAlert>
          <label for="new-token" class="rp-field__label">{t('tokens.token')}</label>
          <input id="new-token" class="rp-input rp-secret new-token" readOnly value={created.token}
                 onFocus={(e) => e.currentTarget.select()} />
          <p class="rp-button-row token-copy"><CopyButton text={created.token} /></p>
          <p class="muted">{t('tokens.usage')}</p>
        </Dialog>
      )}
      {revoking && (
        <Revoke token={revoking} onClose={() => setRevoking(null)}
                onRevoked={() => { setRevoking(null); reload(); }} />
      )}
    </div>
  );
}

function CreateToken({ onCreated }: { onCreated: (tok: ApiToken & { token: string }) => void }) {
  const [label, setLabel] = useState('');
  const [ttl, setTtl] = useState(String(30 * 86400));
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      const tok = await post<ApiToken & { token: string }>('/api/v1/tokens',
        { ttl: Number(ttl), label: label.trim() });
      setLabel('');
      onCreated(tok);
    } catch (err) {
      setError(problemText(err));
    }
    setBusy(false);
  };
  return (
    <section class="card" aria-labelledby="token-create-heading">
      <h2 id="token-create-heading">{t('tokens.createTitle')}</h2>
      <ErrorRegion error={error} />
      <form class="form form--inline token-form" onSubmit={submit} noValidate>
        <TextField label={t('tokens.label')} hint={t('tokens.labelHint')} name="label"
                   maxLength={100} autocomplete="off" value={label} onValue={setLabel} />
        <SelectField label={t('tokens.lifetime')} name="ttl" value={ttl} onValue={setTtl}
                     options={lifetimes.map((l) => ({ value: String(l.seconds), label: t(l.label) }))} />
        <Button type="submit" variant="primary" busy={busy}>{t('tokens.create')}</Button>
      </form>
    </section>
  );
}

function Revoke({ token, onClose, onRevoked }:
  { token: ApiToken; onClose: () => void; onRevoked: () => void }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const name = token.label || token.id;
  const confirm = async () => {
    if (busy) return;
    setBusy(true);
    try {
      await del(`/api/v1/tokens/${seg(token.id)}`);
      toast(t('tokens.revoked', { name }));
      onRevoked();
    } catch (err) {
      setError(problemText(err));
      setBusy(false);
    }
  };
  return (
    <Dialog role="alertdialog" title={t('tokens.revokeTitle')} onClose={onClose}
            initialFocus=".dialog-cancel" actions={<>
      <Button class="dialog-cancel" onClick={onClose}>{t('common.cancel')}</Button>
      <Button variant="danger" busy={busy} onClick={confirm}>{t('tokens.revokeConfirm')}</Button>
    </>}>
      <ErrorRegion error={error} />
      <p>{t('tokens.revokeText', { name, jid: token.jid })}</p>
    </Dialog>
  );
}
