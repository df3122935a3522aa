import { useEffect, useState } from 'preact/hooks';
import { formatDateTime, hasKey, t } from '../../../shared/i18n';
import { Button, DataTable, Dialog, ErrorRegion, Pagination, SelectField, TextField, toast }
  from '../../../shared/components';
import { get, post, problemText } from '../api';
import type { HeldMessage, HeldMessageDetail, QueuePage } from '../api';
import { useCan } from '../session';

const pageSize = 50;

// "3 h 5 min": how long an item has waited.
function age(seconds: number): string {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  if (d > 0) return t('review.ageDays', { d, h });
  if (h > 0) return t('review.ageHours', { h, m });
  return t('review.ageMinutes', { m });
}

function fieldName(name: string): string {
  const key = `review.fieldName.${name}`;
  return hasKey(key) ? t(key) : name;
}

function statusLabel(s: HeldMessage['status']): string {
  return t(s === 'pending' ? 'review.status.pending' : s === 'approved' ? 'review.status.approved'
    : 'review.status.rejected');
}

// The content reviewer's queue: messages a content rule held, with filters, counts and age.
// Opening one shows its text with the matched spans highlighted (that view is audited).
export function Review() {
  const [status, setStatus] = useState('pending');
  const [rule, setRule] = useState('');
  const [sender, setSender] = useState('');
  const [cursors, setCursors] = useState<string[]>(['']);
  const [page, setPage] = useState<QueuePage | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [open, setOpen] = useState<HeldMessage | null>(null);
  const [reloads, setReloads] = useState(0);
  const cursor = cursors[cursors.length - 1];

  useEffect(() => {
    let stale = false;
    get<QueuePage>('/api/v1/quarantine', {
      status: status || undefined, rule: rule.trim() || undefined,
      sender: sender.trim() || undefined, cursor: cursor || undefined, limit: pageSize,
    })
      .then((p) => { if (!stale) { setPage(p); setError(null); } })
      .catch((e: unknown) => { if (!stale) setError(problemText(e)); });
    return () => { stale = true; };
  }, [status, rule, sender, cursor, reloads]);

  const filter = (set: (v: string) => void) => (v: string) => { set(v); setCursors(['']); };
  const counts = page?.counts;

  return (
    <div>
      <p class="lead">{t('review.intro')}</p>
      {counts && (
        <ul class="stat-list review-counts" aria-label={t('review.counts')}>
          <li><span class="stat-list__value">{counts.pending}</span> {t('review.status.pending')}</li>
          <li><span class="stat-list__value">{counts.approved}</span> {t('review.status.approved')}</li>
          <li><span class="stat-list__value">{counts.rejected}</span> {t('review.status.rejected')}</li>
          <li>{counts.oldest_pending_age_seconds === null ? t('review.noneWaiting')
            : t('review.oldest', { age: age(counts.oldest_pending_age_seconds) })}</li>
        </ul>
      )}
      <form class="form form--inline review-filters" role="search" aria-label={t('review.filters')}
            onSubmit={(e) => e.preventDefault()}>
        <SelectField label={t('review.status')} name="status" value={status}
                     onValue={filter(setStatus)}
                     options={[{ value: 'pending', label: t('review.status.pending') },
                               { value: 'approved', label: t('review.status.approved') },
                               { value: 'rejected', label: t('review.status.rejected') },
                               { value: '', label: t('review.status.all') }]} />
        <TextField label={t('review.rule')} name="rule" value={rule} onValue={filter(setRule)} />
        <TextField label={t('review.sender')} name="sender" value={sender}
                   onValue={filter(setSender)} />
      </form>
      <ErrorRegion error={error} />
      {!page && !error && <p role="status">{t('common.loading')}</p>}
      {page && (
        <>
          <DataTable<HeldMessage> caption={t('review.caption')} rows={page.items}
            rowKey={(m) => String(m.id)} class="review-table" empty={t('review.empty')}
            columns={[
              { key: 'id', header: t('review.reference'), cell: (m) => String(m.id) },
              { key: 'created', header: t('review.held'), cell: (m) => (
                <span title={formatDateTime(m.created)}>{age(m.age_seconds)}</span>
              ) },
              { key: 'sender', header: t('review.sender'), cell: (m) => m.sender },
              { key: 'recipient', header: t('review.recipient'), cell: (m) => m.recipient },
              { key: 'rule', header: t('review.rule'), cell: (m) => m.rules.join(', ') },
              { key: 'status', header: t('review.status'), cell: (m) => (
                <>
                  <span class={`badge badge--${m.status}`}>{statusLabel(m.status)}</span>
                  {m.reported && <span class="badge badge--reported">{t('review.reported')}</span>}
                </>
              ) },
              { key: 'actions', header: t('common.actions'), cell: (m) => (
                <Button variant="quiet" onClick={() => setOpen(m)}>
                  {t('review.open')}<span class="rp-visually-hidden"> {m.id}</span>
                </Button>
              ) },
            ]} />
          {(cursors.length > 1 || page.next_cursor) && (
            <Pagination page={cursors.length} hasPrevious={cursors.length > 1}
                        hasNext={Boolean(page.next_cursor)}
                        onPrevious={() => setCursors(cursors.slice(0, -1))}
                        onNext={() => page.next_cursor && setCursors([...cursors, page.next_cursor])} />
          )}
        </>
      )}
      {open && <ReviewDialog item={open} onClose={() => setOpen(null)}
                             onDone={() => { setOpen(null); setReloads((n) => n + 1); }} />}
    </div>
  );
}

function ReviewDialog({ item, onClose, onDone }:
  { item: HeldMessage; onClose: () => void; onDone: () => void }) {
  const can = useCan();
  const [detail, setDetail] = useState<HeldMessageDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [reason, setReason] = useState('');
  const [reasonError, setReasonError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    get<HeldMessageDetail>(`/api/v1/quarantine/${encodeURIComponent(String(item.id))}`)
      .then(setDetail)
      .catch((e: unknown) => setError(problemText(e)));
  }, [item.id]);

  const decide = async (approve: boolean) => {
    if (busy) return;
    if (!approve && !reason.trim()) {
      setReasonError(t('review.reasonMissing'));
      return;
    }
    setReasonError(null);
    setBusy(true);
    try {
      await post(`/api/v1/quarantine/${encodeURIComponent(String(item.id))}/${approve ? 'approve' : 'reject'}`,
        reason.trim() ? { reason: reason.trim() } : {});
      toast(t(approve ? 'review.approved' : 'review.rejected', { id: item.id }));
      onDone();
    } catch (e) {
      setError(problemText(e));
      setBusy(false);
    }
  };

  const pending = (detail ?? item).status === 'pending';
  const decider = can('quarantine.decide') && pending;
  return (
    <Dialog class="review-dialog" title={t('review.dialogTitle', { id: item.id })} onClose={onClose}
            actions={<>
      <Button onClick={onClose}>{t('common.close')}</Button>
      {decider && <Button variant="danger" busy={busy} onClick={() => void decide(false)}>
        {t('review.reject')}</Button>}
      {decider && <Button variant="primary" busy={busy} onClick={() => void decide(true)}>
        {t('review.approve')}</Button>}
    </>}>
      <ErrorRegion error={error} />
      <dl class="facts">
        <dt>{t('review.sender')}</dt><dd>{item.sender}</dd>
        <dt>{t('review.recipient')}</dt><dd>{item.recipient}</dd>
        <dt>{t('review.held')}</dt><dd>{formatDateTime(item.created)}</dd>
        <dt>{t('review.rule')}</dt><dd>{item.rules.join(', ')}</dd>
        <dt>{t('review.status')}</dt><dd>{statusLabel((detail ?? item).status)}</dd>
        {item.reason && <><dt>{t('review.reason')}</dt><dd>{item.reason}</dd></>}
      </dl>
      {item.report && (
        <p class="review-report"><strong>{t('review.senderReport')}</strong> {item.report}</p>
      )}
      {!detail && !error && <p role="status">{t('common.loading')}</p>}
      {detail && detail.fields.map((f, i) => (
        <section key={i} class="review-field" aria-label={t('review.field', { name: fieldName(f.name) })}>
          <h3 class="review-field__name">{fieldName(f.name)}</h3>
          <p class="review-field__text">
            {f.segments.map((s, j) => s.rule
              ? <mark key={j} class="review-match" title={s.rule}>
                  {s.text}<span class="rp-visually-hidden"> ({t('review.matchedBy', { rule: s.rule })})</span>
                </mark>
              : <span key={j}>{s.text}</span>)}
          </p>
        </section>
      ))}
      {decider && (
        <TextField label={t('review.reason')} hint={t('review.reasonHint')} name="reason"
                   maxLength={500} value={reason} onValue={setReason} error={reasonError} />
      )}
    </Dialog>
  );
}
