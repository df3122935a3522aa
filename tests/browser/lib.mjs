// What the browser tests of Rampart's web UIs share: a check runner that prints
// "N passed, N failed", the message catalogues, TOTP codes (RFC 6238), an XMPP client that
// stays signed in, HTTPS calls from outside the browser, and watchers for CSP violations and
// requests to other origins.
import { createRequire } from 'node:module';
import { spawn } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repo = path.resolve(here, '../..');
// playwright-core is installed with the web client's packages (web/chat/package.json).
export const { chromium } = createRequire(path.join(repo, 'web/chat/package.json'))('playwright-core');
export const rampartd = process.env.RAMPARTD || path.join(repo, 'build/rampartd');
export const rampartctl = process.env.RAMPARTCTL || path.join(repo, 'build/rampartctl');
export const catalogues = {
  en: JSON.parse(readFileSync(path.join(repo, 'web/shared/i18n/en.json'), 'utf8')),
  'zh-CN': JSON.parse(readFileSync(path.join(repo, 'web/shared/i18n/zh-CN.json'), 'utf8')),
};
export const results = [];
const started = Date.now();

// A promise a failed check left behind (say a download it was still waiting for) may reject
// later: that is one more failure, never a crash that skips the suite's clean-up (stopping its
// rampartd).
process.on('unhandledRejection', (e) => {
  results.push([`a promise left by an earlier check failed: ${e?.message ?? e}`, false]);
  console.log(`FAIL a promise left by an earlier check failed: ${e?.stack ?? e}`);
});


export async function check(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    results.push([name, true]);
    console.log(`ok   ${name} (${Date.now() - t0} ms)`);
    return true;
  } catch (e) {
    results.push([name, false]);
    console.log(`FAIL ${name}: ${e.stack || e}`);
    return false;
  }
}

export function summary(suiteName) {
  const passed = results.filter(([, ok]) => ok).length;
  console.log(`${suiteName}: ${Math.round((Date.now() - started) / 1000)} s`);
  console.log(`${passed} passed, ${results.length - passed} failed`);
  return results.length - passed;
}

// SCREENSHOTS=dir keeps a picture of each page the checks reach, for people to look at.
export async function shot(page, name) {
  if (process.env.SCREENSHOTS) {
    await page.screenshot({ path: path.join(process.env.SCREENSHOTS, `${name}.png`), fullPage: true });
  }
}

export function assert(cond, message) {
  if (!cond) throw new Error(message);
}

// The catalogue's text for a key in a language, with {name} placeholders filled.
export function text(lang, key, params = {}) {
  const s = catalogues[lang][key];
  if (s === undefined) throw new Error(`no message ${key}`);
  return s.replace(/\{(\w+)\}/g, (all, n) => (n in params ? String(params[n]) : all));
}

export function escapeRe(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// RFC 6238 with RFC 4226 truncation: HMAC-SHA1, 30 s steps, 6 digits.
export function base32Decode(s) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out = [];
  for (const ch of s.replace(/=+$/, '').toUpperCase()) {
    const i = alphabet.indexOf(ch);
    if (i < 0) throw new Error(`not base32: ${s}`);
    value = (value << 5) | i;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

export function totp(secret, step) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', base32Decode(secret)).update(counter).digest();
  const off = mac[mac.length - 1] & 0x0f;
  const n = ((mac[off] & 0x7f) << 24) | (mac[off + 1] << 16) | (mac[off + 2] << 8) | mac[off + 3];
  return String(n % 1000000).padStart(6, '0');
}

// An XMPP client (tests/integration/raw_xmpp.py) that signs in and stays until it is stopped
// or the server ends its stream (then the process exits).
export function xmppSession(port, user, password, resource) {
  const script = [
    'import sys',
    `sys.path.insert(0, ${JSON.stringify(path.join(repo, 'tests/integration'))})`,
    'from raw_xmpp import RawStream',
    'st = RawStream(int(sys.argv[1]))',
    'print(st.login(sys.argv[2], sys.argv[3], sys.argv[4]), flush=True)',
    'st.send("<presence/>")',
    'st.wait_closed(900)',
  ].join('\n');
  const proc = spawn('/usr/bin/python3', ['-c', script, String(port), user, password, resource],
    { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    proc.on('error', reject);
    proc.on('exit', (code) => reject(new Error(`the XMPP client exited (${code}): ${out}`)));
    proc.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve({ proc, jid: out.trim() });
    });
  });
}

// An admin API call from outside the browser (self-signed certificate), optionally from
// another loopback address: the server counts sign-in failures per address too.
export function apiCall(port, method, p, headers = {}, body = null, localAddress = undefined) {
  return new Promise((resolve, reject) => {
    const data = body === null ? null : JSON.stringify(body);
    const all = data === null ? headers
      : { ...headers, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) };
    const req = https.request({ host: '127.0.0.1', port, method, path: p, headers: all, localAddress,
                                rejectUnauthorized: false }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(data ?? undefined);
  });
}

// Every request of a context, CSP violations (the event and Chromium's console report), and
// errors thrown by the page's scripts.
export async function watch(ctx, name) {
  const seen = { name, urls: [], violations: [], errors: [] };
  await ctx.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`securitypolicyviolation: ${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  ctx.on('request', (r) => seen.urls.push(r.url()));
  ctx.on('page', (p) => {
    p.on('console', (m) => {
      if (/securitypolicyviolation|Content Security Policy/i.test(m.text())) {
        seen.violations.push(m.text());
      }
    });
    p.on('pageerror', (e) => seen.errors.push(String(e.stack || e)));
  });
  return seen;
}

export function elsewhere(seen, base) {
  const origin = new URL(base).origin;
  return seen.urls.filter((u) => {
    const url = new URL(u);
    if (url.protocol === 'data:' || url.protocol === 'blob:') return false;
    return url.origin !== origin;
  });
}

export async function focusedIs(page, locator, what) {
  const ok = await locator.evaluate((el) => el === document.activeElement);
  assert(ok, `${what} does not have the focus (it has ${await page.evaluate(() =>
    document.activeElement && document.activeElement.outerHTML.slice(0, 120))})`);
}

export async function toastSays(page, message) {
  await page.locator('.rp-toasts .rp-toast__message', { hasText: message }).first()
    .waitFor({ timeout: 20000 });
}

export async function heading(page, name) {
  const h = page.getByRole('heading', { level: 1, name, exact: true });
  await h.waitFor({ timeout: 20000 });
  return h;
}


// A password every password profile accepts, derived from `name` (as raw_xmpp.account_password
// does): letters that skip every other one (no runs cracklib calls systematic), no account name.
export function accountPassword(name) {
  const alphabet = 'acegikmoqsuwyACEGIKMOQSUWY';
  const digest = createHash('sha256').update(name).digest();
  return `Kx9-${[...digest.subarray(0, 10)].map((b) => alphabet[b % alphabet.length]).join('')}-Qz`;
}
