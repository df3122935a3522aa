import { useState } from 'preact/hooks';
import { t } from '../../../shared/i18n';
import { Button, Checkbox, CopyButton, InlineAlert, PageHeading } from '../../../shared/components';
import { useSession } from '../session';
import { saveFile } from '../download';

// The recovery codes, shown once, right after enrolment.
export function RecoveryCodes({ codes, onContinue }: { codes: string[]; onContinue: () => void }) {
  const session = useSession();
  const [saved, setSaved] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const text = `${t('recovery.fileHeader', { jid: session.jid })}\n\n${codes.join('\n')}\n`;

  const next = () => {
    if (!saved) {
      setError(t('recovery.confirmFirst'));
      document.getElementById('recovery-saved')?.focus();
      return;
    }
    onContinue();
  };

  return (
    <main id="main" tabIndex={-1} class="app-main app-main--narrow">
      <div class="card">
        <p class="steps-label">{t('firstSignIn.step', { n: 3, of: 3 })}</p>
        <PageHeading>{t('recovery.title')}</PageHeading>
        <InlineAlert kind="warning" title={t('recovery.saveNow')}>{t('recovery.explain')}</InlineAlert>
        <ol class="recovery-codes" aria-label={t('recovery.title')}>
          {codes.map((c) => <li key={c}><code>{c}</code></li>)}
        </ol>
        <div class="rp-button-row">
          <CopyButton text={codes.join('\n')} label={t('recovery.copy')} />
          <Button onClick={() => saveFile(text, 'rampart-recovery-codes.txt')}>
            {t('recovery.download')}
          </Button>
        </div>
        <Checkbox id="recovery-saved" name="saved" label={t('recovery.acknowledge')}
                  checked={saved} onChecked={(v) => { setSaved(v); if (v) setError(null); }}
                  error={error} />
        <Button variant="primary" onClick={next}>{t('recovery.continue')}</Button>
      </div>
    </main>
  );
}
