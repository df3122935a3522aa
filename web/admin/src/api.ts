// The admin API's records. The request functions are shared with the account center
// (web/shared/api.ts).
export * from '../../shared/api';

export type Role = 'sysadmin' | 'secadmin' | 'auditor';
export type Stage = 'password_change' | 'totp_enrolment' | 'active';

export interface Session {
  jid: string;
  role: Role;
  tenant: string | null;
  stage: Stage;
  csrf_token: string;
  permissions: string[];
}

export interface Status {
  status: string;
  version: string;
  connections: number;
  sessions: number;
  negotiating: number;
  messages_routed: number;
}

export interface Tenant {
  name: string;
  display_name: string;
  accounts: number;
}

export interface User {
  jid: string;
  user: string;
  role: Role | null;
  sessions: number;
  frozen: { mode: 'lock' | 'suspend'; until: string | null; reason: string } | null;
}

export interface UserSession {
  jid: string;
  address: string;
  since: string;
}

export interface RoleGrant {
  jid: string;
  role: Role;
  tenant: string | null;
  granted: string;
  granted_by: string;
}

export interface ApiToken {
  id: string;
  jid: string;
  role: Role;
  tenant: string | null;
  created: string;
  expires: string;
  last_used: string | null;
  label: string;
}

export interface AuditRecord {
  seq: number;
  time: string;
  actor: string;
  role: string;
  source: string;
  client: string;
  tenant: string;
  action: string;
  object: string;
  result: string;
  reason?: string;
  request_id?: string;
  details?: Record<string, string>;
}

export interface Verification {
  intact: boolean;
  records_checked: number;
  tree_size: number;
  root: string;
  problem: string | null;
  first_bad_record: number | null;
}

export interface Alert {
  id: number;
  rule: string;
  severity: string;
  tenant: string | null;
  summary: string;
  created: string;
  acknowledged_by: string | null;
  acknowledged_at: string | null;
}

