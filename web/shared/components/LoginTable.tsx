import { formatDateTime, t } from '../i18n';
import { DataTable } from './DataTable';

// One sign-in attempt as the account center and the admin API return it (the server's one
// login-record shape).
export interface LoginRecord {
  id?: number;
  time: string;
  account: string;
  source: string;
  port: number;
  protocol: string;
  client: string;
  resource: string;
  credential: string;
  country: string;
  city: string;
  result: 'success' | 'failure';
  reason: string;
}

interface Props {
  caption: string;
  rows: LoginRecord[];
  busy?: boolean;
  // The tenant-wide view names the account of each attempt.
  showAccount?: boolean;
}

// Sign-in attempts, newest first: the account center's history and the console's tenant view.
export function LoginTable({ caption, rows, busy = false, showAccount = false }: Props) {
  return (
    <DataTable<LoginRecord> caption={caption} rows={rows} busy={busy} class="logins-table"
      rowKey={(r) => String(r.id ?? r.time + r.source + r.port)} empty={t('logins.empty')}
      columns={[
        { key: 'time', header: t('logins.time'), cell: (r) => formatDateTime(r.time) },
        showAccount && { key: 'account', header: t('logins.account'), cell: (r) => r.account },
        { key: 'result', header: t('logins.result'), cell: (r) => (
          <span class={`badge badge--${r.result}`}>
            {r.result === 'success' ? t('logins.success') : t('logins.failure')}
          </span>) },
        { key: 'source', header: t('logins.address'), cell: (r) => r.source },
        { key: 'place', header: t('logins.place'),
          cell: (r) => [r.city, r.country].filter(Boolean).join(', ') || '—' },
        { key: 'client', header: t('logins.client'), cell: (r) => r.client || r.resource || '—' },
        { key: 'how', header: t('logins.how'), cell: (r) => `${r.protocol} · ${r.credential}` },
        { key: 'reason', header: t('logins.reason'), cell: (r) => r.reason || '—' },
      ]} />
  );
}
