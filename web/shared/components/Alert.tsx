import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { t } from '../i18n';

export type AlertKind = 'error' | 'warning' | 'success' | 'info';

// A message in the page. Errors are role="alert" (read out at once), others role="status".
export function InlineAlert({ kind = 'info', title, children, class: cls }:
  { kind?: AlertKind; title?: ComponentChildren; children?: ComponentChildren; class?: string }) {
  return (
    <div class={`rp-alert rp-alert--${kind} ${cls ?? ''}`}
         role={kind === 'error' ? 'alert' : 'status'}>
      {title && <p class="rp-alert__title">{title}</p>}
      {children && <div class="rp-alert__body">{children}</div>}
    </div>
  );
}

// An error's region that is always in the page (empty, it takes no room), so that what
// appears in it is announced.
export function ErrorRegion({ error, title }:
  { error: string | null | undefined; title?: ComponentChildren }) {
  return (
    <div class="rp-error-region" aria-live="assertive" aria-atomic="true">
      {error && (
        <div class="rp-alert rp-alert--error">
          {title && <p class="rp-alert__title">{title}</p>}
          <p class="rp-alert__body">{error}</p>
        </div>
      )}
    </div>
  );
}

export function EmptyState({ children }: { children: ComponentChildren }) {
  return <p class="rp-empty">{children}</p>;
}

// Toasts: short confirmations that go away by themselves, in a polite live region.
export interface Toast {
  id: number;
  kind: AlertKind;
  message: string;
}

let toasts: Toast[] = [];
let nextId = 1;
const toastListeners = new Set<(list: Toast[]) => void>();

function publish() {
  for (const fn of toastListeners) fn(toasts);
}

export function dismissToast(id: number): void {
  toasts = toasts.filter((x) => x.id !== id);
  publish();
}

export function toast(message: string, kind: AlertKind = 'success', ms = 8000): void {
  const id = nextId++;
  toasts = [...toasts, { id, kind, message }];
  publish();
  window.setTimeout(() => dismissToast(id), ms);
}

export function ToastRegion() {
  const [list, setList] = useState<Toast[]>(toasts);
  useEffect(() => {
    toastListeners.add(setList);
    return () => { toastListeners.delete(setList); };
  }, []);
  return (
    <div class="rp-toasts" role="status" aria-live="polite">
      {list.map((x) => (
        <div key={x.id} class={`rp-toast rp-alert--${x.kind}`}>
          <span class="rp-toast__message">{x.message}</span>
          <button type="button" class="rp-button rp-button--quiet rp-toast__close"
                  aria-label={t('common.dismiss')} onClick={() => dismissToast(x.id)}>×</button>
        </div>
      ))}
    </div>
  );
}
