// The account center's API (/account/api/v1/ on the same origin) and its records. The request
// functions are shared with the admin console (web/shared/api.ts).
export * from '../../shared/api';

export const api = '/account/api/v1';

export type Stage = 'second_factor' | 'password_change' | 'totp_enrolment' | 'active';
export type Standing = 'optional' | 'grace' | 'missing' | 'enrolled';

export interface Session {
  jid: string;
  stage: Stage;
  csrf_token: string;
  tenant?: string;
  second_factor?: {
    totp: boolean;
    passkeys: number;
    recovery_codes_left: number;
    required: boolean;
    standing: Standing;
    grace_until: string | null;
  };
  password?: {
    profile: string;
    min_length: number;
    changed: string | null;
    expires: string | null;
  };
  frozen?: string | null;
  consent_required?: boolean;
}

export interface Acceptance {
  version: string;
  time: string;
  channel: string;
}

export interface PrivacyInfo {
  notice: {
    version: string | null;
    text: string | null;
    accepted: Acceptance | null;
    required: boolean;
    history: Acceptance[];
  };
  legal_hold?: { held: boolean; since: string | null };
}

export interface Device {
  id: string;
  kind: string;
  name: string;
  client: string;
  created: string;
  last_used: string | null;
  last_address: string | null;
}

export interface XmppSession {
  resource: string;
  address: string;
  since: string;
}

export interface WebSession {
  id: string;
  address: string;
  client: string;
  since: string;
  last_seen: string;
  current: boolean;
}

export type { LoginRecord } from '../../shared/components';

export interface Passkey {
  id: string;
  name: string;
  algorithm: string;
  created: string;
  last_used: string | null;
}
