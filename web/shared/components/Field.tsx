import type { ComponentChildren, JSX } from 'preact';
import { useId, useState } from 'preact/hooks';
import { t } from '../i18n';

interface FieldFrame {
  label: ComponentChildren;
  hint?: ComponentChildren;
  error?: string | null;
  class?: string;
}

function describedBy(...ids: Array<string | false | undefined | null>): string | undefined {
  const list = ids.filter(Boolean);
  return list.length ? list.join(' ') : undefined;
}

export type TextFieldProps = FieldFrame &
  Omit<JSX.InputHTMLAttributes<HTMLInputElement>, 'label' | 'value' | 'class'> & {
    value: string;
    onValue: (value: string) => void;
    suffix?: ComponentChildren;
  };

// A labelled text input; hint and error are tied to the input with aria-describedby.
export function TextField({ label, hint, error, class: cls, value, onValue, id, suffix,
                            ...input }: TextFieldProps) {
  const auto = useId();
  const fieldId = (typeof id === 'string' && id) || `f${auto}`;
  const hintId = hint ? `${fieldId}-hint` : undefined;
  const errorId = error ? `${fieldId}-error` : undefined;
  const suffixId = suffix ? `${fieldId}-suffix` : undefined;
  return (
    <div class={`rp-field ${cls ?? ''}`}>
      <label for={fieldId} class="rp-field__label">{label}</label>
      {hint && <p id={hintId} class="rp-field__hint">{hint}</p>}
      <div class="rp-field__control">
        <input id={fieldId} class="rp-input" value={value}
               aria-invalid={error ? 'true' : undefined}
               aria-describedby={describedBy(hintId, suffixId, errorId)}
               onInput={(e) => onValue(e.currentTarget.value)} {...input} />
        {suffix && <span id={suffixId} class="rp-field__suffix">{suffix}</span>}
      </div>
      {error && <p id={errorId} class="rp-field__error">{error}</p>}
    </div>
  );
}

// A password input with a button that shows or hides what was typed.
export function PasswordField(props: Omit<TextFieldProps, 'type' | 'suffix'>) {
  const [shown, setShown] = useState(false);
  const auto = useId();
  const fieldId = (typeof props.id === 'string' && props.id) || `p${auto}`;
  return (
    <div class="rp-password">
      <TextField {...props} id={fieldId} type={shown ? 'text' : 'password'}
                 spellcheck={false} autocapitalize="off" />
      <button type="button" class="rp-button rp-button--quiet rp-password__toggle"
              aria-controls={fieldId} aria-pressed={shown ? 'true' : 'false'}
              onClick={() => setShown(!shown)}>
        {shown ? t('field.hidePassword') : t('field.showPassword')}
      </button>
    </div>
  );
}

export interface Option {
  value: string;
  label: string;
}

export type SelectFieldProps = FieldFrame &
  Omit<JSX.SelectHTMLAttributes<HTMLSelectElement>, 'label' | 'value' | 'class'> & {
    value: string;
    onValue: (value: string) => void;
    options: Option[];
  };

export function SelectField({ label, hint, error, class: cls, value, onValue, options, id,
                              ...select }: SelectFieldProps) {
  const auto = useId();
  const fieldId = (typeof id === 'string' && id) || `s${auto}`;
  const hintId = hint ? `${fieldId}-hint` : undefined;
  const errorId = error ? `${fieldId}-error` : undefined;
  return (
    <div class={`rp-field ${cls ?? ''}`}>
      <label for={fieldId} class="rp-field__label">{label}</label>
      {hint && <p id={hintId} class="rp-field__hint">{hint}</p>}
      <select id={fieldId} class="rp-input" value={value}
              aria-invalid={error ? 'true' : undefined}
              aria-describedby={describedBy(hintId, errorId)}
              onChange={(e) => onValue(e.currentTarget.value)} {...select}>
        {options.map((o) => <option key={o.value} value={o.value}>{o.label}</option>)}
      </select>
      {error && <p id={errorId} class="rp-field__error">{error}</p>}
    </div>
  );
}

export type CheckboxProps = Omit<JSX.InputHTMLAttributes<HTMLInputElement>, 'label' | 'class'> & {
  label: ComponentChildren;
  checked: boolean;
  onChecked: (checked: boolean) => void;
  error?: string | null;
  class?: string;
};

export function Checkbox({ label, checked, onChecked, error, class: cls, id, ...input }:
  CheckboxProps) {
  const auto = useId();
  const fieldId = (typeof id === 'string' && id) || `c${auto}`;
  const errorId = error ? `${fieldId}-error` : undefined;
  return (
    <div class={`rp-check ${cls ?? ''}`}>
      <input id={fieldId} type="checkbox" checked={checked}
             aria-invalid={error ? 'true' : undefined} aria-describedby={errorId}
             onChange={(e) => onChecked(e.currentTarget.checked)} {...input} />
      <label for={fieldId}>{label}</label>
      {error && <p id={errorId} class="rp-field__error">{error}</p>}
    </div>
  );
}
