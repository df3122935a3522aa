import { useId } from 'preact/hooks';
import { lang, languages, setLang, t } from '../i18n';
import type { Lang } from '../i18n';

// The language menu; the choice is remembered in this browser.
export function LanguageSwitcher() {
  const id = `l${useId()}`;
  return (
    <div class="rp-language">
      <label for={id} class="rp-language__label">{t('language.label')}</label>
      <select id={id} class="rp-input rp-language__select" value={lang()}
              onChange={(e) => setLang(e.currentTarget.value as Lang)}>
        {languages.map((l) => (
          <option key={l.code} value={l.code} lang={l.code}>{l.name}</option>
        ))}
      </select>
    </div>
  );
}
