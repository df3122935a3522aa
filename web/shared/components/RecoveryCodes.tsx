import { useState } from 'preact/hooks';
import { t } from '../i18n';
import { saveFile } from '../download';
import { Button } from './Button';
import { Checkbox } from './Field';
import { CopyButton } from './CopyButton';
import { InlineAlert } from './Alert';
import { PageHeading } from './PageHeading';

// The recovery codes, shown once, right after enrolment (or after new ones are made).
export function RecoveryCodes({ jid, codes, step, continueLabel, onContinue }: {
  jid: string;
  codes: string[];
  step?: string;
  continueLabel?: string;
  onContinue: () => void;
}) {
  const [saved, setSaved] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const text = `${t('recovery.fileHeader', { jid })}\n\n${codes.join('\n')}\n`;

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
        {step && <p class="steps-label">{step}</p>}
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
        <Button variant="primary" onClick={next}>{continueLabel ?? t('recovery.continue')}</Button>
      </div>
    </main>
  );
}
