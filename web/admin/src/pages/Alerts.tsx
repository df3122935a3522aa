import { useEffect, useState } from 'preact/hooks';
import { formatDateTime, hasKey, t } from '../../../shared/i18n';
import { Button, Checkbox, DataTable, ErrorRegion, Pagination, toast } from '../../../shared/components';
import { post, problemText } from '../api';
import type { Alert } from '../api';
import { useCan } from '../session';
import { isOpen, loadAlerts } from '../alerts';
import type { AlertPage } from '../alerts';
import { RevealSwitch } from '../Reveal';

const pageSize = 50;

function label(prefix: 'alerts.rule.' | 'alerts.severity.', value: string): string {
  const key = prefix + value;
  return hasKey(key) ? t(key) : value;
}

// Security alerts, newest first; a security administrator acknowledges the open ones.
export function Alerts() {
  const can = useCan();
  const [openOnly, setOpenOnly] = useState(false);
  const [cursors, setCursors] = useState<string[]>(['']);
  const [page, setPage] = useState<AlertPage | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<number | null>(null);
  const [reloads, setReloads] = useState(0);
  const [reveal, setReveal] = useState(false);
  const cursor = cursors[cursors.length - 1];

  useEffect(() => {
    let stale = false;
    loadAlerts({ open: openOnly, cursor, limit: pageSize, reveal })
      .then((p) => { if (!stale) { setPage(p); setError(null); } })
      .catch((e: unknown) => { if (!stale) setError(problemText(e)); });
    return () => { stale = true; };
  }, [openOnly, cursor, reloads, reveal]);

  const acknowledge = async (a: Alert) => {
    if (busy !== null) return;
    setBusy(a.id);
    try {
      await post(`/api/v1/alerts/${encodeURIComponent(String(a.id))}/acknowledge`);
      toast(t('alerts.acknowledged'));
      setReloads((n) => n + 1);
    } catch (e) {
      setError(problemText(e));
    }
    setBusy(null);
  };

  return (
    <div>
      <p class="lead">{t('alerts.intro')}</p>
      <Checkbox name="open" label={t('alerts.openOnly')} checked={openOnly}
                onChecked={(v) => { setOpenOnly(v); setCursors(['']); }} />
      <RevealSwitch reveal={reveal} onReveal={setReveal} />
      <ErrorRegion error={error} />
      {!page && !error && <p role="status">{t('common.loading')}</p>}
      {page && (
        <>
          <DataTable<Alert> caption={t('alerts.caption')} rows={page.items}
            rowKey={(a) => String(a.id)} class="alerts-table"
            empty={openOnly ? t('alerts.noneOpen') : t('alerts.empty')}
            columns={[
              { key: 'severity', header: t('alerts.severity'), cell: (a) => (
                <span class={`badge badge--${a.severity}`}>{label('alerts.severity.', a.severity)}</span>
              ) },
              { key: 'rule', header: t('alerts.rule'), cell: (a) => label('alerts.rule.', a.rule) },
              { key: 'summary', header: t('alerts.summary'), cell: (a) => a.summary },
              { key: 'tenant', header: t('alerts.tenant'), cell: (a) => a.tenant || t('scope.server') },
              { key: 'created', header: t('alerts.created'), cell: (a) => formatDateTime(a.created) },
              { key: 'state', header: t('alerts.state'), cell: (a) => isOpen(a)
                ? <span class="badge badge--open">{t('alerts.open')}</span>
                : t('alerts.acknowledgedBy', { jid: a.acknowledged_by ?? '',
                                               time: formatDateTime(a.acknowledged_at) }) },
              can('alert.acknowledge') && {
                key: 'actions', header: t('common.actions'), cell: (a) => isOpen(a) && (
                  <Button variant="quiet" busy={busy === a.id} onClick={() => acknowledge(a)}>
                    {t('alerts.acknowledge')}<span class="rp-visually-hidden"> {a.summary}</span>
                  </Button>
                ),
              },
            ]} />
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
