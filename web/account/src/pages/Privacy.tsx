import { useEffect, useState } from 'preact/hooks';
import { lang, t } from '../../../shared/i18n';
import {
  Button, Dialog, ErrorRegion, InlineAlert, PageHeading, PasswordField, TextField, toast,
} from '../../../shared/components';
import { saveFile } from '../../../shared/download';
import { api, get, post, problemText } from '../api';
import type { PrivacyInfo, Session } from '../api';

const when = (iso: string) => new Date(iso).toLocaleString();

function loadPrivacy(): Promise<PrivacyInfo> {
  return get<PrivacyInfo>(`${api}/privacy`, { lang: lang() });
}

// The tenant's privacy notice, asked for before anything else once signed in (and again for
// each new version). Declining signs out: nothing else can be used without it.
export function ConsentGate({ onAccepted, onDecline }: {
  onAccepted: () => void;
  onDecline: () => void;
}) {
  const [info, setInfo] = useState<PrivacyInfo | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    loadPrivacy().then(setInfo, (e: unknown) => setError(problemText(e)));
  }, [lang()]);
  const accept = async () => {
    if (!info?.notice.version) return;
    setBusy(true);
    setError(null);
    try {
      await post(`${api}/privacy/consent`, { version: info.notice.version });
      onAccepted();
    } catch (e) {
      setError(problemText(e));
      setBusy(false);
    }
  };
  const n = info?.notice;
  return (
    <main id="main" tabIndex={-1} class="app-main app-main--narrow privacy-gate">
      <PageHeading>{t('privacy.noticeTitle')}</PageHeading>
      <ErrorRegion error={error} />
      {!n && !error && <p class="loading" role="status">{t('common.loading')}</p>}
      {n && (
        <section class="card" aria-labelledby="notice-heading">
          <h2 id="notice-heading">{t('privacy.version', { version: n.version ?? '' })}</h2>
          <p>{n.accepted ? t('privacy.newVersion', { version: n.accepted.version })
            : t('privacy.firstTime')}</p>
          <div class="privacy-notice__text" tabIndex={0} role="document"
               aria-label={t('privacy.noticeTitle')}>{n.text}</div>
          <div class="privacy-actions">
            <Button variant="primary" busy={busy} onClick={accept}>{t('privacy.accept')}</Button>
            <Button variant="secondary" onClick={onDecline}>{t('privacy.decline')}</Button>
          </div>
        </section>
      )}
    </main>
  );
}

// On the account's home: the notice accepted and when, a legal hold on the account (when the
// organisation shows holds), the person's data as a download, and withdrawal of consent, which
// erases the account.
export function PrivacySection({ session, onErased }: {
  session: Session;
  onErased: (report: ErasureReport) => void;
}) {
  const [info, setInfo] = useState<PrivacyInfo | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [downloading, setDownloading] = useState(false);
  const [withdrawing, setWithdrawing] = useState(false);
  useEffect(() => {
    loadPrivacy().then(setInfo, (e: unknown) => setError(problemText(e)));
  }, [lang()]);
  const download = async () => {
    setDownloading(true);
    setError(null);
    try {
      const blob = await get<Blob>(`${api}/export`, undefined, { as: 'blob' });
      saveFile(blob, `rampart-export-${new Date().toISOString().slice(0, 10)}.zip`,
               'application/zip');
      toast(t('privacy.downloaded'));
    } catch (e) {
      setError(problemText(e));
    }
    setDownloading(false);
  };
  const n = info?.notice;
  return (
    <section id="privacy" class="card" aria-labelledby="privacy-heading">
      <h2 id="privacy-heading">{t('privacy.title')}</h2>
      <ErrorRegion error={error} />
      {info?.legal_hold?.held && (
        <InlineAlert kind="warning" title={t('privacy.heldTitle')}>
          {t('privacy.heldText', { date: info.legal_hold.since ? when(info.legal_hold.since) : '' })}
        </InlineAlert>
      )}
      {n && n.version && n.accepted && (
        <p id="privacy-accepted">{t('privacy.accepted', {
          version: n.accepted.version, date: when(n.accepted.time),
        })}</p>
      )}
      {n && !n.version && <p>{t('privacy.noNotice')}</p>}
      {n?.text && (
        <details class="privacy-notice">
          <summary>{t('privacy.readNotice')}</summary>
          <div class="privacy-notice__text">{n.text}</div>
        </details>
      )}
      <h3>{t('privacy.exportTitle')}</h3>
      <p>{t('privacy.exportText')}</p>
      <Button busy={downloading} onClick={download}>{t('privacy.download')}</Button>
      <h3>{t('privacy.withdrawTitle')}</h3>
      <p>{t('privacy.withdrawText')}</p>
      <Button variant="danger" onClick={() => setWithdrawing(true)}>{t('privacy.withdraw')}</Button>
      {withdrawing && <WithdrawDialog jid={session.jid} onClose={() => setWithdrawing(false)}
                                      onErased={onErased} />}
    </section>
  );
}

export interface ErasureReport {
  account: string;
  removed: Record<string, number>;
}

function WithdrawDialog({ jid, onClose, onErased }: {
  jid: string;
  onClose: () => void;
  onErased: (report: ErasureReport) => void;
}) {
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onErased(await post<ErasureReport>(`${api}/privacy/withdraw`, { password, confirm }));
    } catch (err) {
      setError(problemText(err));
      setBusy(false);
    }
  };
  return (
    <Dialog title={t('privacy.withdrawTitle')} role="alertdialog" onClose={onClose}
            actions={<>
              <Button onClick={onClose}>{t('common.cancel')}</Button>
              <Button variant="danger" busy={busy} type="submit" form="withdraw-form">
                {t('privacy.eraseNow')}
              </Button>
            </>}>
      <form id="withdraw-form" onSubmit={submit}>
        <ErrorRegion error={error} />
        <p>{t('privacy.withdrawWarning')}</p>
        <PasswordField id="withdraw-password" label={t('privacy.password')} value={password}
                       onValue={setPassword} autocomplete="current-password" required />
        <TextField id="withdraw-confirm" label={t('privacy.typeAddress', { jid })} value={confirm}
                   onValue={setConfirm} autocomplete="off" spellcheck={false} required />
      </form>
    </Dialog>
  );
}
