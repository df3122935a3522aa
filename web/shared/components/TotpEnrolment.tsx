import { useEffect, useState } from 'preact/hooks';
import { t } from '../i18n';
import { post, problemText } from '../api';
import type { TotpEnrolment as Enrolment } from '../api';
import { Button } from './Button';
import { ErrorRegion } from './Alert';
import { PageHeading } from './PageHeading';
import { TextField } from './Field';

// The SVG document as a data: URL for an <img>: it is never put into the page's DOM.
export function svgDataUrl(svg: string): string {
  const bytes = new TextEncoder().encode(svg);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return `data:image/svg+xml;base64,${btoa(binary)}`;
}

export function groupSecret(secret: string): string {
  return secret.replace(/\s+/g, '').replace(/(.{4})(?=.)/g, '$1 ');
}

// TOTP enrolment: an authenticator app learns the secret (QR code or typed), and one of its
// codes confirms it. `startPath` answers a new secret, `confirmPath` takes {code} and answers
// the session with its ten recovery codes. `step`: where this is in a sequence, if it is.
export function TotpEnrolment<S>({ startPath, confirmPath, step, onDone }: {
  startPath: string;
  confirmPath: string;
  step?: string;
  onDone: (s: S, recoveryCodes: string[]) => void;
}) {
  const [enrolment, setEnrolment] = useState<Enrolment | null>(null);
  const [code, setCode] = useState('');
  const [codeError, setCodeError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const start = async () => {
    setError(null);
    setEnrolment(null);
    try {
      setEnrolment(await post<Enrolment>(startPath));
    } catch (err) {
      setError(problemText(err));
    }
  };
  useEffect(() => { void start(); }, []);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    const digits = code.replace(/\s+/g, '');
    if (!/^[0-9]{6}$/.test(digits)) {
      setCodeError(t('totp.codeFormat'));
      document.getElementById('totp-code')?.focus();
      return;
    }
    setCodeError(null);
    setError(null);
    setBusy(true);
    try {
      const r = await post<S & { recovery_codes: string[] }>(confirmPath, { code: digits });
      const { recovery_codes: codes, ...session } = r;
      onDone(session as S, codes);
    } catch (err) {
      setError(problemText(err));
      setBusy(false);
      document.getElementById('totp-code')?.focus();
    }
  };

  return (
    <main id="main" tabIndex={-1} class="app-main app-main--narrow">
      <div class="card">
        {step && <p class="steps-label">{step}</p>}
        <PageHeading>{t('totp.title')}</PageHeading>
        <p class="lead">{t('totp.intro')}</p>
        <ErrorRegion error={error} />
        {!enrolment && !error && <p role="status">{t('common.loading')}</p>}
        {!enrolment && error && <Button onClick={start}>{t('common.retry')}</Button>}
        {enrolment && (
          <ol class="totp-steps">
            <li>
              <h2 class="step-title">{t('totp.scanTitle')}</h2>
              <p>{t('totp.scanText')}</p>
              <img class="totp-qr" src={svgDataUrl(enrolment.qr_svg)} alt={t('totp.qrAlt')}
                   width={220} height={220} />
            </li>
            <li>
              <h2 class="step-title">{t('totp.manualTitle')}</h2>
              <p>{t('totp.manualText')}</p>
              <p class="rp-secret" id="totp-secret" data-secret={enrolment.secret}>
                {groupSecret(enrolment.secret)}
              </p>
              <p class="muted">
                {t('totp.parameters', { algorithm: enrolment.algorithm, digits: enrolment.digits,
                                        period: enrolment.period })}
              </p>
            </li>
            <li>
              <h2 class="step-title">{t('totp.confirmTitle')}</h2>
              <form class="form" onSubmit={submit} noValidate>
                <TextField id="totp-code" class="rp-field--short" label={t('totp.code')} hint={t('totp.codeHint')}
                           name="code" inputMode="numeric" autocomplete="one-time-code"
                           maxLength={7} spellcheck={false} value={code} onValue={setCode}
                           error={codeError} />
                <Button type="submit" variant="primary" busy={busy}>{t('totp.confirm')}</Button>
              </form>
            </li>
          </ol>
        )}
      </div>
    </main>
  );
}
