import type { ComponentChildren } from 'preact';
import { navigate } from './router';

// An in-app link: a real <a href> (it opens in a new tab too), followed without a reload.
export function Link({ to, children, current, class: cls }:
  { to: string; children: ComponentChildren; current?: boolean; class?: string }) {
  const go = (e: MouseEvent) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(to);
  };
  return (
    <a href={to} class={cls} aria-current={current ? 'page' : undefined} onClick={go}>{children}</a>
  );
}
