import { useEffect, useRef, useState } from 'preact/hooks';
import { formatDateTime, formatNumber, t } from '../../../shared/i18n';
import { ErrorRegion } from '../../../shared/components';
import { get, problemText } from '../api';
import type { ScanStatus, Status } from '../api';
import { useCan } from '../session';
import { countOpenAlerts } from '../alerts';
import { Link } from '../Link';

const pollMs = 10000;

interface Sample {
  at: number;
  routed: number;
}

function Stat({ label, value, hint, name }:
  { label: string; value: string; hint?: string; name: string }) {
  return (
    <div class={`stat stat-${name}`}>
      <dt class="stat__label">{label}</dt>
      <dd class="stat__value">{value}</dd>
      {hint && <dd class="stat__hint">{hint}</dd>}
    </div>
  );
}

// Health, connections, sessions and the message rate (from two readings), refreshed every
// 10 s while the page is visible; and how many alerts are open.
export function Overview() {
  const can = useCan();
  const [status, setStatus] = useState<Status | null>(null);
  const [rate, setRate] = useState<number | null>(null);
  const [updated, setUpdated] = useState<string | null>(null);
  const [scanners, setScanners] = useState<ScanStatus[] | null>(null);
  const [openAlerts, setOpenAlerts] = useState<{ count: number; more: boolean } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const last = useRef<Sample | null>(null);

  useEffect(() => {
    let stopped = false;
    let timer = 0;
    const poll = async () => {
      window.clearTimeout(timer);
      try {
        if (can('server.status')) {
          const s = await get<Status>('/api/v1/status');
          if (stopped) return;
          const now = performance.now();
          const prev = last.current;
          if (prev && now > prev.at && s.messages_routed >= prev.routed) {
            setRate((s.messages_routed - prev.routed) / ((now - prev.at) / 1000));
          }
          last.current = { at: now, routed: s.messages_routed };
          setStatus(s);
          const scan = await get<{ items: ScanStatus[] }>('/api/v1/scan/status');
          if (stopped) return;
          setScanners(scan.items);
        }
        if (can('alert.read')) {
          const open = await countOpenAlerts();
          if (stopped) return;
          setOpenAlerts(open);
        }
        setUpdated(new Date().toISOString());
        setError(null);
      } catch (e) {
        if (!stopped) setError(problemText(e));
      }
      if (!stopped && document.visibilityState === 'visible') {
        window.clearTimeout(timer);
        timer = window.setTimeout(poll, pollMs);
      }
    };
    const visibility = () => {
      if (document.visibilityState === 'visible') void poll();
      else window.clearTimeout(timer);
    };
    document.addEventListener('visibilitychange', visibility);
    void poll();
    return () => {
      stopped = true;
      window.clearTimeout(timer);
      document.removeEventListener('visibilitychange', visibility);
    };
  }, []);

  return (
    <div>
      <ErrorRegion error={error} />
      {can('server.status') && (
        <section class="card" aria-labelledby="health-heading">
          <h2 id="health-heading">{t('overview.health')}</h2>
          {!status ? <p role="status">{t('common.loading')}</p> : (
            <>
              <p class={`health health--${status.status === 'ok' ? 'ok' : 'bad'}`}>
                <span class="health__dot" aria-hidden="true" />
                {status.status === 'ok' ? t('overview.healthy') : t('overview.unhealthy', { status: status.status })}
                <span class="muted"> · {t('overview.version', { version: status.version })}</span>
              </p>
              <dl class="stats">
                <Stat name="connections" label={t('overview.connections')} value={formatNumber(status.connections)} />
                <Stat name="sessions" label={t('overview.sessions')} value={formatNumber(status.sessions)} />
                <Stat name="negotiating" label={t('overview.negotiating')} value={formatNumber(status.negotiating)} />
                <Stat name="routed" label={t('overview.messagesRouted')} value={formatNumber(status.messages_routed)} />
                <Stat name="rate" label={t('overview.messageRate')}
                      value={rate === null ? '—' : t('overview.perSecond', { n: formatNumber(rate, 1) })}
                      hint={rate === null ? t('overview.rateWaiting') : undefined} />
              </dl>
            </>
          )}
        </section>
      )}
      {can('server.status') && scanners && (
        <section class="card" aria-labelledby="scan-heading">
          <h2 id="scan-heading">{t('overview.scanning')}</h2>
          <ul class="scan-list">
            {scanners.map((s) => (
              <li key={s.socket ?? ''} class={`scan scan--${!s.socket ? 'off' : s.reachable ? 'ok' : 'bad'}`}>
                <strong>{s.tenants.join(', ')}</strong>{': '}
                {!s.socket ? t('overview.scanOff')
                  : !s.reachable ? t('overview.scanDown', { error: s.error ?? '' })
                  : t('overview.scanUp', {
                    engine: s.engine ?? '',
                    signatures: s.signature_version
                      ? t('overview.signatures', { version: s.signature_version, date: s.signature_date ?? '' })
                      : t('overview.localSignatures'),
                  })}
              </li>
            ))}
          </ul>
        </section>
      )}
      {can('alert.read') && (
        <section class="card" aria-labelledby="alerts-heading">
          <h2 id="alerts-heading">{t('overview.alerts')}</h2>
          <dl class="stats">
            <Stat name="open-alerts" label={t('overview.openAlerts')}
                  value={openAlerts === null ? '—'
                    : `${formatNumber(openAlerts.count)}${openAlerts.more ? '+' : ''}`} />
          </dl>
          <p><Link to="/alerts">{t('overview.seeAlerts')}</Link></p>
        </section>
      )}
      {updated && <p class="muted">{t('overview.updated', { time: formatDateTime(updated) })}</p>}
    </div>
  );
}
