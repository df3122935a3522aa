import { useId } from 'preact/hooks';
import { Checkbox } from '../../shared/components';
import { t } from '../../shared/i18n';
import { useCan } from './session';

// Views of personal data come masked from the server. A role holding personal.reveal may ask
// for the clear values; the server records each such request in the audit log.
export function RevealSwitch({ reveal, onReveal }:
  { reveal: boolean; onReveal: (on: boolean) => void }) {
  const can = useCan();
  const hint = `reveal-hint${useId()}`;
  if (!can('personal.reveal')) return null;
  return (
    <div class="reveal">
      <Checkbox name="reveal" label={t('reveal.label')} checked={reveal} onChecked={onReveal}
                aria-describedby={hint} />
      <p id={hint} class="muted small">{t('reveal.hint')}</p>
    </div>
  );
}

// The query parameter of a view asked for in clear.
export const revealQuery = (on: boolean): string | undefined => (on ? 'true' : undefined);
