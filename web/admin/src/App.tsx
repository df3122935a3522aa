import { useEffect, useState } from 'preact/hooks';
import { lang, onLangChange, t } from '../../shared/i18n';
import { Button, LanguageSwitcher, RecoveryCodes, ToastRegion, TotpEnrolment, toast } from '../../shared/components';
import { ApiError, del, get, onUnauthorized, problemText, setCsrfToken } from './api';
import type { Session } from './api';
import { SessionContext, roleName, scopeName } from './session';
import { SignIn } from './pages/SignIn';
import type { Notice } from './pages/SignIn';
import { FirstPassword, ChangePasswordDialog } from './pages/Password';
import { Shell } from './Shell';

export function App() {
  const [, setShownLang] = useState(lang());
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [notice, setNotice] = useState<Notice | null>(null);
  const [recoveryCodes, setRecoveryCodes] = useState<string[] | null>(null);
  const [changingPassword, setChangingPassword] = useState(false);

  const adopt = (s: Session) => {
    setCsrfToken(s.csrf_token);
    setSession(s);
    setNotice(null);
  };
  const ended = (next: Notice | null) => {
    setCsrfToken('');
    setSession(null);
    setRecoveryCodes(null);
    setChangingPassword(false);
    setNotice(next);
  };

  useEffect(() => {
    const off = onLangChange(setShownLang);
    onUnauthorized((detail) => ended({ kind: 'warning', title: t('signIn.sessionEnded'), text: detail }));
    get<Session>('/api/v1/session', undefined, { expect401: true })
      .then(adopt)
      .catch((e: unknown) => ended(e instanceof ApiError && e.status === 401 ? null
        : { kind: 'error', text: problemText(e) }));
    return () => {
      off();
      onUnauthorized(null);
    };
  }, []);

  useEffect(() => {
    if (!session || session.stage !== 'active' || recoveryCodes) {
      document.title = t('app.documentTitle');
    }
  });

  const signOut = async () => {
    try {
      await del('/api/v1/session');
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

  let content;
  if (session === undefined) {
    content = <main id="main" tabIndex={-1} class="app-main app-main--narrow">
      <p class="loading" role="status">{t('common.loading')}</p>
    </main>;
  } else if (session === null) {
    content = <SignIn notice={notice} onSignedIn={adopt} />;
  } else if (session.stage === 'password_change') {
    content = <FirstPassword onDone={adopt} />;
  } else if (session.stage === 'totp_enrolment') {
    content = <TotpEnrolment<Session> startPath="/api/v1/session/totp"
      confirmPath="/api/v1/session/totp/confirm" step={t('firstSignIn.step', { n: 2, of: 3 })}
      onDone={(s, codes) => { setRecoveryCodes(codes); adopt(s); }} />;
  } else if (recoveryCodes) {
    content = <RecoveryCodes jid={session.jid} codes={recoveryCodes}
      step={t('firstSignIn.step', { n: 3, of: 3 })} onContinue={() => setRecoveryCodes(null)} />;
  } else {
    content = <Shell />;
  }

  const active = session?.stage === 'active' && !recoveryCodes;
  return (
    <SessionContext.Provider value={session ?? null}>
      <a class="skip-link" href="#main" onClick={skip}>{t('app.skip')}</a>
      <header class="app-header">
        <div class="brand">
          <img class="brand__logo" src="/favicon.svg" alt="" width={28} height={28} />
          <span class="brand__name">Rampart</span>
          <span class="brand__product">{t('app.console')}</span>
        </div>
        <div class="header-tools">
          {session && (
            <p class="whoami" aria-label={t('app.signedInAs')}>
              <span class="whoami__jid">{session.jid}</span>
              <span class="whoami__role">{roleName(session.role)}</span>
              <span class="whoami__scope">{scopeName(session.tenant)}</span>
            </p>
          )}
          <LanguageSwitcher />
          {active && (
            <Button variant="quiet" onClick={() => setChangingPassword(true)}>
              {t('password.change')}
            </Button>
          )}
          {session && <Button variant="secondary" onClick={signOut}>{t('app.signOut')}</Button>}
        </div>
      </header>
      {content}
      {changingPassword && <ChangePasswordDialog onClose={() => setChangingPassword(false)} />}
      <ToastRegion />
    </SessionContext.Provider>
  );
}
