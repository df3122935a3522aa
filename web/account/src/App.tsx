import { useEffect, useState } from 'preact/hooks';
import { lang, onLangChange, t } from '../../shared/i18n';
import { Button, LanguageSwitcher, RecoveryCodes, ToastRegion, TotpEnrolment, toast } from '../../shared/components';
import { ApiError, api, del, get, onUnauthorized, problemText, setCsrfToken } from './api';
import type { Session } from './api';
import { SignIn, SecondFactor } from './pages/SignIn';
import type { Notice } from './pages/SignIn';
import { ForcedPassword } from './pages/Password';
import { Home } from './pages/Home';
import { ResetFlow } from './pages/Reset';
import { ConsentGate } from './pages/Privacy';

// What the page shows besides the stages of the sign-in: enrolment and new recovery codes
// take the whole page, then it returns to the account's home.
type View = { kind: 'home' } | { kind: 'enrol' } | { kind: 'codes'; codes: string[] };

export function App() {
  const [, setShownLang] = useState(lang());
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [notice, setNotice] = useState<Notice | null>(null);
  const [view, setView] = useState<View>({ kind: 'home' });
  const [resetting, setResetting] = useState(false);

  const adopt = (s: Session) => {
    setCsrfToken(s.csrf_token);
    setSession(s);
    setNotice(null);
  };
  const ended = (next: Notice | null) => {
    setCsrfToken('');
    setSession(null);
    setView({ kind: 'home' });
    setNotice(next);
  };
  const refresh = async () => {
    try {
      adopt(await get<Session>(`${api}/session`));
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 401)) toast(problemText(e), 'error');
    }
  };

  useEffect(() => {
    const off = onLangChange(setShownLang);
    onUnauthorized((detail) => ended({ kind: 'warning', title: t('signIn.sessionEnded'), text: detail }));
    get<Session>(`${api}/session`, undefined, { expect401: true })
      .then(adopt)
      .catch((e: unknown) => ended(e instanceof ApiError && e.status === 401 ? null
        : { kind: 'error', text: problemText(e) }));
    return () => {
      off();
      onUnauthorized(null);
    };
  }, []);

  useEffect(() => {
    document.title = t('account.documentTitle');
  });

  const signOut = async () => {
    try {
      await del(`${api}/session`);
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 401)) {
        toast(problemText(e), 'error');
        return;
      }
    }
    ended({ kind: 'info', text: t('signIn.signedOut') });
  };

  const skip = (e: MouseEvent) => {
    e.preventDefault();
    document.getElementById('main')?.focus();
  };

  const enrolled = (s: Session, codes: string[]) => {
    adopt(s);
    setView({ kind: 'codes', codes });
  };

  let content;
  if (session === undefined) {
    content = <main id="main" tabIndex={-1} class="app-main app-main--narrow">
      <p class="loading" role="status">{t('common.loading')}</p>
    </main>;
  } else if (session === null && resetting) {
    content = <ResetFlow onCancel={() => setResetting(false)} onDone={() => {
      setResetting(false);
      setNotice({ kind: 'success', text: t('reset.done') });
    }} />;
  } else if (session === null) {
    content = <SignIn notice={notice} onSignedIn={adopt} onForgot={() => setResetting(true)} />;
  } else if (session.stage === 'second_factor') {
    content = <SecondFactor onDone={adopt} onRestart={() => ended(null)} />;
  } else if (session.stage === 'password_change') {
    content = <ForcedPassword session={session} onDone={adopt} />;
  } else if (session.stage === 'active' && session.consent_required) {
    content = <ConsentGate onAccepted={refresh} onDecline={signOut} />;
  } else if (view.kind === 'codes') {
    content = <RecoveryCodes jid={session.jid} codes={view.codes} continueLabel={t('account.continue')}
      onContinue={() => setView({ kind: 'home' })} />;
  } else if (session.stage === 'totp_enrolment' || view.kind === 'enrol') {
    content = <TotpEnrolment<Session> startPath={`${api}/totp`} confirmPath={`${api}/totp/confirm`}
      step={session.stage === 'totp_enrolment' ? t('account.factorRequiredNow') : undefined}
      onDone={enrolled} />;
  } else {
    content = <Home session={session} onChanged={refresh} onEnrol={() => setView({ kind: 'enrol' })}
      onCodes={(codes) => setView({ kind: 'codes', codes })}
      onErased={(report) => ended({
        kind: 'info', title: t('privacy.erasedTitle'),
        text: t('privacy.erasedText', { jid: report.account }),
      })}
      onSignedOutEverywhere={(notMe) => ended({
        kind: 'warning', title: t('account.signedOutEverywhere'),
        text: notMe ? t('account.changePasswordNow') : t('account.signInAgain'),
      })} />;
  }

  return (
    <>
      <a class="skip-link" href="#main" onClick={skip}>{t('app.skip')}</a>
      <header class="app-header">
        <div class="brand">
          <img class="brand__logo" src="/account/favicon.svg" alt="" width={28} height={28} />
          <span class="brand__name">Rampart</span>
          <span class="brand__product">{t('account.product')}</span>
        </div>
        <div class="header-tools">
          {session && session.stage !== 'second_factor' && (
            <p class="whoami" aria-label={t('app.signedInAs')}>
              <span class="whoami__jid">{session.jid}</span>
              {session.tenant && <span class="whoami__scope">{session.tenant}</span>}
            </p>
          )}
          <LanguageSwitcher />
          {session && <Button variant="secondary" onClick={signOut}>{t('app.signOut')}</Button>}
        </div>
      </header>
      {content}
      <ToastRegion />
    </>
  );
}
