import { useEffect, useState } from 'preact/hooks';
import { formatNumber, t } from '../../../shared/i18n';
import { DataTable, ErrorRegion } from '../../../shared/components';
import { get, problemText } from '../api';
import type { Page, Tenant } from '../api';
import { useCan } from '../session';
import { Link } from '../Link';

export function Tenants() {
  const can = useCan();
  const [items, setItems] = useState<Tenant[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    get<Page<Tenant>>('/api/v1/tenants')
      .then((p) => setItems(p.items))
      .catch((e: unknown) => setError(problemText(e)));
  }, []);

  return (
    <div>
      <p class="lead">{t('tenants.intro')}</p>
      <ErrorRegion error={error} />
      {!items && !error && <p role="status">{t('common.loading')}</p>}
      {items && (
        <DataTable<Tenant> caption={t('tenants.caption')} rows={items} rowKey={(r) => r.name}
          empty={t('tenants.empty')}
          columns={[
            { key: 'name', header: t('tenants.name'), cell: (r) => <code>{r.name}</code> },
            { key: 'display', header: t('tenants.displayName'), cell: (r) => r.display_name },
            { key: 'accounts', header: t('tenants.accounts'), class: 'rp-num',
              cell: (r) => formatNumber(r.accounts) },
            can('user.read') && {
              key: 'actions', header: <span class="rp-visually-hidden">{t('common.actions')}</span>,
              cell: (r) => (
                <Link to={`/users?tenant=${encodeURIComponent(r.name)}`}>
                  {t('tenants.showUsers')}<span class="rp-visually-hidden"> ({r.name})</span>
                </Link>
              ),
            },
          ]} />
      )}
    </div>
  );
}
