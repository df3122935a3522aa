import { useEffect, useState } from 'preact/hooks';
import { formatDateTime, formatNumber, t } from '../../../shared/i18n';
import type { MessageKey } from '../../../shared/i18n';
import {
  Button, CopyButton, DataTable, ErrorRegion, InlineAlert, Pagination, SelectField, TextField,
} from '../../../shared/components';
import { get, problemText } from '../api';
import type { AuditRecord, Page, Verification } from '../api';
import { roleName, useCan, useSession } from '../session';
import { saveFile } from '../../../shared/download';
import { RevealSwitch, revealQuery } from '../Reveal';

const pageSize = 50;

interface Filters {
  actor: string;
  action: string;
  result: string;
  tenant: string;
  from: string;
  to: string;
}

const noFilters: Filters = { actor: '', action: '', result: '', tenant: '', from: '', to: '' };

const resultKeys: Record<string, MessageKey> = {
  success: 'audit.result.success',
  failure: 'audit.result.failure',
  denied: 'audit.result.denied',
};

export function resultName(result: string): string {
  return result in resultKeys ? t(resultKeys[result]) : result;
}

// A datetime-local value (the reader's time) as the API's UTC date-time, without fractions.
export function toApiTime(local: string): string | undefined {
  if (!local) return undefined;
  const d = new Date(local);
  if (Number.isNaN(d.getTime())) return undefined;
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function stamp(): string {
  return new Date().toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-');
}

export function Audit() {
  const session = useSession();
  const can = useCan();
  const [draft, setDraft] = useState<Filters>(noFilters);
  const [applied, setApplied] = useState<Filters>(noFilters);
  const [cursors, setCursors] = useState<string[]>(['']);
  const [page, setPage] = useState<Page<AuditRecord> | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [verification, setVerification] = useState<Verification | null>(null);
  const [verifying, setVerifying] = useState(false);
  const [key, setKey] = useState<string | null>(null);
  const [toolError, setToolError] = useState<string | null>(null);
  const [reveal, setReveal] = useState(false);
  const cursor = cursors[cursors.length - 1];

  useEffect(() => {
    let stale = false;
    setBusy(true);
    get<Page<AuditRecord>>('/api/v1/audit/events', {
      actor: applied.actor, action: applied.action, result: applied.result,
      tenant: applied.tenant, from: toApiTime(applied.from), to: toApiTime(applied.to),
      cursor, limit: pageSize, reveal: revealQuery(reveal),
    })
      .then((p) => { if (!stale) { setPage(p); setError(null); } })
      .catch((e: unknown) => { if (!stale) setError(problemText(e)); })
      .finally(() => { if (!stale) setBusy(false); });
    return () => { stale = true; };
  }, [applied, cursor, reveal]);

  const field = (name: keyof Filters) => ({
    name,
    value: draft[name],
    onValue: (v: string) => setDraft({ ...draft, [name]: v }),
  });

  const apply = (e: Event) => {
    e.preventDefault();
    setApplied({ ...draft, actor: draft.actor.trim(), action: draft.action.trim(), tenant: draft.tenant.trim() });
    setCursors(['']);
  };
  const clear = () => {
    setDraft(noFilters);
    setApplied(noFilters);
    setCursors(['']);
  };

  const verify = async () => {
    if (verifying) return;
    setVerifying(true);
    setToolError(null);
    setVerification(null);
    try {
      setVerification(await get<Verification>('/api/v1/audit/verification'));
    } catch (e) {
      setToolError(problemText(e));
    }
    setVerifying(false);
  };
  const exportLog = async () => {
    setToolError(null);
    try {
      const blob = await get<Blob>('/api/v1/audit/export', { reveal: revealQuery(reveal) },
                                   { as: 'blob' });
      saveFile(blob, `rampart-audit-${stamp()}.jsonl`);
    } catch (e) {
      setToolError(problemText(e));
    }
  };
  const checkpoint = async () => {
    setToolError(null);
    try {
      const text = await get<string>('/api/v1/audit/checkpoint', undefined, { as: 'text' });
      saveFile(text, `rampart-audit-checkpoint-${stamp()}.txt`);
    } catch (e) {
      setToolError(problemText(e));
    }
  };
  const showKey = async () => {
    setToolError(null);
    try {
      setKey((await get<string>('/api/v1/audit/key', undefined, { as: 'text' })).trim());
    } catch (e) {
      setToolError(problemText(e));
    }
  };

  const results = [
    { value: '', label: t('audit.result.any') },
    { value: 'success', label: t('audit.result.success') },
    { value: 'failure', label: t('audit.result.failure') },
    { value: 'denied', label: t('audit.result.denied') },
  ];

  return (
    <div>
      <p class="lead">{t('audit.intro')}</p>
      <section class="card" aria-labelledby="integrity-heading">
        <h2 id="integrity-heading">{t('audit.integrity')}</h2>
        <div class="rp-button-row">
          <Button variant="primary" class="audit-verify" busy={verifying} onClick={verify}>
            {verifying ? t('audit.verifying') : t('audit.verify')}
          </Button>
          {can('audit.export') && (
            <Button class="audit-export" onClick={exportLog}>{t('audit.export')}</Button>
          )}
          <Button class="audit-checkpoint" onClick={checkpoint}>{t('audit.checkpoint')}</Button>
          <Button class="audit-key" onClick={showKey}>{t('audit.showKey')}</Button>
        </div>
        <ErrorRegion error={toolError} />
        <div aria-live="polite" class="verification">
          {verification && (verification.intact ? (
            <InlineAlert kind="success" title={t('audit.intact')}>
              <p>{t('audit.intactText', { n: formatNumber(verification.records_checked),
                                          size: formatNumber(verification.tree_size) })}</p>
              <p class="hash">{t('audit.root')} <code>{verification.root}</code></p>
            </InlineAlert>
          ) : (
            <InlineAlert kind="error" title={t('audit.notIntact')}>
              <p>{verification.problem}</p>
              {verification.first_bad_record !== null && (
                <p>{t('audit.firstBad', { seq: verification.first_bad_record })}</p>
              )}
            </InlineAlert>
          ))}
        </div>
        {key && (
          <div class="verifier-key">
            <p class="rp-field__label" id="verifier-key-label">{t('audit.key')}</p>
            <p class="muted">{t('audit.keyHint')}</p>
            <pre class="rp-secret" aria-labelledby="verifier-key-label">{key}</pre>
            <CopyButton text={key} />
          </div>
        )}
      </section>

      <form class="card filters" onSubmit={apply} aria-labelledby="filters-heading" noValidate>
        <h2 id="filters-heading">{t('audit.filters')}</h2>
        <div class="filters__grid">
          <TextField label={t('audit.actor')} hint={t('audit.actorHint')} spellcheck={false}
                     autocapitalize="off" {...field('actor')} />
          <TextField label={t('audit.action')} hint={t('audit.actionHint')} spellcheck={false}
                     autocapitalize="off" {...field('action')} />
          <SelectField label={t('audit.result')} options={results} {...field('result')} />
          {!session.tenant && (
            <TextField label={t('audit.tenant')} spellcheck={false} autocapitalize="off"
                       {...field('tenant')} />
          )}
          <TextField label={t('audit.from')} type="datetime-local" step={1} {...field('from')} />
          <TextField label={t('audit.to')} type="datetime-local" step={1} {...field('to')} />
        </div>
        <div class="rp-button-row">
          <Button type="submit" variant="primary">{t('audit.apply')}</Button>
          <Button onClick={clear}>{t('audit.clear')}</Button>
        </div>
      </form>

      <RevealSwitch reveal={reveal} onReveal={setReveal} />
      <ErrorRegion error={error} />
      {!page && !error && <p role="status">{t('common.loading')}</p>}
      {page && (
        <>
          <DataTable<AuditRecord> caption={t('audit.caption')} rows={page.items}
            rowKey={(r) => String(r.seq)} busy={busy} class="audit-table"
            empty={t('audit.empty')}
            columns={[
              { key: 'seq', header: t('audit.seq'), class: 'rp-num', cell: (r) => r.seq },
              { key: 'time', header: t('audit.time'), cell: (r) => <time dateTime={r.time}>{formatDateTime(r.time)}</time> },
              { key: 'actor', header: t('audit.actor'), cell: (r) => (
                <>
                  <span class="jid">{r.actor}</span>
                  {r.role && <span class="muted small"> {roleName(r.role)}</span>}
                </>
              ) },
              { key: 'action', header: t('audit.action'), cell: (r) => <code class="audit-action">{r.action}</code> },
              { key: 'object', header: t('audit.object'), cell: (r) => r.object },
              { key: 'tenant', header: t('audit.tenant'), cell: (r) => r.tenant || '—' },
              { key: 'result', header: t('audit.result'), cell: (r) => (
                <span class={`badge badge--${r.result}`}>{resultName(r.result)}</span>
              ) },
              { key: 'source', header: t('audit.source'), cell: (r) => r.source },
              { key: 'details', header: t('audit.details'), cell: (r) => <Details record={r} /> },
            ]} />
          <Pagination page={cursors.length} hasPrevious={cursors.length > 1}
                      hasNext={Boolean(page.next_cursor)}
                      previousLabel={t('audit.newer')} nextLabel={t('audit.older')}
                      onPrevious={() => setCursors(cursors.slice(0, -1))}
                      onNext={() => page.next_cursor && setCursors([...cursors, page.next_cursor])} />
        </>
      )}
    </div>
  );
}

function Details({ record }: { record: AuditRecord }) {
  const rows: Array<[string, string]> = [];
  if (record.reason) rows.push([t('audit.reason'), record.reason]);
  if (record.client) rows.push([t('audit.client'), record.client]);
  if (record.request_id) rows.push([t('audit.requestId'), record.request_id]);
  for (const [k, v] of Object.entries(record.details ?? {})) rows.push([k, String(v)]);
  if (!rows.length) return null;
  return (
    <details class="audit-details">
      <summary>{t('audit.more')}<span class="rp-visually-hidden"> #{record.seq}</span></summary>
      <dl>
        {rows.map(([k, v]) => <div key={k}><dt>{k}</dt><dd>{v}</dd></div>)}
      </dl>
    </details>
  );
}
