// Passkeys (WebAuthn) in the browser: the server's options arrive as JSON with base64url for
// binary values, the credential goes back the same way.
import { api, post } from './api';
import type { Session } from './api';

function fromB64url(s: string): ArrayBuffer {
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4);
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out.buffer;
}

function toB64url(buf: ArrayBuffer): string {
  const bytes = new Uint8Array(buf);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

interface Descriptor { type: 'public-key'; id: string }

export function passkeysSupported(): boolean {
  return typeof window.PublicKeyCredential === 'function' && !!navigator.credentials;
}

// Registers a new passkey under `name`; answers the session (the second factor may have been
// what the sign-in was waiting for).
export async function addPasskey(name: string): Promise<Session> {
  const o = await post<{
    challenge: string;
    rp: { id: string; name: string };
    user: { id: string; name: string; displayName: string };
    pubKeyCredParams: Array<{ type: 'public-key'; alg: number }>;
    timeout: number;
    attestation: AttestationConveyancePreference;
    authenticatorSelection: AuthenticatorSelectionCriteria;
    excludeCredentials: Descriptor[];
  }>(`${api}/passkeys/options`);
  const cred = await navigator.credentials.create({
    publicKey: {
      ...o,
      challenge: fromB64url(o.challenge),
      user: { ...o.user, id: fromB64url(o.user.id) },
      excludeCredentials: o.excludeCredentials.map((d) => ({ type: d.type, id: fromB64url(d.id) })),
    },
  }) as PublicKeyCredential | null;
  if (!cred) throw new Error('no credential');
  const r = cred.response as AuthenticatorAttestationResponse;
  return post<Session>(`${api}/passkeys`, {
    name,
    id: toB64url(cred.rawId),
    client_data_json: toB64url(r.clientDataJSON),
    attestation_object: toB64url(r.attestationObject),
  });
}

// An assertion by one of the account's passkeys, for the options the server gives at
// `optionsPath`: the JSON the server checks.
async function assertion(optionsPath: string): Promise<Record<string, string>> {
  const o = await post<{
    challenge: string;
    rpId: string;
    allowCredentials: Descriptor[];
    userVerification: UserVerificationRequirement;
    timeout: number;
  }>(optionsPath);
  const cred = await navigator.credentials.get({
    publicKey: {
      ...o,
      challenge: fromB64url(o.challenge),
      allowCredentials: o.allowCredentials.map((d) => ({ type: d.type, id: fromB64url(d.id) })),
    },
  }) as PublicKeyCredential | null;
  if (!cred) throw new Error('no credential');
  const r = cred.response as AuthenticatorAssertionResponse;
  return {
    id: toB64url(cred.rawId),
    client_data_json: toB64url(r.clientDataJSON),
    authenticator_data: toB64url(r.authenticatorData),
    signature: toB64url(r.signature),
  };
}

// The second step of a sign-in with a passkey.
export async function signInWithPasskey(): Promise<Session> {
  const passkey = await assertion(`${api}/session/passkey/options`);
  return post<Session>(`${api}/session/second-factor`, { passkey }, { expect401: true });
}

// The second-factor step of a password reset with a passkey; answers the reset's next step.
export async function resetWithPasskey<T>(resetPath: string): Promise<T> {
  const passkey = await assertion(`${resetPath}/passkey-options`);
  return post<T>(`${resetPath}/second-factor`, { passkey });
}
