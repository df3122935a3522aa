import { useEffect, useState } from 'preact/hooks';
import { t } from '../../../shared/i18n';
import {
  Button, Checkbox, CopyButton, DataTable, Dialog, ErrorRegion, InlineAlert, LoginTable,
  Pagination, PageHeading, TextField, toast,
} from '../../../shared/components';
import { api, del, get, post, problemText, seg } from '../api';
import type { Device, LoginRecord, Page, Passkey, Session, WebSession, XmppSession } from '../api';
import { addPasskey, passkeysSupported } from '../passkey';
import { PasswordSection } from './Password';
import { RecoverySection } from './Recovery';
import { PrivacySection } from './Privacy';
import type { ErasureReport } from './Privacy';

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : t('account.never'));

// The account's home: second factor, device credentials, sessions, sign-in history, password.
export function Home({ session, onChanged, onEnrol, onCodes, onSignedOutEverywhere, onErased }: {
  session: Session;
  onErased: (report: ErasureReport) => void;
  onChanged: () => void;
  onEnrol: () => void;
  onCodes: (codes: string[]) => void;
  onSignedOutEverywhere: (notMe: boolean) => void;
}) {
  return (
    <main id="main" tabIndex={-1} class="app-main account-home">
      <PageHeading>{t('account.homeTitle')}</PageHeading>
      <nav class="account-nav" aria-label={t('account.sections')}>
        <ul>
          <li><a href="#security">{t('account.securityTitle')}</a></li>
          <li><a href="#passkeys">{t('account.passkeysTitle')}</a></li>
          <li><a href="#devices">{t('account.devicesTitle')}</a></li>
          <li><a href="#sessions">{t('account.sessionsTitle')}</a></li>
          <li><a href="#history">{t('account.historyTitle')}</a></li>
          <li><a href="#recovery">{t('recoveryOptions.title')}</a></li>
          <li><a href="#password">{t('password.change')}</a></li>
          <li><a href="#privacy">{t('privacy.title')}</a></li>
        </ul>
      </nav>
      <SecuritySection session={session} onEnrol={onEnrol} onCodes={onCodes} />
      <PasskeysSection onChanged={onChanged} />
      <DevicesSection />
      <SessionsSection onSignedOutEverywhere={onSignedOutEverywhere} />
      <HistorySection />
      <RecoverySection />
      <div id="password"><PasswordSection session={session} onDone={() => onChanged()} /></div>
      <PrivacySection session={session} onErased={onErased} />
    </main>
  );
}

function SecuritySection({ session, onEnrol, onCodes }:
  { session: Session; onEnrol: () => void; onCodes: (codes: string[]) => void }) {
  const f = session.second_factor;
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const renew = async () => {
    setBusy(true);
    setError(null);
    try {
      const r = await post<{ recovery_codes: string[] }>(`${api}/recovery-codes`);
      onCodes(r.recovery_codes);
    } catch (err) {
      setError(problemText(err));
      setBusy(false);
    }
  };
  return (
    <section id="security" class="card" aria-labelledby="security-heading">
      <h2 id="security-heading">{t('account.securityTitle')}</h2>
      {f?.totp && (
        <>
          <p><span class="badge badge--success">{t('account.totpOn')}</span></p>
          <p class="muted" id="recovery-left">{t('account.recoveryLeft', { n: f.recovery_codes_left })}</p>
          <Button onClick={() => setConfirming(true)}>{t('account.newRecoveryCodes')}</Button>
        </>
      )}
      {!f?.totp && (f?.passkeys ?? 0) > 0 && (
        <p><span class="badge badge--success">{t('account.passkeysOn', { n: f?.passkeys ?? 0 })}</span></p>
      )}
      {!f?.totp && (
        <>
          {f?.standing === 'grace' && (
            <InlineAlert kind="warning" title={t('account.factorRequired')}>
              {f.grace_until
                ? t('account.graceUntil', { date: new Date(f.grace_until).toLocaleString() })
                : t('account.factorRequiredSoon')}
            </InlineAlert>
          )}
          {(f?.passkeys ?? 0) === 0 && <p>{t('account.totpOff')}</p>}
          <Button variant="primary" onClick={onEnrol}>{t('totp.title')}</Button>
        </>
      )}
      {confirming && (
        <Dialog title={t('account.newRecoveryCodes')} role="alertdialog"
                onClose={() => setConfirming(false)}
                actions={<>
                  <Button onClick={() => setConfirming(false)}>{t('common.cancel')}</Button>
                  <Button variant="primary" busy={busy} onClick={renew}>{t('account.makeCodes')}</Button>
                </>}>
          <ErrorRegion error={error} />
          <p>{t('account.newCodesWarning')}</p>
        </Dialog>
      )}
    </section>
  );
}

function PasskeysSection({ onChanged }: { onChanged: () => void }) {
  const [keys, setKeys] = useState<Passkey[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [name, setName] = useState('');
  const [nameError, setNameError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [removing, setRemoving] = useState<Passkey | null>(null);

  const load = async () => {
    try {
      setKeys((await get<{ items: Passkey[] }>(`${api}/passkeys`)).items);
      setError(null);
    } catch (err) {
      setError(problemText(err));
    }
  };
  useEffect(() => { void load(); }, []);

  const add = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    if (!name.trim()) {
      setNameError(t('account.passkeyNameMissing'));
      document.getElementById('passkey-name')?.focus();
      return;
    }
    setNameError(null);
    setBusy(true);
    try {
      await addPasskey(name.trim());
      toast(t('account.passkeyAdded', { name: name.trim() }));
      setName('');
      await load();
      onChanged();
    } catch (err) {
      setNameError(err instanceof DOMException ? t('account.passkeyCancelled') : problemText(err));
    }
    setBusy(false);
  };

  const remove = async () => {
    if (!removing) return;
    try {
      await del(`${api}/passkeys/${seg(removing.id)}`);
      toast(t('account.passkeyRemoved', { name: removing.name }));
      setRemoving(null);
      await load();
      onChanged();
    } catch (err) {
      setRemoving(null);
      toast(problemText(err), 'error');
    }
  };

  return (
    <section id="passkeys" class="card" aria-labelledby="passkeys-heading">
      <h2 id="passkeys-heading">{t('account.passkeysTitle')}</h2>
      <p class="muted">{t('account.passkeysIntro')}</p>
      <ErrorRegion error={error} />
      <DataTable<Passkey> caption={t('account.passkeysTitle')} rows={keys ?? []} busy={keys === null}
        rowKey={(k) => k.id} empty={t('account.noPasskeys')} columns={[
          { key: 'name', header: t('account.deviceName'), cell: (k) => k.name },
          { key: 'alg', header: t('account.algorithm'), cell: (k) => k.algorithm },
          { key: 'created', header: t('account.created'), cell: (k) => when(k.created) },
          { key: 'used', header: t('account.lastUsed'), cell: (k) => when(k.last_used) },
          { key: 'actions', header: t('common.actions'), cell: (k) => (
            <Button variant="quiet" class="danger-text" onClick={() => setRemoving(k)}
                    aria-label={t('account.removeNamed', { name: k.name })}>
              {t('account.remove')}
            </Button>) },
        ]} />
      {passkeysSupported() ? (
        <form class="form form--inline" onSubmit={add} noValidate>
          <TextField id="passkey-name" label={t('account.passkeyName')} hint={t('account.passkeyNameHint')}
                     name="passkey" maxLength={64} value={name} onValue={setName} error={nameError} />
          <Button type="submit" variant="primary" busy={busy}>{t('account.addPasskey')}</Button>
        </form>
      ) : <p>{t('account.passkeysUnsupported')}</p>}
      {removing && (
        <Dialog title={t('account.removeTitle', { name: removing.name })} role="alertdialog"
                onClose={() => setRemoving(null)}
                actions={<>
                  <Button onClick={() => setRemoving(null)}>{t('common.cancel')}</Button>
                  <Button variant="danger" onClick={remove}>{t('account.remove')}</Button>
                </>}>
          <p>{t('account.removeText')}</p>
        </Dialog>
      )}
    </section>
  );
}

function DevicesSection() {
  const [devices, setDevices] = useState<Device[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [name, setName] = useState('');
  const [nameError, setNameError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<(Device & { password: string }) | null>(null);
  const [revoking, setRevoking] = useState<Device | null>(null);

  const load = async () => {
    try {
      setDevices((await get<{ items: Device[] }>(`${api}/devices`)).items);
      setError(null);
    } catch (err) {
      setError(problemText(err));
    }
  };
  useEffect(() => { void load(); }, []);

  const add = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    if (!name.trim()) {
      setNameError(t('account.deviceNameMissing'));
      document.getElementById('device-name')?.focus();
      return;
    }
    setNameError(null);
    setBusy(true);
    try {
      setCreated(await post<Device & { password: string }>(`${api}/devices`, { name: name.trim() }));
      setName('');
      await load();
    } catch (err) {
      setNameError(problemText(err));
    }
    setBusy(false);
  };

  const revoke = async () => {
    if (!revoking) return;
    try {
      await del(`${api}/devices/${seg(revoking.id)}`);
      toast(t('account.deviceRevoked', { name: revoking.name }));
      setRevoking(null);
      await load();
    } catch (err) {
      toast(problemText(err), 'error');
    }
  };

  return (
    <section id="devices" class="card" aria-labelledby="devices-heading">
      <h2 id="devices-heading">{t('account.devicesTitle')}</h2>
      <p class="muted">{t('account.devicesIntro')}</p>
      <ErrorRegion error={error} />
      <DataTable<Device> caption={t('account.devicesTitle')} rows={devices ?? []} busy={devices === null}
        rowKey={(d) => d.id} empty={t('account.noDevices')} columns={[
          { key: 'name', header: t('account.deviceName'), cell: (d) => d.name },
          { key: 'client', header: t('account.client'), cell: (d) => d.client || '—' },
          { key: 'created', header: t('account.created'), cell: (d) => when(d.created) },
          { key: 'used', header: t('account.lastUsed'), cell: (d) => when(d.last_used) },
          { key: 'address', header: t('account.address'), cell: (d) => d.last_address ?? '—' },
          { key: 'actions', header: t('common.actions'), cell: (d) => (
            <Button variant="quiet" class="danger-text" onClick={() => setRevoking(d)}
                    aria-label={t('account.revokeNamed', { name: d.name })}>
              {t('account.revoke')}
            </Button>) },
        ]} />
      <form class="form form--inline" onSubmit={add} noValidate>
        <TextField id="device-name" label={t('account.deviceName')} hint={t('account.deviceNameHint')}
                   name="device" maxLength={64} value={name} onValue={setName} error={nameError} />
        <Button type="submit" variant="primary" busy={busy}>{t('account.addDevice')}</Button>
      </form>
      {created && (
        <Dialog title={t('account.appPasswordTitle', { name: created.name })}
                onClose={() => setCreated(null)}>
          <p>{t('account.appPasswordText')}</p>
          <p class="rp-secret" id="app-password">{created.password}</p>
          <CopyButton text={created.password} />
        </Dialog>
      )}
      {revoking && (
        <Dialog title={t('account.revokeTitle', { name: revoking.name })} role="alertdialog"
                onClose={() => setRevoking(null)}
                actions={<>
                  <Button onClick={() => setRevoking(null)}>{t('common.cancel')}</Button>
                  <Button variant="danger" onClick={revoke}>{t('account.revoke')}</Button>
                </>}>
          <p>{t('account.revokeText')}</p>
        </Dialog>
      )}
    </section>
  );
}

function SessionsSection({ onSignedOutEverywhere }: { onSignedOutEverywhere: (notMe: boolean) => void }) {
  const [xmpp, setXmpp] = useState<XmppSession[] | null>(null);
  const [web, setWeb] = useState<WebSession[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [asking, setAsking] = useState<null | { notMe: boolean }>(
    window.location.hash === '#not-me' ? { notMe: true } : null);
  const [revokeDevices, setRevokeDevices] = useState(true);
  const [busy, setBusy] = useState(false);

  const load = async () => {
    try {
      const r = await get<{ xmpp: XmppSession[]; web: WebSession[] }>(`${api}/sessions`);
      setXmpp(r.xmpp);
      setWeb(r.web);
      setError(null);
    } catch (err) {
      setError(problemText(err));
    }
  };
  useEffect(() => { void load(); }, []);

  const logout = async () => {
    if (!asking) return;
    setBusy(true);
    try {
      await post(`${api}/logout`, { revoke_devices: revokeDevices, not_me: asking.notMe });
      onSignedOutEverywhere(asking.notMe);
    } catch (err) {
      setError(problemText(err));
      setBusy(false);
      setAsking(null);
    }
  };

  return (
    <section id="sessions" class="card" aria-labelledby="sessions-heading">
      <h2 id="sessions-heading">{t('account.sessionsTitle')}</h2>
      <ErrorRegion error={error} />
      <h3>{t('account.chatSessions')}</h3>
      <DataTable<XmppSession> caption={t('account.chatSessions')} rows={xmpp ?? []} busy={xmpp === null}
        rowKey={(s) => s.resource + s.since} empty={t('account.noChatSessions')} columns={[
          { key: 'resource', header: t('account.device'), cell: (s) => s.resource },
          { key: 'address', header: t('account.address'), cell: (s) => s.address },
          { key: 'since', header: t('account.since'), cell: (s) => when(s.since) },
        ]} />
      <h3>{t('account.webSessions')}</h3>
      <DataTable<WebSession> caption={t('account.webSessions')} rows={web ?? []} busy={web === null}
        rowKey={(s) => s.id} empty="—" columns={[
          { key: 'client', header: t('account.client'), cell: (s) => (
            <>{s.client || '—'} {s.current && <span class="badge badge--success">{t('account.thisSession')}</span>}</>) },
          { key: 'address', header: t('account.address'), cell: (s) => s.address },
          { key: 'since', header: t('account.since'), cell: (s) => when(s.since) },
        ]} />
      <div class="rp-button-row">
        <Button onClick={() => setAsking({ notMe: false })}>{t('account.signOutEverywhere')}</Button>
        <Button variant="danger" onClick={() => setAsking({ notMe: true })}>{t('account.notMe')}</Button>
      </div>
      {asking && (
        <Dialog title={asking.notMe ? t('account.notMe') : t('account.signOutEverywhere')}
                role="alertdialog" onClose={() => setAsking(null)}
                actions={<>
                  <Button onClick={() => setAsking(null)}>{t('common.cancel')}</Button>
                  <Button variant="danger" busy={busy} onClick={logout}>{t('account.signOutEverywhere')}</Button>
                </>}>
          <p>{asking.notMe ? t('account.notMeText') : t('account.signOutEverywhereText')}</p>
          <Checkbox id="revoke-devices" name="revoke" label={t('account.alsoRevoke')}
                    checked={revokeDevices} onChecked={setRevokeDevices} />
        </Dialog>
      )}
    </section>
  );
}

function HistorySection() {
  const [page, setPage] = useState<Page<LoginRecord> | null>(null);
  const [cursors, setCursors] = useState<string[]>(['']);
  const [error, setError] = useState<string | null>(null);
  const load = async (cursor: string) => {
    try {
      setPage(await get<Page<LoginRecord>>(`${api}/logins`, { limit: 20, cursor }));
      setError(null);
    } catch (err) {
      setError(problemText(err));
    }
  };
  useEffect(() => { void load(cursors[cursors.length - 1]); }, [cursors]);
  return (
    <section id="history" class="card" aria-labelledby="history-heading">
      <h2 id="history-heading">{t('account.historyTitle')}</h2>
      <p class="muted">{t('account.historyIntro')}</p>
      <ErrorRegion error={error} />
      <LoginTable caption={t('account.historyTitle')} rows={page?.items ?? []} busy={page === null} />
      <Pagination page={cursors.length} hasPrevious={cursors.length > 1}
        hasNext={Boolean(page?.next_cursor)}
        onPrevious={() => setCursors(cursors.slice(0, -1))}
        onNext={() => page?.next_cursor && setCursors([...cursors, page.next_cursor])} />
    </section>
  );
}
