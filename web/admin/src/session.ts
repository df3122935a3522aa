import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Role, Session } from './api';
import { t } from '../../shared/i18n';
import type { MessageKey } from '../../shared/i18n';

export type Permission =
  | 'user.read' | 'user.write' | 'session.end' | 'admin.read' | 'role.write' | 'token.own'
  | 'token.manage' | 'audit.read' | 'audit.export' | 'alert.read' | 'alert.acknowledge'
  | 'server.status' | 'tenant.read' | 'login.read' | 'account.freeze' | 'quarantine.read'
  | 'quarantine.decide' | 'address.read' | 'personal.reveal';

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('no session');
  return s;
}

export function can(session: Session | null, permission: Permission): boolean {
  return Boolean(session?.permissions.includes(permission));
}

export function useCan(): (permission: Permission) => boolean {
  const s = useContext(SessionContext);
  return (p) => can(s, p);
}

const roleKeys: Record<Role, MessageKey> = {
  sysadmin: 'role.sysadmin',
  secadmin: 'role.secadmin',
  auditor: 'role.auditor',
  reviewer: 'role.reviewer',
};

export function roleName(role: string | null | undefined): string {
  if (!role) return '';
  return role in roleKeys ? t(roleKeys[role as Role]) : role;
}

export function scopeName(tenant: string | null | undefined): string {
  return tenant ? tenant : t('scope.server');
}
