// The admin console in headless Chromium against a real rampartd: the first sign-in of each
// of the three first-start administrators (one-time password, new password, TOTP enrolment from
// the secret on the page, recovery codes), accounts, roles, API tokens, the audit log and its
// verification, what each role does not see, English and Simplified Chinese, keyboard use,
// and a page that reports no CSP violation and asks nothing of another origin.
// Prints "N passed, N failed".
import { spawn, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  accountPassword, apiCall, assert, catalogues, chromium, check, elsewhere, escapeRe, focusedIs,
  heading, rampartctl, rampartd, results, shot, summary, text, toastSays, totp, watch, xmppSession,
} from './lib.mjs';

// rampartd on ports of its own; the one-time passwords it prints at its first start.
function startServer() {
  const dir = mkdtempSync(path.join(tmpdir(), 'rampart-admin-browser-'));
  const proc = spawn(rampartd, ['--dev', '--data-dir', dir, '--c2s-port', '0', '--tls-port', '0',
                                '--https-port', '0', '--admin-port', '0'],
  { stdio: ['ignore', 'pipe', 'pipe'] });
  const admins = {};
  let out = '';
  proc.stdout.on('data', (d) => {
    out += d;
    for (const m of out.matchAll(/^\s+(\S+@\S+) \((sysadmin|secadmin|auditor)\)\s+password: (\S+)$/gm)) {
      admins[m[2]] = { jid: m[1], role: m[2], password: m[3], lastStep: 0 };
    }
  });
  proc.stderr.on('data', () => {});
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 20000;
    proc.on('error', reject);
    proc.on('exit', (code) => reject(new Error(`rampartd exited (${code}): ${out}`)));
    const poll = () => {
      const f = path.join(dir, 'ports.json');
      if (existsSync(f) && Object.keys(admins).length === 3) {
        try {
          const ports = JSON.parse(readFileSync(f, 'utf8'));
          if (ports.admin) return resolve({ proc, dir, ports, admins });
        } catch (e) { /* still being written */ }
      }
      if (Date.now() > deadline) return reject(new Error(`rampartd did not start: ${out}`));
      setTimeout(poll, 100);
    };
    poll();
  });
}

// A code the server has not seen yet: codes are single-use, and the server accepts the step
// before and after its own. Only when both are spent does this wait for the next step.
async function nextCode(admin) {
  let now = Math.floor(Date.now() / 30000);
  const step = Math.max(now, admin.lastStep + 1);
  if (step > now + 1) {
    await new Promise((r) => setTimeout(r, (step - 1) * 30000 - Date.now() + 200));
    now = Math.floor(Date.now() / 30000);
  }
  admin.lastStep = step;
  return totp(admin.secret, step);
}

// Six digits that are none of the codes the server would accept now.
function wrongCode(admin) {
  const now = Math.floor(Date.now() / 30000);
  const valid = [now - 1, now, now + 1, now + 2].map((s) => totp(admin.secret, s));
  return ['000000', '111111', '222222', '333333', '444444'].find((c) => !valid.includes(c));
}

const nav = (page, lang, key) => page.getByRole('navigation', { name: text(lang, 'nav.label') })
  .getByRole('link', { name: text(lang, key), exact: true });

async function navLinks(page, lang) {
  return page.getByRole('navigation', { name: text(lang, 'nav.label') }).getByRole('link')
    .allInnerTexts();
}

async function openPage(page, lang, key) {
  await nav(page, lang, key).click();
  const h = await heading(page, text(lang, key));
  await focusedIs(page, h, `the heading of ${key}`);
}

// From the sign-in form with the one-time password to the console: a new password, TOTP
// enrolment with the secret shown on the page, and the ten recovery codes.
async function firstSignIn(page, base, admin, lang, { keyboard = false } = {}) {
  const L = (k, p) => text(lang, k, p);
  await page.goto(`${base}/`);
  const jid = page.locator('#signin-jid');
  await jid.waitFor({ timeout: 20000 });
  await page.waitForFunction(() => document.activeElement?.id === 'signin-jid');
  await shot(page, `${admin.role}-1-sign-in`);
  if (keyboard) {
    await page.keyboard.type(admin.jid);
    await page.keyboard.press('Tab');
    await focusedIs(page, page.locator('#signin-password'), 'the password field');
    await page.keyboard.type(admin.password);
    let onSubmit = false;
    for (let i = 0; i < 6 && !onSubmit; i++) {
      await page.keyboard.press('Tab');
      onSubmit = await page.evaluate(() => document.activeElement?.getAttribute('type') === 'submit');
    }
    assert(onSubmit, 'Tab never reached the sign-in button');
    await page.keyboard.press('Enter');
  } else {
    await jid.fill(admin.jid);
    await page.locator('#signin-password').fill(admin.password);
    await page.getByRole('button', { name: L('signIn.submit'), exact: true }).click();
  }
  await heading(page, L('firstSignIn.passwordTitle'));
  await page.getByText(L('firstSignIn.step', { n: 1, of: 3 })).waitFor();

  // Too short: refused in the form, the field marked and focused.
  const next = page.getByLabel(L('password.new'), { exact: true });
  const confirm = page.getByLabel(L('password.confirm'), { exact: true });
  await next.fill('short');
  await confirm.fill('short');
  await page.getByRole('button', { name: L('firstSignIn.passwordSubmit') }).click();
  await page.getByText(L('password.tooShort', { n: 12 })).waitFor();
  assert(await next.getAttribute('aria-invalid') === 'true', 'the short password is not marked');
  await page.waitForFunction(() => document.activeElement?.getAttribute('name') === 'new_password');
  await shot(page, `${admin.role}-2-password`);

  admin.password = accountPassword(`${admin.jid} ${randomBytes(6).toString('hex')}`);
  await next.fill(admin.password);
  await confirm.fill(admin.password);
  await page.getByRole('button', { name: L('firstSignIn.passwordSubmit') }).click();

  await heading(page, L('totp.title'));
  const shown = page.locator('#totp-secret');
  await shown.waitFor({ timeout: 20000 });
  admin.secret = (await shown.innerText()).replace(/\s+/g, '');
  assert(/^[A-Z2-7]{16,}$/.test(admin.secret), `secret on the page: ${admin.secret}`);
  const qr = page.getByRole('img', { name: L('totp.qrAlt') });
  const src = await qr.getAttribute('src');
  assert(src.startsWith('data:image/svg+xml;base64,'), `QR code image: ${src.slice(0, 40)}`);
  assert(Buffer.from(src.split(',')[1], 'base64').toString().includes('<svg'), 'QR code is no SVG');
  assert(await qr.evaluate((img) => img.complete && img.naturalWidth > 0), 'QR code not shown');
  await shot(page, `${admin.role}-3-totp`);

  await page.locator('#totp-code').fill(await nextCode(admin));
  await page.getByRole('button', { name: L('totp.confirm') }).click();

  await heading(page, L('recovery.title'));
  await page.getByText(L('recovery.saveNow')).waitFor();
  const codes = await page.locator('.recovery-codes li').allInnerTexts();
  assert(codes.length === 10, `${codes.length} recovery codes`);
  assert(codes.every((c) => /^[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}$/i.test(c.trim())),
    `recovery codes: ${codes}`);
  admin.recoveryCodes = codes.map((c) => c.trim());
  // Going on needs the acknowledgement.
  await page.getByRole('button', { name: L('recovery.continue') }).click();
  await page.getByText(L('recovery.confirmFirst')).waitFor();
  await shot(page, `${admin.role}-4-recovery-codes`);
  await page.getByLabel(L('recovery.acknowledge')).check();
  await page.getByRole('button', { name: L('recovery.continue') }).click();
  await page.getByRole('navigation', { name: L('nav.label') }).waitFor({ timeout: 20000 });
}

// Waits until the audit table shows records of actions with this prefix only.
async function onlyActions(page, prefix) {
  await page.waitForFunction((p) => {
    const a = [...document.querySelectorAll('.audit-table code.audit-action')].map((e) => e.textContent);
    return a.length > 0 && a.every((x) => x.startsWith(p));
  }, prefix, { timeout: 20000 });
}

async function signIn(page, admin, lang, code) {
  const L = (k, p) => text(lang, k, p);
  await page.locator('#signin-jid').fill(admin.jid);
  await page.locator('#signin-password').fill(admin.password);
  await page.locator('#signin-code').fill(code);
  await page.getByRole('button', { name: L('signIn.submit'), exact: true }).click();
}

async function signOut(page, lang) {
  await page.getByRole('button', { name: text(lang, 'app.signOut') }).click();
  await heading(page, text(lang, 'signIn.title'));
  await page.getByText(text(lang, 'signIn.signedOut')).waitFor();
}

// ---------------------------------------------------------------------------------------------

await check('en.json and zh-CN.json have the same keys and no empty message', async () => {
  const en = Object.keys(catalogues.en).sort();
  const zh = Object.keys(catalogues['zh-CN']).sort();
  const onlyEn = en.filter((k) => !(k in catalogues['zh-CN']));
  const onlyZh = zh.filter((k) => !(k in catalogues.en));
  assert(!onlyEn.length && !onlyZh.length, `only in en: ${onlyEn}; only in zh-CN: ${onlyZh}`);
  const empty = [...Object.entries(catalogues.en), ...Object.entries(catalogues['zh-CN'])]
    .filter(([, v]) => typeof v !== 'string' || !v.trim()).map(([k]) => k);
  assert(!empty.length, `empty: ${empty}`);
});

let server = null;
await check('rampartd starts and prints the first administrators\' one-time passwords', async () => {
  server = await startServer();
});
// Without a server nothing further can run: the failed start above is already counted as a
// failure, so this ends the run as failed (never as a skip).
if (!server) {
  summary('admin console');
  process.exit(1);
}
const base = `https://localhost:${server.ports.admin}`;
const { sysadmin, secadmin, auditor } = server.admins;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const watched = [];
async function newContext(locale, name) {
  const ctx = await browser.newContext({ ignoreHTTPSErrors: true, locale, acceptDownloads: true });
  watched.push(await watch(ctx, name));
  return ctx;
}
const user = `carol-${randomBytes(3).toString('hex')}`;
const userJid = `${user}@localhost`;
// An account name nobody signs in with: the target of a guessing attack.
const stranger = { jid: `stranger-${randomBytes(3).toString('hex')}@localhost`, password: 'a-wrong-guess-9' };
const newAuditor = { jid: `dora-${randomBytes(3).toString('hex')}@localhost`, password: 'dora-initial-pw-1',
                     role: 'auditor' };
let apiToken = '';

try {
  // Without the console's build (web/admin/dist) nothing further can pass: stop here.
  const served = await check('the console is served at / and at every page path, with the strict CSP', async () => {
    for (const p of ['/', '/users', '/audit']) {
      const r = await apiCall(server.ports.admin, 'GET', p);
      assert(r.status === 200, `${p}: ${r.status}`);
      assert(r.headers['content-type'].startsWith('text/html'), `${p}: ${r.headers['content-type']}`);
      const csp = r.headers['content-security-policy'] || '';
      for (const d of ["script-src 'self'", "style-src 'self'", "frame-ancestors 'none'"]) {
        assert(csp.includes(d), `${p}: CSP ${csp}`);
      }
      assert(/<script type="module"[^>]* src="\/assets\//.test(r.body), `${p}: no module from /assets/`);
      assert(!/<script(?![^>]*\ssrc=)[^>]*>/.test(r.body), `${p}: an inline script`);
      assert(!/<style|\sstyle=/.test(r.body), `${p}: inline style`);
    }
  });
  if (!served) throw new Error('the admin console is not served (build it: npm run build in web/admin)');

  // --- the system administrator, in English ------------------------------------------------
  const sysCtx = await newContext('en-US', 'sysadmin');
  const sys = await sysCtx.newPage();

  await check('sysadmin: the sign-in form works with Tab and Enter alone, in English', async () => {
    await firstSignIn(sys, base, sysadmin, 'en', { keyboard: true });
    assert(await sys.evaluate(() => document.documentElement.lang) === 'en', '<html lang>');
  });

  await check('sysadmin: first sign-in ends on the overview (health, connections, sessions, '
    + 'message rate after the second reading, open alerts)', async () => {
    await heading(sys, 'Overview');
    await sys.getByText('Running normally').waitFor({ timeout: 20000 });
    for (const cls of ['connections', 'sessions', 'routed', 'open-alerts']) {
      const v = (await sys.locator(`.stat-${cls} .stat__value`).innerText()).trim();
      assert(/^[\d,]+$/.test(v), `${cls}: ${v}`);
    }
    const header = await sys.locator('.whoami').innerText();
    assert(header.includes(sysadmin.jid) && header.includes('System administrator')
      && header.includes('Whole server'), `header: ${header}`);
    // The rate needs two readings of /api/v1/status, 10 s apart.
    await sys.waitForResponse((r) => r.url().endsWith('/api/v1/status'), { timeout: 20000 });
    await sys.waitForFunction(() => /\/s$/.test(
      document.querySelector('.stat-rate .stat__value')?.textContent ?? ''), null, { timeout: 5000 });
    await shot(sys, 'sysadmin-5-overview');
  });

  await check('sysadmin: the navigation has no audit log and no role management', async () => {
    const links = await navLinks(sys, 'en');
    assert(links.join('|') === 'Overview|Tenants|Users|API tokens|Alerts', `nav: ${links}`);
  });

  await check('sysadmin: create an account, find it, reset its password, see its sessions, '
    + 'delete it after confirming', async () => {
    await openPage(sys, 'en', 'nav.users');
    const adminRow = sys.getByRole('row', { name: new RegExp(escapeRe(secadmin.jid)) });
    await adminRow.getByText('Administrator: revoke the role to change').waitFor();
    assert(await adminRow.getByRole('button', { name: /^(Delete|Reset password)/ }).count() === 0,
      'an administrator\'s account offers delete or reset');
    const create = sys.getByRole('button', { name: 'Create account' });
    await create.click();
    const dialog = sys.getByRole('dialog', { name: 'Create an account' });
    await dialog.waitFor();
    await focusedIs(sys, dialog.getByLabel('User name'), 'the first field of the dialog');
    await dialog.getByLabel('User name').fill(user);
    await dialog.getByLabel('Initial password').fill('carol-first-pw-1');
    await shot(sys, 'sysadmin-6-create-user');
    const created = sys.waitForResponse((r) => r.url().endsWith('/api/v1/users')
      && r.request().method() === 'POST');
    await dialog.getByRole('button', { name: 'Create account' }).click();
    assert((await created).status() === 201, 'create: not 201');
    await toastSays(sys, `Account ${userJid} created.`);
    await dialog.waitFor({ state: 'detached' });
    await focusedIs(sys, create, 'the button that opened the dialog');

    await sys.getByLabel('Search accounts').fill(user.slice(0, 8));
    const searched = sys.waitForResponse((r) => r.url().includes(`q=${user.slice(0, 8)}`));
    await sys.getByRole('button', { name: 'Search', exact: true }).click();
    await searched;
    const row = sys.getByRole('row', { name: new RegExp(escapeRe(userJid)) });
    await row.waitFor();
    const rows = await sys.locator('.rp-table tbody tr').count();
    assert(rows === 1, `${rows} rows for the search`);
    await shot(sys, 'sysadmin-7-users');

    await row.getByRole('button', { name: /^Reset password/ }).click();
    const reset = sys.getByRole('dialog', { name: `Reset the password of ${userJid}` });
    await reset.getByLabel('New password').fill('carol-second-pw-2');
    const put = sys.waitForResponse((r) => r.url().includes('/password') && r.request().method() === 'PUT');
    await reset.getByRole('button', { name: 'Set password' }).click();
    assert((await put).status() === 204, 'reset: not 204');
    await toastSays(sys, `The password of ${userJid} has been changed.`);

    await row.getByRole('button', { name: /^Sessions/ }).click();
    const sessions = sys.getByRole('dialog', { name: `Sessions of ${userJid}` });
    await sessions.getByText('This account is not signed in anywhere.').waitFor();
    await sys.keyboard.press('Escape');
    await sessions.waitFor({ state: 'detached' });

    await row.getByRole('button', { name: /^Delete/ }).click();
    const confirm = sys.getByRole('alertdialog', { name: 'Delete this account?' });
    await confirm.getByText(userJid).waitFor();
    await focusedIs(sys, confirm.getByRole('button', { name: 'Cancel' }), 'Cancel in the confirmation');
    await shot(sys, 'sysadmin-8-delete-user');
    const deleted = sys.waitForResponse((r) => r.request().method() === 'DELETE');
    await confirm.getByRole('button', { name: 'Delete account' }).click();
    assert((await deleted).status() === 204, 'delete: not 204');
    await toastSays(sys, `Account ${userJid} deleted.`);
    await sys.getByText(`No account matches “${user.slice(0, 8)}”.`).waitFor();
  });

  await check('sysadmin: the account list pages through more accounts than fit on a page',
    async () => {
      for (let i = 1; i <= 26; i++) {
        execFileSync(rampartctl, ['--data-dir', server.dir, 'user', 'add',
                                  `bulk${String(i).padStart(2, '0')}@localhost`, `bulk-pw-${i}`]);
      }
      await sys.getByLabel('Search accounts').fill('bulk');
      let answered = sys.waitForResponse((r) => r.url().includes('q=bulk'));
      await sys.getByRole('button', { name: 'Search', exact: true }).click();
      await answered;
      await sys.getByRole('row', { name: /bulk25@localhost/ }).waitFor();
      assert(await sys.locator('.rp-table tbody tr').count() === 25, 'not 25 rows on page 1');
      const pages = sys.getByRole('navigation', { name: 'Pages' });
      assert(await pages.getByRole('button', { name: 'Previous page' }).isDisabled(), 'previous');
      answered = sys.waitForResponse((r) => r.url().includes('cursor=bulk25'));
      await pages.getByRole('button', { name: 'Next page' }).click();
      await answered;
      await sys.getByRole('row', { name: /bulk26@localhost/ }).waitFor();
      await pages.getByText('Page 2').waitFor();
      assert(await sys.locator('.rp-table tbody tr').count() === 1, 'not 1 row on page 2');
      assert(await pages.getByRole('button', { name: 'Next page' }).isDisabled(), 'next on the last page');
      await pages.getByRole('button', { name: 'Previous page' }).click();
      await sys.getByRole('row', { name: /bulk01@localhost/ }).waitFor();
      await pages.getByText('Page 1').waitFor();
    });

  await check('the language menu switches to Simplified Chinese (and <html lang>), '
    + 'keeps the choice over a reload, and switches back', async () => {
    await sys.getByLabel('Language').selectOption('zh-CN');
    await sys.getByRole('link', { name: '用户', exact: true }).waitFor();
    assert(await sys.evaluate(() => document.documentElement.lang) === 'zh-CN', 'lang not zh-CN');
    await sys.reload();
    await heading(sys, '用户');
    assert(await sys.evaluate(() => document.documentElement.lang) === 'zh-CN', 'lost over reload');
    await sys.getByText('系统管理员').waitFor();
    await shot(sys, 'sysadmin-9-users-zh');
    await sys.getByLabel('语言').selectOption('en');
    await heading(sys, 'Users');
    assert(await sys.evaluate(() => document.documentElement.lang) === 'en', 'lang not en');
  });

  await check('sysadmin: a wrong second factor is refused with the server\'s one message', async () => {
    await signOut(sys, 'en');
    await signIn(sys, sysadmin, 'en', wrongCode(sysadmin));
    await sys.getByText('wrong account, password or second factor').waitFor({ timeout: 20000 });
    assert(await sys.locator('#signin-code').inputValue() === '', 'the code field keeps the code');
  });

  await check('sysadmin: signs in again with password and a fresh TOTP code', async () => {
    await signIn(sys, sysadmin, 'en', await nextCode(sysadmin));
    await heading(sys, 'Users');
    await sys.locator('.whoami', { hasText: sysadmin.jid }).waitFor();
  });

  await check('a session ended on the server sends the console back to sign-in with the '
    + 'server\'s message', async () => {
    const cookies = await sysCtx.cookies();
    await sys.evaluate(async () => {
      const s = await (await fetch('/api/v1/session')).json();
      await fetch('/api/v1/session', { method: 'DELETE', headers: { 'X-CSRF-Token': s.csrf_token } });
    });
    await sysCtx.addCookies(cookies);
    await nav(sys, 'en', 'nav.tenants').click();
    await heading(sys, 'Sign in to the admin console');
    await sys.getByText('Your session has ended. Please sign in again.').waitFor();
    await sys.getByText('no such session (signed out or never signed in)').waitFor();
    await shot(sys, 'sysadmin-10-session-ended');
  });

  // --- the security administrator, in English ----------------------------------------------
  const secCtx = await newContext('en-US', 'secadmin');
  const sec = await secCtx.newPage();

  await check('secadmin: first sign-in with password change and TOTP enrolment', async () => {
    await firstSignIn(sec, base, secadmin, 'en');
    const header = await sec.locator('.whoami').innerText();
    assert(header.includes('Security administrator'), `header: ${header}`);
    const links = await navLinks(sec, 'en');
    assert(links.join('|') === 'Overview|Tenants|Users|Administrators & roles|API tokens|Alerts|Sign-ins',
      `nav: ${links}`);
  });

  await check('secadmin: changes its own password (the current one is checked)', async () => {
    await sec.getByRole('button', { name: 'Change password' }).click();
    const dialog = sec.getByRole('dialog', { name: 'Change password' });
    await dialog.getByLabel('Current password').fill('not-the-password');
    const next = `${secadmin.password}-2`;
    await dialog.getByLabel('New password', { exact: true }).fill(next);
    await dialog.getByLabel('Repeat the new password').fill(next);
    await dialog.getByRole('button', { name: 'Change password' }).click();
    await dialog.getByText('the current password is wrong').waitFor();
    await dialog.getByLabel('Current password').fill(secadmin.password);
    await dialog.getByRole('button', { name: 'Change password' }).click();
    await toastSays(sec, 'Your password has been changed.');
    await dialog.waitFor({ state: 'detached' });
    secadmin.password = next;
  });

  await check('secadmin: grants the auditor role to an existing account', async () => {
    execFileSync(rampartctl, ['--data-dir', server.dir, 'user', 'add', newAuditor.jid,
                              newAuditor.password]);
    await openPage(sec, 'en', 'nav.admins');
    await sec.getByRole('row', { name: new RegExp(escapeRe(auditor.jid)) }).waitFor();
    const form = sec.locator('form.grant-form');
    await form.getByLabel('Account').fill(newAuditor.jid);
    await form.getByLabel('Role').selectOption('auditor');
    await form.getByLabel('Scope').selectOption({ label: 'Whole server' });
    const granted = sec.waitForResponse((r) => r.url().endsWith('/api/v1/roles')
      && r.request().method() === 'POST');
    await form.getByRole('button', { name: 'Grant role' }).click();
    assert((await granted).status() === 201, 'grant: not 201');
    await toastSays(sec, `${newAuditor.jid} is now Audit administrator.`);
    const row = sec.getByRole('row', { name: new RegExp(escapeRe(newAuditor.jid)) });
    await row.waitFor();
    const cells = await row.innerText();
    assert(cells.includes('Audit administrator') && cells.includes('Whole server')
      && cells.includes(secadmin.jid), `row: ${cells}`);
    // Granting again is refused with the server's reason.
    await form.getByLabel('Account').fill(newAuditor.jid);
    await form.getByRole('button', { name: 'Grant role' }).click();
    await sec.getByText('one account holds at most one administrator role').waitFor();
    await shot(sec, 'secadmin-5-roles');
  });

  await check('secadmin: creates an API token that is shown once and works, then revokes it',
    async () => {
      await openPage(sec, 'en', 'nav.tokens');
      await sec.getByLabel('Show every administrator’s tokens').waitFor();
      const label = `monitoring-${randomBytes(2).toString('hex')}`;
      await sec.getByLabel('Label').fill(label);
      await sec.getByLabel('Valid for').selectOption(String(86400));
      const created = sec.waitForResponse((r) => r.url().endsWith('/api/v1/tokens')
        && r.request().method() === 'POST');
      await sec.getByRole('button', { name: 'Create token' }).click();
      assert((await created).status() === 201, 'create: not 201');
      const dialog = sec.getByRole('dialog', { name: 'Your new API token' });
      await dialog.getByText('Copy the token now').waitFor();
      apiToken = await dialog.getByLabel('Token').inputValue();
      assert(/^rpt_\S+$/.test(apiToken), `token: ${apiToken}`);
      await dialog.getByRole('button', { name: 'Copy', exact: true }).waitFor();
      await shot(sec, 'secadmin-6-token');
      const status = await apiCall(server.ports.admin, 'GET', '/api/v1/status',
        { Authorization: `Bearer ${apiToken}` });
      assert(status.status === 200, `the token does not work: ${status.status} ${status.body}`);
      await dialog.getByRole('button', { name: 'I have copied it' }).click();
      await dialog.waitFor({ state: 'detached' });
      const row = sec.getByRole('row', { name: new RegExp(escapeRe(label)) });
      await row.waitFor();
      assert((await row.innerText()).includes('Security administrator'), 'token row');
      await sec.reload();
      await sec.getByRole('row', { name: new RegExp(escapeRe(label)) }).waitFor();
      assert(!(await sec.content()).includes(apiToken), 'the token is shown again');

      await sec.getByRole('row', { name: new RegExp(escapeRe(label)) })
        .getByRole('button', { name: /^Revoke/ }).click();
      const confirm = sec.getByRole('alertdialog', { name: 'Revoke this token?' });
      const revoked = sec.waitForResponse((r) => r.request().method() === 'DELETE');
      await confirm.getByRole('button', { name: 'Revoke token' }).click();
      assert((await revoked).status() === 204, 'revoke: not 204');
      await toastSays(sec, `Token “${label}” revoked.`);
      await sec.getByRole('row', { name: new RegExp(escapeRe(label)) }).waitFor({ state: 'detached' });
      const after = await apiCall(server.ports.admin, 'GET', '/api/v1/status',
        { Authorization: `Bearer ${apiToken}` });
      assert(after.status === 401, `a revoked token answers ${after.status}`);
    });

  await check('secadmin: users are listed without account management', async () => {
    await openPage(sec, 'en', 'nav.users');
    await sec.getByLabel('Search accounts').fill('dora');
    await sec.getByRole('button', { name: 'Search', exact: true }).click();
    await sec.getByRole('row', { name: new RegExp(escapeRe(newAuditor.jid)) }).waitFor();
    assert(await sec.getByRole('button', { name: 'Create account' }).count() === 0, 'Create account');
    assert(await sec.getByRole('button', { name: /^Delete/ }).count() === 0, 'Delete');
  });

  await check('secadmin: sees an account\'s XMPP session and ends it', async () => {
    const client = await xmppSession(server.ports.c2s, 'bulk01', 'bulk-pw-1', 'browser-test');
    try {
      await sec.getByLabel('Search accounts').fill('bulk01');
      const answered = sec.waitForResponse((r) => r.url().includes('q=bulk01'));
      await sec.getByRole('button', { name: 'Search', exact: true }).click();
      await answered;
      const row = sec.getByRole('row', { name: /bulk01@localhost/ });
      assert((await row.locator('td.rp-num').innerText()).trim() === '1', 'session count');
      await row.getByRole('button', { name: /^Sessions/ }).click();
      const dialog = sec.getByRole('dialog', { name: 'Sessions of bulk01@localhost' });
      await dialog.getByRole('row', { name: new RegExp(escapeRe(client.jid)) }).waitFor();
      await dialog.getByRole('button', { name: 'End all sessions' }).click();
      await focusedIs(sec, dialog.getByRole('button', { name: 'End sessions' }), 'the confirmation');
      const ended = sec.waitForResponse((r) => r.url().endsWith('/sessions')
        && r.request().method() === 'DELETE');
      await dialog.getByRole('button', { name: 'End sessions' }).click();
      const body = await (await ended).json();
      assert(body.ended === 1, `ended: ${JSON.stringify(body)}`);
      await toastSays(sec, '1 session(s) of bulk01@localhost ended.');
      await dialog.getByText('This account is not signed in anywhere.').waitFor();
    } finally {
      client.proc.kill();
      if (await sec.locator('dialog[open]').count()) await sec.keyboard.press('Escape');
      await sec.locator('dialog[open]').waitFor({ state: 'detached' });
    }
  });

  await check('secadmin: locks an account with a reason (its XMPP session ends, sign-in is refused), '
    + 'unfreezes it, then signs it out everywhere', async () => {
    const exited = (client) => new Promise((resolve, reject) => {
      if (client.proc.exitCode !== null || client.proc.signalCode !== null) return resolve();
      const timer = setTimeout(() => reject(new Error('the XMPP session is still open')), 5000);
      client.proc.once('exit', () => { clearTimeout(timer); resolve(); });
    });
    const first = await xmppSession(server.ports.c2s, 'bulk02', 'bulk-pw-2', 'before-freeze');
    first.proc.removeAllListeners('exit');
    let later = null;
    try {
      await sec.getByLabel('Search accounts').fill('bulk02');
      const answered = sec.waitForResponse((r) => r.url().includes('q=bulk02'));
      await sec.getByRole('button', { name: 'Search', exact: true }).click();
      await answered;
      const row = sec.getByRole('row', { name: /bulk02@localhost/ });
      await row.getByText('Active', { exact: true }).waitFor();
      await row.getByRole('button', { name: /^Freeze/ }).click();
      const dialog = sec.getByRole('dialog', { name: 'Freeze bulk02@localhost' });
      // A freeze is a recorded decision: no reason, no freeze.
      await dialog.getByRole('button', { name: 'Freeze the account' }).click();
      await dialog.getByText(/Give the reason/).waitFor();
      await dialog.getByLabel('Reason').fill('incident 42: suspected compromise, caller 13812345678');
      await dialog.getByRole('button', { name: 'Freeze the account' }).click();
      await toastSays(sec, 'bulk02@localhost is locked.');
      await row.getByText('Locked', { exact: true }).waitFor();
      await exited(first);
      const refused = await xmppSession(server.ports.c2s, 'bulk02', 'bulk-pw-2', 'while-locked')
        .then((c) => { c.proc.kill(); return false; }, () => true);
      assert(refused, 'the locked account signed in');
      await row.getByRole('button', { name: /^Unfreeze/ }).click();
      const un = sec.getByRole('dialog', { name: 'Unfreeze bulk02@localhost' });
      await un.getByText(/Locked until it is unfrozen\. Reason: incident 42/).waitFor();
      await un.getByLabel('Reason').fill('incident 42 closed');
      await un.getByRole('button', { name: 'Unfreeze', exact: true }).click();
      await toastSays(sec, 'bulk02@localhost is unfrozen.');
      await row.getByText('Active', { exact: true }).waitFor();
      later = await xmppSession(server.ports.c2s, 'bulk02', 'bulk-pw-2', 'after-unfreeze');
      later.proc.removeAllListeners('exit');
      await row.getByRole('button', { name: /^Sign out everywhere/ }).click();
      const confirm = sec.getByRole('alertdialog', { name: 'Sign bulk02@localhost out everywhere?' });
      await confirm.getByRole('button', { name: 'Sign out everywhere' }).click();
      await toastSays(sec, 'bulk02@localhost is signed out everywhere.');
      await exited(later);
    } finally {
      first.proc.kill();
      later?.proc.kill();
      if (await sec.locator('dialog[open]').count()) await sec.keyboard.press('Escape');
    }
  });

  await check('alerts: an empty list, and an empty state (no error) from a server that has no '
    + 'alert list (404)', async () => {
    await openPage(sec, 'en', 'nav.alerts');
    await sec.getByText('No alerts. Everything is quiet.').waitFor();
    await sec.route('**/api/v1/alerts*', (route) => route.fulfill({
      status: 404, contentType: 'application/problem+json',
      body: JSON.stringify({ type: 'about:blank', title: 'Not Found', status: 404,
                             detail: 'no such API resource' }),
    }));
    try {
      await openPage(sec, 'en', 'nav.overview');
      await sec.waitForFunction(() =>
        document.querySelector('.stat-open-alerts .stat__value')?.textContent === '0');
      await openPage(sec, 'en', 'nav.alerts');
      await sec.getByText('No alerts. Everything is quiet.').waitFor();
      assert(await sec.getByRole('alert').count() === 0, 'an error is shown');
      assert(!(await sec.locator('main').innerText()).includes('no such API resource'), '404 shown');
    } finally {
      await sec.unroute('**/api/v1/alerts*');
    }
  });

  await check('the account granted the auditor role signs in to its first-sign-in step', async () => {
    const ctx = await newContext('en-US', 'new auditor');
    const page = await ctx.newPage();
    await page.goto(`${base}/`);
    await signIn(page, newAuditor, 'en', '');
    await page.getByRole('heading', { level: 1, name: /Choose your own password|Set up two-factor authentication/ })
      .waitFor({ timeout: 20000 });
    await ctx.close();
  });

  await check('repeated failed sign-ins raise an alert: open on the overview, acknowledged by the '
    + 'secadmin; the locked account is told when to try again', async () => {
    // From an address of their own, so that 127.0.0.1 stays unlocked for the other checks, and
    // against an account that never signed in from 127.0.0.1 (smart lockout: an address the
    // account used before keeps its own counter, so the page would not see the lock).
    for (let i = 0; i < 5; i++) {
      const r = await apiCall(server.ports.admin, 'POST', '/api/v1/session', {},
        { jid: stranger.jid, password: `a-wrong-guess-${i}` }, '127.77.0.9');
      assert(r.status === 401 || r.status === 429, `failed sign-in ${i}: ${r.status}`);
    }
    const cookie = (await secCtx.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
    const deadline = Date.now() + 20000;
    for (;;) {
      const r = await apiCall(server.ports.admin, 'GET', '/api/v1/alerts?open=true', { Cookie: cookie });
      if (r.status === 200 && JSON.parse(r.body).items.some((a) => a.rule === 'admin-sign-in-failures')) break;
      assert(Date.now() < deadline, `no alert: ${r.status} ${r.body}`);
      await new Promise((res) => setTimeout(res, 100));
    }
    await openPage(sec, 'en', 'nav.overview');
    await sec.waitForFunction(() =>
      document.querySelector('.stat-open-alerts .stat__value')?.textContent === '1');
    await openPage(sec, 'en', 'nav.alerts');
    const row = sec.getByRole('row', { name: /Repeated failed administrator sign-ins/ });
    await row.getByText('Open', { exact: true }).waitFor();
    assert((await row.innerText()).includes(stranger.jid), `summary: ${await row.innerText()}`);
    await shot(sec, 'secadmin-7-alerts');
    const acked = sec.waitForResponse((r) => r.url().endsWith('/acknowledge'));
    await row.getByRole('button', { name: /^Acknowledge/ }).click();
    assert((await acked).status() === 204, 'acknowledge: not 204');
    await toastSays(sec, 'Alert acknowledged.');
    await row.getByText(`Acknowledged by ${secadmin.jid}`).waitFor();
    await sec.getByLabel('Open alerts only').check();
    await sec.getByText('No open alerts.').waitFor();

    const ctx = await newContext('en-US', 'locked account');
    const page = await ctx.newPage();
    await page.goto(`${base}/`);
    await signIn(page, stranger, 'en', '');
    await page.getByText(/too many failed sign-ins.*Try again in \d+ seconds\./).waitFor();
    await ctx.close();
  });

  // --- the audit administrator, in Simplified Chinese --------------------------------------
  const audCtx = await newContext('zh-CN', 'auditor');
  const aud = await audCtx.newPage();

  await check('auditor (zh-CN): the console is in Chinese, first sign-in and enrolment', async () => {
    await aud.goto(`${base}/`);
    await heading(aud, '登录管理控制台');
    assert(await aud.evaluate(() => document.documentElement.lang) === 'zh-CN', '<html lang>');
    await aud.getByLabel('管理员账号').waitFor();
    await firstSignIn(aud, base, auditor, 'zh-CN');
    const header = await aud.locator('.whoami').innerText();
    assert(header.includes('审计管理员'), `header: ${header}`);
    await aud.getByRole('link', { name: '审计日志', exact: true }).waitFor();
  });

  await check('auditor (zh-CN): no user management, role changes, token management or '
    + 'server status', async () => {
    const links = await navLinks(aud, 'zh-CN');
    assert(links.join('|') === '概览|租户|管理员与角色|API 令牌|审计日志|安全告警|登录记录', `nav: ${links}`);
    assert(!links.includes('用户'), 'Users');
    await heading(aud, '概览');
    assert(await aud.locator('.stat-connections').count() === 0, 'server status on the overview');
    await openPage(aud, 'zh-CN', 'nav.tenants');
    const tenant = aud.getByRole('row', { name: /localhost/ });
    await tenant.waitFor();
    assert(/\b30\b/.test(await tenant.innerText()), `tenant row: ${await tenant.innerText()}`);
    assert(await tenant.getByRole('link').count() === 0, 'a link to the users of the tenant');
    await openPage(aud, 'zh-CN', 'nav.admins');
    await aud.getByRole('row', { name: new RegExp(escapeRe(newAuditor.jid)) }).waitFor();
    assert(await aud.getByRole('heading', { name: '授予角色' }).count() === 0, 'grant form');
    assert(await aud.getByRole('button', { name: /^撤销/ }).count() === 0, 'revoke buttons');
    await openPage(aud, 'zh-CN', 'nav.tokens');
    assert(await aud.getByLabel('显示所有管理员的令牌').count() === 0, 'all tokens');
    await openPage(aud, 'zh-CN', 'nav.alerts');
    await aud.getByRole('row', { name: /管理员多次登录失败/ }).getByText(/已由 .* 确认/).waitFor();
    assert(await aud.getByRole('button', { name: /^确认/ }).count() === 0, 'acknowledge buttons');
  });

  await check('auditor (zh-CN): the audit log, filtered by an action prefix, shows what the '
    + 'other administrators did; verification says intact', async () => {
    await openPage(aud, 'zh-CN', 'nav.audit');
    await aud.locator('.audit-table tbody tr').first().waitFor();
    await aud.getByLabel('操作', { exact: true }).fill('user.');
    let answered = aud.waitForResponse((r) => r.url().includes('action=user.'));
    await aud.getByRole('button', { name: '应用筛选' }).click();
    assert((await answered).status() === 200, 'filter: not 200');
    await onlyActions(aud, 'user.');
    let actions = await aud.locator('.audit-table code.audit-action').allInnerTexts();
    for (const a of ['user.create', 'user.password', 'user.delete']) {
      assert(actions.includes(a), `${a} missing from ${actions}`);
    }
    const objects = await aud.locator('.audit-table tbody').innerText();
    assert(objects.includes(userJid), `the account ${userJid} is not in the records`);

    await aud.getByLabel('操作', { exact: true }).fill('admin.');
    answered = aud.waitForResponse((r) => r.url().includes('action=admin.'));
    await aud.getByRole('button', { name: '应用筛选' }).click();
    await answered;
    await onlyActions(aud, 'admin.');
    actions = await aud.locator('.audit-table code.audit-action').allInnerTexts();
    assert(actions.includes('admin.totp_enrol'), `no admin.totp_enrol in ${actions}`);

    // A time range: records from a day to come are none yet.
    await aud.getByLabel('开始时间').fill('2099-01-01T00:00:00');
    answered = aud.waitForResponse((r) => /[?&]from=2099-01-0[12]T\d\d%3A\d\d%3A00Z/.test(r.url()));
    await aud.getByRole('button', { name: '应用筛选' }).click();
    assert((await answered).status() === 200, 'from: not 200');
    await aud.getByText('没有符合筛选条件的记录。').waitFor();

    // More records than fit on a page: older ones are a cursor away.
    await aud.getByRole('button', { name: '清除筛选' }).click();
    await aud.waitForFunction(() => document.querySelectorAll('.audit-table tbody tr').length === 50);
    const newest = Number(await aud.locator('.audit-table tbody tr td').first().innerText());
    const pages = aud.getByRole('navigation', { name: '分页' });
    answered = aud.waitForResponse((r) => r.url().includes('cursor='));
    await pages.getByRole('button', { name: '较早' }).click();
    await answered;
    await pages.getByText('第 2 页').waitFor();
    const older = (await aud.locator('.audit-table tbody tr td:first-child').allInnerTexts()).map(Number);
    assert(older.length > 0 && Math.max(...older) < newest - 49, `page 2: ${older} after ${newest}`);
    await pages.getByRole('button', { name: '较新' }).click();
    await pages.getByText('第 1 页').waitFor();

    await aud.getByRole('button', { name: '校验日志' }).click();
    await aud.getByText('完整：审计日志校验通过。').waitFor({ timeout: 30000 });
    await aud.getByText(/已检查 [\d,]+ 条记录/).waitFor();
    await shot(aud, 'auditor-5-audit-log');

    // How a log that does not verify is shown (the server's answer stood in for).
    await aud.route('**/api/v1/audit/verification', (route) => route.fulfill({
      status: 200, contentType: 'application/json',
      body: JSON.stringify({ intact: false, records_checked: 12, tree_size: 40, root: '',
                             problem: 'record 7 does not match its leaf hash', first_bad_record: 7 }),
    }));
    try {
      await aud.getByRole('button', { name: '校验日志' }).click();
      await aud.getByText('不完整：审计日志校验未通过。').waitFor();
      await aud.getByText('record 7 does not match its leaf hash').waitFor();
      await aud.getByText('第一条异常记录：#7').waitFor();
    } finally {
      await aud.unroute('**/api/v1/audit/verification');
    }
  });

  await check('auditor (zh-CN): personal data in the audit log is shown masked; showing it in '
    + 'clear is a choice the audit log records', async () => {
    // The check before ends on the audit log page.
    if (!new URL(aud.url()).pathname.endsWith('/audit')) await openPage(aud, 'zh-CN', 'nav.audit');
    const body = aud.locator('.audit-table tbody');
    await aud.getByLabel('操作', { exact: true }).fill('user.freeze');
    let answered = aud.waitForResponse((r) => r.url().includes('action=user.freeze'));
    await aud.getByRole('button', { name: '应用筛选' }).click();
    await answered;
    await onlyActions(aud, 'user.freeze');
    let text = await body.textContent();
    assert(text.includes('incident 42') && text.includes('138****5678') && !text.includes('13812345678'),
      `the freeze record as shown: ${text}`);
    answered = aud.waitForResponse((r) => r.url().includes('reveal=true'));
    await aud.getByLabel('明文显示个人信息').check();
    assert((await answered).status() === 200, 'reveal: not 200');
    await aud.waitForFunction(
      () => document.querySelector('.audit-table tbody')?.textContent.includes('13812345678'));
    await aud.getByLabel('明文显示个人信息').uncheck();
    await aud.waitForFunction(
      () => !document.querySelector('.audit-table tbody')?.textContent.includes('13812345678'));
    await aud.getByLabel('操作', { exact: true }).fill('personal.reveal');
    answered = aud.waitForResponse((r) => r.url().includes('action=personal.reveal'));
    await aud.getByRole('button', { name: '应用筛选' }).click();
    await answered;
    await onlyActions(aud, 'personal.reveal');
    text = await body.textContent();
    assert(text.includes(auditor.jid) && text.includes('/api/v1/audit/events'), `reveals: ${text}`);
    await aud.getByRole('button', { name: '清除筛选' }).click();
  });

  await check('auditor (zh-CN): export (JSON Lines), signed checkpoint and verifier key', async () => {
    let download = aud.waitForEvent('download');
    await aud.getByRole('button', { name: '导出（JSON Lines）' }).click();
    let file = await download;
    assert(file.suggestedFilename().endsWith('.jsonl'), file.suggestedFilename());
    const lines = readFileSync(await file.path(), 'utf8').trim().split('\n');
    const records = lines.map((l) => JSON.parse(l));
    assert(records.length > 20 && records.some((r) => r.action === 'role.grant'),
      `${records.length} exported records`);

    download = aud.waitForEvent('download');
    await aud.getByRole('button', { name: '下载签名检查点' }).click();
    file = await download;
    const note = readFileSync(await file.path(), 'utf8');
    const noteLines = note.split('\n');
    assert(/^\d+$/.test(noteLines[1]) && Number(noteLines[1]) >= records.length
      && note.includes('\n\n\u2014 '), `checkpoint: ${note}`);

    await aud.getByRole('button', { name: '显示验证公钥' }).click();
    const key = (await aud.locator('.verifier-key pre').innerText()).trim();
    const served = (await apiCall(server.ports.admin, 'GET', '/api/v1/audit/key', {
      Cookie: (await audCtx.cookies()).map((c) => `${c.name}=${c.value}`).join('; '),
    })).body.trim();
    assert(key && key === served, `key on the page: ${key}; served: ${served}`);
    await shot(aud, 'auditor-6-audit-key');
  });

  await check('auditor (zh-CN): the tenant\'s sign-in attempts, every protocol, with the '
    + 'failed guesses against an account', async () => {
    await openPage(aud, 'zh-CN', 'nav.logins');
    const table = aud.locator('.logins-table');
    // The guesses from 127.77.0.9 and the stranger's refused attempt from this browser.
    const guess = table.getByRole('row', { name: new RegExp(`${escapeRe(stranger.jid)}.*127\\.77\\.0\\.9`) });
    await guess.first().waitFor();
    assert(await guess.count() === 5, `guesses listed: ${await guess.count()}`);
    assert((await guess.first().innerText()).includes('失败'), 'not shown as failed');
    assert((await guess.first().innerText()).includes('admin · password'), await guess.first().innerText());
    // This auditor's own first console sign-in (the one-time password, before enrolment).
    const own = table.getByRole('row', { name: new RegExp(`${escapeRe(auditor.jid)}.*成功.*admin · password`) });
    await own.first().waitFor();
    await shot(aud, 'auditor-logins');
    // Back where the next check expects the console to reopen after signing in again.
    await openPage(aud, 'zh-CN', 'nav.audit');
  });

  await check('auditor (zh-CN): signs out and in again with a recovery code', async () => {
    await signOut(aud, 'zh-CN');
    await aud.getByText('您已退出登录。').waitFor();
    await signIn(aud, auditor, 'zh-CN', auditor.recoveryCodes[0]);
    await heading(aud, '审计日志');
  });

  await check('no page reported a CSP violation or a script error', async () => {
    const problems = watched.flatMap((w) => [
      ...w.violations.map((v) => `${w.name}: ${v}`), ...w.errors.map((e) => `${w.name}: ${e}`)]);
    assert(!problems.length, problems.join('\n'));
  });

  await check('no request went to another origin', async () => {
    const away = watched.flatMap((w) => elsewhere(w, base).map((u) => `${w.name}: ${u}`));
    assert(!away.length, away.join('\n'));
    assert(watched.every((w) => w.urls.some((u) => u.includes('/assets/'))), 'no assets loaded');
  });

  await check('the CSP watch itself sees a violation (an inline script)', async () => {
    const ctx = await newContext('en-US', 'self-check');
    const page = await ctx.newPage();
    await page.goto(`${base}/`);
    await page.locator('#signin-jid').waitFor();
    const seen = watched[watched.length - 1];
    const reported = page.waitForEvent('console', (m) => /securitypolicyviolation/.test(m.text()));
    await page.evaluate(() => {
      const s = document.createElement('script');
      s.textContent = 'window.inlineRan = true';
      document.head.append(s);
    });
    await reported;
    assert(!(await page.evaluate(() => window.inlineRan)), 'the inline script ran');
    assert(seen.violations.length > 0, 'not recorded');
    await ctx.close();
  });
} catch (e) {
  // Something outside a check threw: the checks after it never ran, and that is a failure,
  // never a silent skip.
  results.push([`stopped before the remaining checks: ${e.message}`, false]);
  console.log(`FAIL stopped before the remaining checks: ${e.stack || e}`);
} finally {
  await browser.close();
  await new Promise((resolve) => {
    server.proc.once('exit', resolve);
    server.proc.kill('SIGTERM');
    setTimeout(resolve, 10000);
  });
  rmSync(server.dir, { recursive: true, force: true });
}
// The exit status tells make test whether any check failed (a stop above counts as one);
// no check is ever skipped.
process.exit(summary('admin console') ? 1 : 0);
