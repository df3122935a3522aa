import { useState } from 'preact/hooks';
import { t } from '../i18n';

// Copies text to the clipboard and says whether it worked.
export function CopyButton({ text, label }: { text: string; label?: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setState('copied');
    } catch {
      setState('failed');
    }
  };
  return (
    <span class="rp-copy">
      <button type="button" class="rp-button rp-button--secondary" onClick={copy}>
        {label ?? t('common.copy')}
      </button>
      <span class="rp-copy__status" role="status">
        {state === 'copied' ? t('common.copied') : state === 'failed' ? t('common.copyFailed') : ''}
      </span>
    </span>
  );
}
