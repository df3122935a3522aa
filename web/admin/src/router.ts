// Client-side routes on the History API; the server answers every path without a dot with
// the console's index.html.
import { useEffect, useState } from 'preact/hooks';
import type { MessageKey } from '../../shared/i18n';
import type { Permission } from './session';

export type RouteName = 'overview' | 'tenants' | 'users' | 'admins' | 'tokens' | 'audit' | 'alerts'
  | 'logins' | 'review';

export interface RouteInfo {
  name: RouteName;
  path: string;
  title: MessageKey;
  // Any one of these lets the page be used.
  needs: Permission[];
}

export const routes: RouteInfo[] = [
  { name: 'overview', path: '/overview', title: 'nav.overview', needs: ['server.status', 'alert.read'] },
  { name: 'tenants', path: '/tenants', title: 'nav.tenants', needs: ['tenant.read'] },
  { name: 'users', path: '/users', title: 'nav.users', needs: ['user.read'] },
  { name: 'admins', path: '/administrators', title: 'nav.admins', needs: ['admin.read'] },
  { name: 'tokens', path: '/tokens', title: 'nav.tokens', needs: ['token.own', 'token.manage'] },
  { name: 'audit', path: '/audit', title: 'nav.audit', needs: ['audit.read'] },
  { name: 'alerts', path: '/alerts', title: 'nav.alerts', needs: ['alert.read'] },
  { name: 'logins', path: '/sign-ins', title: 'nav.logins', needs: ['login.read'] },
  { name: 'review', path: '/review', title: 'nav.review', needs: ['quarantine.read'] },
];

export interface Location {
  path: string;
  query: URLSearchParams;
}

const listeners = new Set<() => void>();

function read(): Location {
  return { path: window.location.pathname, query: new URLSearchParams(window.location.search) };
}

export function navigate(to: string, replace = false): void {
  if (to === window.location.pathname + window.location.search) return;
  if (replace) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  for (const fn of listeners) fn();
}

export function useLocation(): Location {
  const [loc, setLoc] = useState(read);
  useEffect(() => {
    const update = () => setLoc(read());
    listeners.add(update);
    window.addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      window.removeEventListener('popstate', update);
    };
  }, []);
  return loc;
}

export function routeOf(path: string): RouteInfo | undefined {
  const clean = path.length > 1 ? path.replace(/\/+$/, '') : path;
  return routes.find((r) => r.path === clean);
}
