import type { ComponentChildren } from 'preact';
import { useEffect } from 'preact/hooks';
import { t } from '../../shared/i18n';
import { PageHeading } from '../../shared/components';
import { navigate, routeOf, routes, useLocation } from './router';
import { Link } from './Link';
import type { RouteInfo, RouteName } from './router';
import { can, useSession } from './session';
import { Overview } from './pages/Overview';
import { Tenants } from './pages/Tenants';
import { Users } from './pages/Users';
import { Admins } from './pages/Admins';
import { Tokens } from './pages/Tokens';
import { Audit } from './pages/Audit';
import { Alerts } from './pages/Alerts';
import { Logins } from './pages/Logins';
import { Review } from './pages/Review';

const pages: Record<RouteName, () => ComponentChildren> = {
  overview: () => <Overview />,
  tenants: () => <Tenants />,
  users: () => <Users />,
  admins: () => <Admins />,
  tokens: () => <Tokens />,
  audit: () => <Audit />,
  alerts: () => <Alerts />,
  logins: () => <Logins />,
  review: () => <Review />,
};

// The signed-in console: navigation for what the role may use, and the current page.
export function Shell() {
  const session = useSession();
  const loc = useLocation();
  const allowed = routes.filter((r) => r.needs.some((p) => can(session, p)));
  const route: RouteInfo | undefined = routeOf(loc.path);
  const usable = route && allowed.includes(route);
  const home = allowed[0]?.path ?? '/';

  useEffect(() => {
    // The root, and pages this role cannot use, lead to the role's first page.
    if (loc.path === '/' || (route && !usable)) navigate(home, true);
  }, [loc.path, usable]);

  useEffect(() => {
    const title = usable ? t(route.title) : t('notFound.title');
    document.title = `${title} · ${t('app.documentTitle')}`;
  });

  return (
    <div class="layout">
      <nav class="side-nav" aria-label={t('nav.label')}>
        <ul>
          {allowed.map((r) => (
            <li key={r.name}>
              <Link to={r.path} current={route?.name === r.name} class={`nav-${r.name}`}>
                {t(r.title)}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" tabIndex={-1} class="app-main">
        {usable ? (
          <div key={route.name} class={`page page-${route.name}`}>
            <PageHeading>{t(route.title)}</PageHeading>
            {pages[route.name]()}
          </div>
        ) : loc.path === '/' || route ? null : (
          <div key="not-found" class="page">
            <PageHeading>{t('notFound.title')}</PageHeading>
            <p>{t('notFound.text')}</p>
            <p><Link to={home}>{t('notFound.home')}</Link></p>
          </div>
        )}
      </main>
    </div>
  );
}
