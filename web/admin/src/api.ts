// The admin API's records. The request functions are shared with the account center
// (web/shared/api.ts).
export * from '../../shared/api';
import type { Page } from '../../shared/api';

export type Role = 'sysadmin' | 'secadmin' | 'auditor' | 'reviewer';
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


// A message a content rule held for review (the list carries no message text).
export interface HeldMessage {
  id: number;
  tenant: string;
  sender: string;
  recipient: string;
  rule: string;
  rules: string[];
  status: 'pending' | 'approved' | 'rejected';
  created: string;
  age_seconds: number;
  decided_by: string | null;
  decided_at: string | null;
  reason: string | null;
  reported: boolean;
  report: string | null;
}

export interface QueueCounts {
  pending: number;
  approved: number;
  rejected: number;
  oldest_pending_age_seconds: number | null;
}

export interface QueuePage extends Page<HeldMessage> {
  counts: QueueCounts;
}

// One piece of a field's text: plain, or a span a rule matched.
export interface Segment {
  text: string;
  rule?: string;
  confidence?: string;
}

export interface HeldMessageDetail extends HeldMessage {
  fields: { name: string; text: string; segments: Segment[] }[];
}

// Virus scanning as rampartd sees it: one entry per clamd socket in use.
export interface ScanStatus {
  tenants: string[];
  socket: string | null;
  reachable: boolean;
  engine: string | null;
  signature_version: string | null;
  signature_date: string | null;
  error: string | null;
}
