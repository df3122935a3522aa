import { useEffect, useState } from 'preact/hooks';
import { t } from '../../../shared/i18n';
import { ErrorRegion, LoginTable, Pagination, SelectField } from '../../../shared/components';
import type { LoginRecord } from '../../../shared/components';
import { get, problemText } from '../api';
import type { Page, Tenant } from '../api';
import { useCan, useSession } from '../session';
import { RevealSwitch, revealQuery } from '../Reveal';

const pageSize = 50;

// The tenant's sign-in attempts (XMPP, the account center, the console), newest first: for
// auditors and security administrators.
export function Logins() {
  const can = useCan();
  const session = useSession();
  const [tenants, setTenants] = useState<Tenant[]>([]);
  const [tenant, setTenant] = useState(session.tenant ?? '');
  const [cursors, setCursors] = useState<string[]>(['']);
  const [page, setPage] = useState<Page<LoginRecord> | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [reveal, setReveal] = useState(false);
  const cursor = cursors[cursors.length - 1];

  useEffect(() => {
    if (!can('tenant.read')) return;
    get<Page<Tenant>>('/api/v1/tenants')
      .then((p) => {
        setTenants(p.items);
        if (!tenant && p.items.length > 0) setTenant(p.items[0].name);
      })
      .catch((e: unknown) => setError(problemText(e)));
  }, []);

  useEffect(() => {
    let stale = false;
    setPage(null);
    get<Page<LoginRecord>>('/api/v1/logins',
                          { tenant, cursor, limit: pageSize, reveal: revealQuery(reveal) })
      .then((p) => { if (!stale) { setPage(p); setError(null); } })
      .catch((e: unknown) => { if (!stale) setError(problemText(e)); });
    return () => { stale = true; };
  }, [tenant, cursor, reveal]);

  return (
    <div>
      <p class="lead">{t('logins.intro')}</p>
      {tenants.length > 1 && (
        <SelectField label={t('logins.tenant')} name="tenant" value={tenant}
                     options={tenants.map((x) => ({ value: x.name, label: x.name }))}
                     onValue={(v) => { setTenant(v); setCursors(['']); }} />
      )}
      <RevealSwitch reveal={reveal} onReveal={setReveal} />
      <ErrorRegion error={error} />
      {!page && !error && <p role="status">{t('common.loading')}</p>}
      {page && (
        <>
          <LoginTable caption={t('logins.caption')} rows={page.items} showAccount />
          {(cursors.length > 1 || page.next_cursor) && (
            <Pagination page={cursors.length} hasPrevious={cursors.length > 1}
                        hasNext={Boolean(page.next_cursor)}
                        onPrevious={() => setCursors(cursors.slice(0, -1))}
                        onNext={() => page.next_cursor && setCursors([...cursors, page.next_cursor])} />
          )}
        </>
      )}
    </div>
  );
}
