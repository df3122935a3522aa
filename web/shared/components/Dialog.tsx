import type { ComponentChildren } from 'preact';
import { useId, useLayoutEffect, useRef } from 'preact/hooks';
import { t } from '../i18n';

export interface DialogProps {
  title: ComponentChildren;
  onClose: () => void;
  children: ComponentChildren;
  // Buttons at the bottom; a Close button is added when none are given.
  actions?: ComponentChildren;
  // A CSS selector inside the dialog for the element that gets focus when it opens;
  // otherwise the first field, else the dialog's heading.
  initialFocus?: string;
  // 'alertdialog' for confirmations of destructive actions.
  role?: 'dialog' | 'alertdialog';
  class?: string;
}

// A modal dialog (the platform's <dialog>: focus stays inside, Escape closes it). Rendered
// while open; when it goes away focus returns to what opened it, or to the page heading.
export function Dialog({ title, onClose, children, actions, initialFocus, role = 'dialog',
                         class: cls }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = `d${useId()}`;
  const close = useRef(onClose);
  close.current = onClose;
  useLayoutEffect(() => {
    const dialog = ref.current;
    if (!dialog) return undefined;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (!dialog.open) dialog.showModal();
    const target = (initialFocus && dialog.querySelector<HTMLElement>(initialFocus)) ||
      dialog.querySelector<HTMLElement>('input:not([type=hidden]), select, textarea') ||
      dialog.querySelector<HTMLElement>('.rp-dialog__title');
    target?.focus();
    const cancel = (e: Event) => {
      e.preventDefault();
      close.current();
    };
    dialog.addEventListener('cancel', cancel);
    return () => {
      dialog.removeEventListener('cancel', cancel);
      if (dialog.open) dialog.close();
      const back = opener && opener.isConnected ? opener
        : document.querySelector<HTMLElement>('[data-page-heading]');
      back?.focus();
    };
  }, []);
  return (
    <dialog ref={ref} class={`rp-dialog ${cls ?? ''}`} aria-labelledby={titleId}
            role={role === 'alertdialog' ? 'alertdialog' : undefined}>
      <h2 id={titleId} class="rp-dialog__title" tabIndex={-1}>{title}</h2>
      <div class="rp-dialog__body">{children}</div>
      <div class="rp-dialog__actions">
        {actions ?? (
          <button type="button" class="rp-button rp-button--secondary" onClick={onClose}>
            {t('common.close')}
          </button>
        )}
      </div>
    </dialog>
  );
}
