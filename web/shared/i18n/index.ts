// One message catalogue for Rampart's web consoles: English and Simplified Chinese, the same
// keys in both files. t(key, params) fills {name} placeholders. The language comes from the
// browser (zh* gives zh-CN) until the person picks one; that choice is kept in localStorage.
import en from './en.json';
import zhCN from './zh-CN.json';

export type Lang = 'en' | 'zh-CN';
export type MessageKey = keyof typeof en;
export type Params = Record<string, string | number>;

// Typed as complete catalogues: a key missing from zh-CN.json fails the type check.
const catalogues: Record<Lang, Record<MessageKey, string>> = { en, 'zh-CN': zhCN };

export const languages: ReadonlyArray<{ code: Lang; name: string }> = [
  { code: 'en', name: 'English' },
  { code: 'zh-CN', name: '简体中文' },
];

const storageKey = 'rampart.lang';
const listeners = new Set<(lang: Lang) => void>();

function isLang(value: unknown): value is Lang {
  return value === 'en' || value === 'zh-CN';
}

export function browserLang(): Lang {
  const preferred = (typeof navigator !== 'undefined' && navigator.language) || 'en';
  return preferred.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}

function storedLang(): Lang | null {
  try {
    const v = localStorage.getItem(storageKey);
    return isLang(v) ? v : null;
  } catch {
    return null;
  }
}

let current: Lang = storedLang() ?? browserLang();

export function lang(): Lang {
  return current;
}

function apply(): void {
  if (typeof document !== 'undefined') {
    document.documentElement.lang = current;
  }
}
apply();

export function setLang(next: Lang): void {
  current = next;
  try {
    localStorage.setItem(storageKey, next);
  } catch {
    // Private mode without storage: the choice lasts until the page is left.
  }
  apply();
  for (const fn of listeners) fn(next);
}

export function onLangChange(fn: (lang: Lang) => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function t(key: MessageKey, params?: Params): string {
  const text = catalogues[current][key] ?? catalogues.en[key] ?? key;
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole);
}

export function hasKey(key: string): key is MessageKey {
  return key in catalogues.en;
}

export function formatNumber(n: number, digits?: number): string {
  return new Intl.NumberFormat(current, digits === undefined ? undefined : {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(n);
}

// A date-time from the API (ISO 8601, UTC) in the reader's time zone; the input when it is not one.
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(current, { dateStyle: 'medium', timeStyle: 'medium' }).format(d);
}
