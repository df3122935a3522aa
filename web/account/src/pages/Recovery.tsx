import { useEffect, useState } from 'preact/hooks';
import { t } from '../../../shared/i18n';
import { Button, ErrorRegion, TextField, toast } from '../../../shared/components';
import { api, del, get, post, problemText, put } from '../api';

interface Info {
  sms: boolean;
  phone: string | null;
  phone_added: string | null;
  phone_usable_from: string | null;
  questions_enabled: boolean;
  questions: string[];
}

// How the person can reset a forgotten password: a confirmed phone number, and the security
// questions when the organisation uses them.
export function RecoverySection() {
  const [info, setInfo] = useState<Info | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [number, setNumber] = useState('');
  const [code, setCode] = useState('');
  const [pending, setPending] = useState(false);
  const [items, setItems] = useState([{ q: '', a: '' }, { q: '', a: '' }, { q: '', a: '' }]);

  const load = async () => {
    try {
      setInfo(await get<Info>(`${api}/recovery`));
    } catch (err) {
      setError(problemText(err));
    }
  };
  useEffect(() => { void load(); }, []);

  const act = async (fn: () => Promise<void>) => {
    setError(null);
    try {
      await fn();
    } catch (err) {
      setError(problemText(err));
    }
  };
  const sendCode = (e: Event) => {
    e.preventDefault();
    void act(async () => {
      await post(`${api}/phone`, { number });
      setPending(true);
    });
  };
  const confirm = (e: Event) => {
    e.preventDefault();
    void act(async () => {
      setInfo(await post<Info>(`${api}/phone/confirm`, { code }));
      setPending(false);
      setNumber('');
      setCode('');
      toast(t('recoveryOptions.phoneSaved'));
    });
  };
  const saveQuestions = (e: Event) => {
    e.preventDefault();
    void act(async () => {
      setInfo(await put<Info>(`${api}/security-questions`,
        { items: items.map((i) => ({ question: i.q, answer: i.a })) }));
      setItems([{ q: '', a: '' }, { q: '', a: '' }, { q: '', a: '' }]);
      toast(t('recoveryOptions.questionsSaved'));
    });
  };

  return (
    <section id="recovery" class="card" aria-labelledby="recovery-heading">
      <h2 id="recovery-heading">{t('recoveryOptions.title')}</h2>
      <p class="muted">{t('recoveryOptions.intro')}</p>
      <ErrorRegion error={error} />
      {info?.phone ? (
        <p id="phone-on-file">
          {t('recoveryOptions.phoneOnFile', { phone: info.phone })}{' '}
          {info.phone_usable_from && new Date(info.phone_usable_from) > new Date()
            ? t('recoveryOptions.usableFrom', { date: new Date(info.phone_usable_from).toLocaleDateString() })
            : ''}
          {' '}
          <Button variant="quiet" onClick={() => void act(async () => {
            await del(`${api}/phone`);
            await load();
          })}>{t('account.remove')}</Button>
        </p>
      ) : <p>{t('recoveryOptions.noPhone')}</p>}
      {info?.sms && !pending && (
        <form class="form form--inline" onSubmit={sendCode} noValidate>
          <TextField id="phone-number" label={t('recoveryOptions.phone')} hint={t('recoveryOptions.phoneHint')}
                     name="phone" inputMode="tel" autocomplete="tel" value={number} onValue={setNumber} />
          <Button type="submit">{t('recoveryOptions.sendCode')}</Button>
        </form>
      )}
      {pending && (
        <form class="form form--inline" onSubmit={confirm} noValidate>
          <TextField id="phone-code" label={t('reset.code')} name="code" inputMode="numeric"
                     autocomplete="one-time-code" maxLength={6} value={code} onValue={setCode} />
          <Button type="submit" variant="primary">{t('recoveryOptions.confirm')}</Button>
        </form>
      )}
      {info?.questions_enabled && (
        <form class="form" onSubmit={saveQuestions} noValidate>
          <h3>{t('recoveryOptions.questionsTitle')}</h3>
          {info.questions.length > 0 && <p class="muted">{t('recoveryOptions.questionsSet', { n: info.questions.length })}</p>}
          {items.map((item, i) => (
            <div key={i} class="question-pair">
              <TextField id={`question-${i}`} label={t('recoveryOptions.question', { n: i + 1 })}
                         name={`question-${i}`} value={item.q}
                         onValue={(v) => setItems(items.map((x, j) => (j === i ? { ...x, q: v } : x)))} />
              <TextField id={`answer-${i}`} label={t('recoveryOptions.answer', { n: i + 1 })}
                         name={`answer-${i}`} value={item.a}
                         onValue={(v) => setItems(items.map((x, j) => (j === i ? { ...x, a: v } : x)))} />
            </div>
          ))}
          <Button type="submit">{t('recoveryOptions.saveQuestions')}</Button>
        </form>
      )}
    </section>
  );
}
