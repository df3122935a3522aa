import { useEffect, useState } from 'preact/hooks';
import { t } from '../../../shared/i18n';
import { Button, Checkbox, ErrorRegion, PasswordField, TextField, toast } from '../../../shared/components';
import { api, post, problemText } from '../api';
import { passkeysSupported, resetWithPasskey } from '../passkey';

type Next = 'code' | 'questions' | 'second_factor' | 'password';
interface Step {
  reset_id: string;
  next: Next;
  questions?: string[];
  factors?: Array<'totp' | 'passkey'>;  // at the second-factor step
}

// "Forgot your password?": the account, a code by text message, the security questions and
// the second factor when the account has them, then a new password. Every answer before the
// code is the same for every account name.
export function ResetFlow({ onDone, onCancel }: { onDone: () => void; onCancel: () => void }) {
  const [jid, setJid] = useState('');
  const [step, setStep] = useState<Step | null>(null);
  const [value, setValue] = useState('');
  const [answers, setAnswers] = useState<string[]>([]);
  const [next, setNext] = useState('');
  const [keep, setKeep] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    document.querySelector<HTMLElement>('#reset-main input')?.focus();
  }, [step?.next]);

  const call = async (fn: () => Promise<void>) => {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      await fn();
    } catch (err) {
      setError(problemText(err));
    }
    setBusy(false);
  };

  const base = `${api}/reset/${encodeURIComponent(step?.reset_id ?? '')}`;
  const path = (p: string) => `${base}/${p}`;
  const factors = step?.factors ?? ['totp'];
  const usePasskey = () => void call(async () => {
    try {
      setStep(await resetWithPasskey<Step>(base));
    } catch (err) {
      if (err instanceof DOMException) throw new Error(t('account.passkeyCancelled'));
      throw err;
    }
  });
  const submit = (e: Event) => {
    e.preventDefault();
    void call(async () => {
      if (!step) {
        setStep(await post<Step>(`${api}/reset`, { jid: jid.trim() }, { expect401: true }));
      } else if (step.next === 'code') {
        setStep(await post<Step>(path('code'), { code: value.trim() }));
      } else if (step.next === 'questions') {
        setStep(await post<Step>(path('questions'), { answers }));
      } else if (step.next === 'second_factor') {
        setStep(await post<Step>(path('second-factor'), { code: value.replace(/\s+/g, '') }));
      } else {
        await post(path('password'), { new_password: next, keep_sessions: keep });
        toast(t('reset.done'));
        onDone();
        return;
      }
      setValue('');
    });
  };

  return (
    <main id="main" tabIndex={-1} class="app-main app-main--narrow">
      <div class="card" id="reset-main">
        <h1 class="rp-page-heading">{t('reset.title')}</h1>
        <ErrorRegion error={error} />
        <form class="form" onSubmit={submit} noValidate>
          {!step && (
            <>
              <p class="lead">{t('reset.intro')}</p>
              <TextField id="reset-jid" label={t('account.jid')} name="jid" autocomplete="username"
                         inputMode="email" spellcheck={false} autocapitalize="off"
                         value={jid} onValue={setJid} />
            </>
          )}
          {step?.next === 'code' && (
            <>
              <p class="lead">{t('reset.codeSent')}</p>
              <TextField id="reset-code" label={t('reset.code')} name="code" inputMode="numeric"
                         autocomplete="one-time-code" maxLength={6} value={value} onValue={setValue} />
            </>
          )}
          {step?.next === 'questions' && (step.questions ?? []).map((q, i) => (
            <TextField key={q} id={`reset-answer-${i}`} label={q} name={`answer-${i}`}
                       value={answers[i] ?? ''}
                       onValue={(v) => { const a = [...answers]; a[i] = v; setAnswers(a); }} />
          ))}
          {step?.next === 'second_factor' && factors.includes('totp') && (
            <TextField id="reset-factor" label={t('signIn.code')} hint={t('account.codeHint')}
                       name="code" autocomplete="one-time-code" value={value} onValue={setValue} />
          )}
          {step?.next === 'second_factor' && !factors.includes('totp') && (
            <p class="lead">{t('reset.passkeyOnly')}</p>
          )}
          {step?.next === 'password' && (
            <>
              <PasswordField id="reset-password" label={t('password.new')} name="new"
                             autocomplete="new-password" value={next} onValue={setNext} />
              <Checkbox id="reset-keep" name="keep" label={t('reset.keepSessions')}
                        checked={keep} onChecked={setKeep} />
            </>
          )}
          <div class="rp-button-row">
            {!(step?.next === 'second_factor' && !factors.includes('totp')) && (
              <Button type="submit" variant="primary" busy={busy}>{t('reset.continue')}</Button>
            )}
            {step?.next === 'second_factor' && factors.includes('passkey') && passkeysSupported() && (
              <Button variant={factors.includes('totp') ? 'secondary' : 'primary'} busy={busy}
                      onClick={usePasskey}>{t('account.usePasskey')}</Button>
            )}
            {step?.next === 'code' && (
              <Button onClick={() => void call(async () => {
                await post(path('resend'));
                toast(t('reset.resent'));
              })}>{t('reset.resend')}</Button>
            )}
            <Button variant="quiet" onClick={onCancel}>{t('common.cancel')}</Button>
          </div>
        </form>
      </div>
    </main>
  );
}
