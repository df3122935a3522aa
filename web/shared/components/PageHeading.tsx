import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

// The page's <h1>. It takes focus when it appears (after navigation, sign-in steps), so that
// keyboard and screen reader users start at the top of the new content.
export function PageHeading({ children, focus = true }:
  { children: ComponentChildren; focus?: boolean }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (focus) ref.current?.focus();
  }, []);
  return <h1 ref={ref} class="rp-page-heading" tabIndex={-1} data-page-heading="">{children}</h1>;
}
