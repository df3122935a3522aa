import type { JSX } from 'preact';

export type ButtonVariant = 'primary' | 'secondary' | 'danger' | 'quiet';

export type ButtonProps = Omit<JSX.ButtonHTMLAttributes<HTMLButtonElement>, 'type'> & {
  type?: 'button' | 'submit' | 'reset';
  variant?: ButtonVariant;
  // Work in progress: the button stays focusable and announces itself busy; the handler
  // ignores further presses.
  busy?: boolean;
};

export function Button({ type = 'button', variant = 'secondary', busy = false, class: cls,
                         children, ...rest }: ButtonProps) {
  const classes = ['rp-button', `rp-button--${variant}`, busy ? 'rp-button--busy' : '', cls ?? '']
    .filter(Boolean).join(' ');
  return (
    <button type={type} class={classes} aria-busy={busy ? 'true' : undefined} {...rest}>
      {children}
    </button>
  );
}
