// The account center (/account/ on the client HTTPS listener) in headless Chromium against a
// real rampartd: sign-in with the keyboard, TOTP enrolment from the secret on the page and the
// recovery codes, sign-in with the second factor (a wrong code, then a right one, then a
// recovery code), an app password that signs in a real XMPP client and whose revocation ends
// that client's session, the sign-in history, a password change, "this wasn't me" ending an
// XMPP session and the browser session, Simplified Chinese, no CSP violation and no request to
// another origin. Prints "N passed, N failed".
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  accountPassword, apiCall, assert, chromium, check, elsewhere, heading, rampartctl, rampartd, results, shot,
  summary, text, toastSays, totp, watch, xmppSession,
} from './lib.mjs';

function startServer() {
  const dir = mkdtempSync(path.join(tmpdir(), 'rampart-account-browser-'));
  const proc = spawn(rampartd, ['--dev', '--data-dir', dir, '--c2s-port', '0', '--tls-port', '0',
                                '--https-port', '0', '--admin-port', '0'],
  { stdio: ['ignore', 'ignore', 'ignore'] });
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 20000;
    proc.on('error', reject);
    proc.on('exit', (code) => reject(new Error(`rampartd exited (${code})`)));
    const poll = () => {
      const f = path.join(dir, 'ports.json');
      if (existsSync(f)) {
        try {
          const ports = JSON.parse(readFileSync(f, 'utf8'));
          if (ports.https && ports.c2s) return resolve({ proc, dir, ports });
        } catch (e) { /* still being written */ }
      }
      if (Date.now() > deadline) return reject(new Error('rampartd did not start'));
      setTimeout(poll, 100);
    };
    poll();
  });
}

// Exits (the server ended the session) within `ms`, or throws.
function exitsWithin(proc, ms, what) {
  return new Promise((resolve, reject) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    const timer = setTimeout(() => reject(new Error(`${what} is still signed in after ${ms} ms`)), ms);
    proc.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

// The XMPP client stays up; a client whose sign-in fails exits with an error.
async function signsIn(port, user, password, resource) {
  const client = await xmppSession(port, user, password, resource);
  client.proc.removeAllListeners('exit');
  return client;
}

function refused(port, user, password) {
  return xmppSession(port, user, password, 'probe').then(
    (c) => { c.proc.kill(); return false; },
    () => true);
}

let server = null;
await check('rampartd starts', async () => {
  server = await startServer();
});
// Without a server nothing further can run: the failed start is already counted as a failure,
// so this ends the run as failed (exit status 1), never as a skip.
if (!server) {
  summary('account center');
  process.exit(1);
}
const base = `https://localhost:${server.ports.https}`;
const user = `erin${randomBytes(3).toString('hex')}`;
const jid = `${user}@localhost`;
const account = { password: accountPassword(`${user}-first`), secret: '', lastStep: 0,
                  recovery: [] };
execFileSync(rampartctl, ['--data-dir', server.dir, 'user', 'add', jid, account.password]);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const watched = [];
const L = (k, p) => text('en', k, p);

// A code the server has not accepted yet (each step works once); waits for a fresh step
// only when the current ones are spent.
async function nextCode() {
  let now = Math.floor(Date.now() / 30000);
  const step = Math.max(now, account.lastStep + 1);
  if (step > now + 1) {
    await new Promise((r) => setTimeout(r, (step - 1) * 30000 - Date.now() + 200));
    now = Math.floor(Date.now() / 30000);
  }
  account.lastStep = step;
  return totp(account.secret, step);
}

async function signInForm(page, password) {
  await heading(page, L('account.signInTitle'));
  await page.locator('#signin-jid').fill(jid);
  await page.locator('#signin-password').fill(password);
  await page.getByRole('button', { name: L('signIn.submit'), exact: true }).click();
}

let page = null;
try {
  const served = await check('the account center is served at /account/ with the strict CSP', async () => {
    for (const p of ['/account/', '/account/security']) {
      const r = await apiCall(server.ports.https, 'GET', p);
      assert(r.status === 200, `${p}: ${r.status}`);
      assert(r.headers['content-type'].startsWith('text/html'), `${p}: ${r.headers['content-type']}`);
      const csp = r.headers['content-security-policy'] || '';
      for (const d of ["script-src 'self'", "style-src 'self'", "frame-ancestors 'none'"]) {
        assert(csp.includes(d), `${p}: CSP ${csp}`);
      }
      assert(/<script type="module"[^>]* src="\/account\/assets\//.test(r.body), `${p}: no module from /account/assets/`);
      assert(!/<script(?![^>]*\ssrc=)[^>]*>/.test(r.body), `${p}: an inline script`);
    }
    const r = await apiCall(server.ports.https, 'GET', '/account');
    assert(r.status === 301 && r.headers.location === '/account/', `/account: ${r.status}`);
  });
  if (!served) throw new Error('the account center is not served (build it: npm run build in web/account)');

  const ctx = await browser.newContext({ ignoreHTTPSErrors: true, locale: 'en-US', acceptDownloads: true });
  watched.push(await watch(ctx, 'account'));
  page = await ctx.newPage();

  await check('sign-in with Tab and Enter alone; the cookie is HttpOnly, Secure, SameSite=Strict', async () => {
    await page.goto(`${base}/account/`);
    await heading(page, L('account.signInTitle'));
    await page.keyboard.type(jid);  // the account field has the focus
    await page.keyboard.press('Tab');
    await page.keyboard.type(account.password);
    await page.keyboard.press('Enter');
    await heading(page, L('account.homeTitle'));
    const cookies = await page.context().cookies();
    const c = cookies.find((x) => x.name === '__Host-rampart_account');
    assert(c, `no session cookie: ${JSON.stringify(cookies)}`);
    assert(c.httpOnly && c.secure && c.sameSite === 'Strict' && c.path === '/', JSON.stringify(c));
    await shot(page, 'account-1-home');
  });

  await check('TOTP enrolment from the secret on the page, then ten recovery codes', async () => {
    await page.getByRole('button', { name: L('totp.title') }).click();
    await heading(page, L('totp.title'));
    const secret = page.locator('#totp-secret');
    await secret.waitFor();
    account.secret = await secret.getAttribute('data-secret');
    assert(/^[A-Z2-7]{32}$/.test(account.secret), `secret ${account.secret}`);
    await page.locator('#totp-code').fill(await nextCode());
    await page.getByRole('button', { name: L('totp.confirm') }).click();
    await heading(page, L('recovery.title'));
    account.recovery = (await page.locator('.recovery-codes code').allInnerTexts()).map((c) => c.trim());
    assert(account.recovery.length === 10, `codes: ${account.recovery}`);
    await page.getByLabel(L('recovery.acknowledge')).check();
    await page.getByRole('button', { name: L('account.continue') }).click();
    await heading(page, L('account.homeTitle'));
    await page.getByText(L('account.totpOn')).waitFor();
    await page.getByText(L('account.recoveryLeft', { n: 10 })).waitFor();
  });

  let phone = null;
  let appPassword = '';
  await check('an app password signs in a real XMPP client, listed with the session', async () => {
    await page.locator('#device-name').fill('Work phone');
    await page.getByRole('button', { name: L('account.addDevice') }).click();
    const dialog = page.getByRole('dialog', { name: L('account.appPasswordTitle', { name: 'Work phone' }) });
    await dialog.waitFor();
    appPassword = (await dialog.locator('#app-password').innerText()).trim();
    assert(/^[a-z]{4}(-[a-z]{4}){3}$/.test(appPassword), `app password ${appPassword}`);
    await dialog.getByRole('button', { name: L('common.close') }).click();
    phone = await signsIn(server.ports.c2s, user, appPassword, 'phone');
    assert(phone.jid.endsWith('/phone'), phone.jid);
    await page.reload();
    await heading(page, L('account.homeTitle'));
    const devices = page.locator('#devices');
    await devices.getByText('Work phone').waitFor();
    await devices.getByText('127.0.0.1').waitFor({ timeout: 10000 });
    await page.getByRole('region', { name: L('account.chatSessions') }).getByText('phone', { exact: true })
      .waitFor();
  });

  await check('revoking the app password ends that client\'s session at once', async () => {
    assert(phone, 'no client');
    await page.getByRole('button', { name: L('account.revokeNamed', { name: 'Work phone' }) }).click();
    const dialog = page.getByRole('alertdialog');
    await dialog.getByRole('button', { name: L('account.revoke') }).click();
    await toastSays(page, L('account.deviceRevoked', { name: 'Work phone' }));
    await exitsWithin(phone.proc, 3000, 'the revoked device');
    assert(await refused(server.ports.c2s, user, appPassword), 'the revoked app password still signs in');
    await page.locator('#devices').getByText(L('account.noDevices')).waitFor();
  });

  await check('sign-in now asks for the second factor: a wrong code is refused, a right one works', async () => {
    await page.getByRole('button', { name: L('app.signOut'), exact: true }).click();
    await page.getByText(L('signIn.signedOut')).waitFor();
    await signInForm(page, account.password);
    await heading(page, L('account.secondFactorTitle'));
    const now = Math.floor(Date.now() / 30000);
    const valid = [now - 1, now, now + 1].map((s) => totp(account.secret, s));
    const wrong = ['000000', '111111', '222222', '333333'].find((c) => !valid.includes(c));
    await page.locator('#second-code').fill(wrong);
    await page.getByRole('button', { name: L('account.verify') }).click();
    await page.getByText('wrong or already used code').waitFor();
    await page.locator('#second-code').fill(await nextCode());
    await page.getByRole('button', { name: L('account.verify') }).click();
    await heading(page, L('account.homeTitle'));
  });

  await check('a recovery code signs in once; the count goes down', async () => {
    await page.getByRole('button', { name: L('app.signOut'), exact: true }).click();
    await signInForm(page, account.password);
    await heading(page, L('account.secondFactorTitle'));
    await page.locator('#second-code').fill(account.recovery[0]);
    await page.getByRole('button', { name: L('account.verify') }).click();
    await heading(page, L('account.homeTitle'));
    await page.getByText(L('account.recoveryLeft', { n: 9 })).waitFor();
    // The same code again is refused.
    await page.getByRole('button', { name: L('app.signOut'), exact: true }).click();
    await signInForm(page, account.password);
    await page.locator('#second-code').fill(account.recovery[0]);
    await page.getByRole('button', { name: L('account.verify') }).click();
    await page.getByText('wrong or already used code').waitFor();
    await page.locator('#second-code').fill(account.recovery[1]);
    await page.getByRole('button', { name: L('account.verify') }).click();
    await heading(page, L('account.homeTitle'));
  });

  await check('a passkey from Chromium\'s virtual authenticator (ES256) is added, then signs in', async () => {
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true,
                 hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });
    await page.locator('#passkey-name').fill('Laptop');
    await page.getByRole('button', { name: L('account.addPasskey') }).click();
    await toastSays(page, L('account.passkeyAdded', { name: 'Laptop' }));
    const keys = page.locator('#passkeys');
    await keys.getByRole('cell', { name: 'Laptop', exact: true }).waitFor();
    await keys.getByText('ES256').waitFor();
    await page.getByRole('button', { name: L('app.signOut'), exact: true }).click();
    await signInForm(page, account.password);
    await heading(page, L('account.secondFactorTitle'));
    await page.getByRole('button', { name: L('account.usePasskey') }).click();
    await heading(page, L('account.homeTitle'));
    const r = await page.evaluate(async () => (await (await fetch('/account/api/v1/passkeys')).json()));
    assert(r.items.length === 1 && r.items[0].last_used, `passkeys: ${JSON.stringify(r)}`);
  });

  await check('the sign-in history shows web sign-ins with their credential and a failed one', async () => {
    const history = page.locator('#history');
    await history.getByText('web · password+totp').first().waitFor();
    await history.getByText('web · password+recovery-code').first().waitFor();
    await history.getByText('web · password+passkey').first().waitFor();
    await history.getByText('wrong-second-factor').first().waitFor();
    await history.getByText(L('logins.failure')).first().waitFor();
    await shot(page, 'account-2-history');
  });

  await check('password change: a wrong current password is refused, the policy names its rule, then it works', async () => {
    const form = page.locator('#password');
    const next = accountPassword(`${user}-second`);
    await form.locator('#pw-current').fill('not-the-password');
    await form.locator('#pw-new').fill(next);
    await form.locator('#pw-confirm').fill(next);
    await form.getByRole('button', { name: L('password.change') }).click();
    await form.getByText('the current password is wrong').waitFor();
    await form.locator('#pw-current').fill(account.password);
    await form.locator('#pw-new').fill(`Kx9-${user}-Qz`);
    await form.locator('#pw-confirm').fill(`Kx9-${user}-Qz`);
    await form.getByRole('button', { name: L('password.change') }).click();
    await form.getByText('must not contain the account name').waitFor();
    await form.locator('#pw-new').fill(next);
    await form.locator('#pw-confirm').fill(next);
    await form.getByRole('button', { name: L('password.change') }).click();
    await toastSays(page, L('password.changed'));
    account.password = next;
  });

  await check('"this wasn\'t me" ends the XMPP session and this browser session within a second', async () => {
    const laptop = await signsIn(server.ports.c2s, user, account.password, 'laptop');
    await page.getByRole('button', { name: L('account.notMe') }).click();
    const dialog = page.getByRole('alertdialog');
    await dialog.getByText(L('account.notMeText')).waitFor();
    await dialog.getByRole('button', { name: L('account.signOutEverywhere') }).click();
    await page.getByText(L('account.signedOutEverywhere')).waitFor();
    await exitsWithin(laptop.proc, 2000, 'the XMPP client');
    const r = await page.evaluate(async () => (await fetch('/account/api/v1/session')).status);
    assert(r === 401, `the old session answered ${r}`);
  });

  await check('a phone confirmed by a text message, then "forgot your password" resets it with a code and the passkey', async () => {
    // Signed in again (the previous check signed out everywhere).
    await signInForm(page, account.password);
    await page.locator('#second-code').fill(account.recovery[3]);
    await page.getByRole('button', { name: L('account.verify') }).click();
    await heading(page, L('account.homeTitle'));
    const outbox = path.join(server.dir, 'sms-outbox.jsonl');
    const sent = () => (existsSync(outbox) ? readFileSync(outbox, 'utf8').trim().split('\n')
      .filter(Boolean).map((l) => JSON.parse(l)) : []);
    const codeAfter = async (n) => {
      for (let i = 0; i < 200; i++) {
        const all = sent();
        if (all.length > n) return all[all.length - 1].text.match(/\b(\d{6})\b/)[1];
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error('no text message');
    };
    const section = page.locator('#recovery');
    await section.locator('#phone-number').fill('13912345678');
    let n = sent().length;
    await section.getByRole('button', { name: L('recoveryOptions.sendCode') }).click();
    await section.locator('#phone-code').fill(await codeAfter(n));
    await section.getByRole('button', { name: L('recoveryOptions.confirm') }).click();
    await toastSays(page, L('recoveryOptions.phoneSaved'));
    await section.getByText('+86 *******5678').waitFor();
    // The number counts for resets after 7 days: the record is moved back, not the clock.
    execFileSync('/usr/bin/python3', ['-c',
      'import sqlite3,sys,time; db=sqlite3.connect(sys.argv[1]); ' +
      'db.execute("UPDATE account_state SET phone_added=? WHERE user=?", ' +
      '(int((time.time()-8*86400)*1000), sys.argv[2])); db.commit()',
      path.join(server.dir, 'rampart.db'), user]);
    await page.getByRole('button', { name: L('app.signOut'), exact: true }).click();
    await page.getByRole('button', { name: L('reset.forgot') }).click();
    await heading(page, L('reset.title'));
    await page.locator('#reset-jid').fill(jid);
    n = sent().length;
    await page.getByRole('button', { name: L('reset.continue') }).click();
    await page.getByText(L('reset.codeSent')).waitFor();
    await page.locator('#reset-code').fill(await codeAfter(n));
    await page.getByRole('button', { name: L('reset.continue') }).click();
    // The second factor by the passkey added earlier (the virtual authenticator is still there);
    // the page offers the code field too, since the account also has TOTP.
    await page.locator('#reset-factor').waitFor();
    await page.getByRole('button', { name: L('account.usePasskey') }).click();
    const next = accountPassword(`${user}-third`);
    await page.locator('#reset-password').fill(next);
    await page.getByRole('button', { name: L('reset.continue') }).click();
    await heading(page, L('account.signInTitle'));
    await page.getByText(L('reset.done')).first().waitFor();
    account.password = next;
  });

  await check('a password past its maximum age signs in to the account center, which asks for the '
    + 'change before anything else; XMPP refuses it meanwhile', async () => {
    // 400 days old (the mlps profile's maximum is 90): the record is moved back, not the clock.
    execFileSync('/usr/bin/python3', ['-c',
      'import sqlite3,sys,time; db=sqlite3.connect(sys.argv[1]); ' +
      'db.execute("UPDATE account_state SET password_changed=? WHERE user=?", ' +
      '(int((time.time()-400*86400)*1000), sys.argv[2])); db.commit()',
      path.join(server.dir, 'rampart.db'), user]);
    assert(await refused(server.ports.c2s, user, account.password), 'XMPP took the expired password');
    await signInForm(page, account.password);
    await heading(page, L('account.secondFactorTitle'));
    await page.getByRole('button', { name: L('account.usePasskey') }).click();
    await heading(page, L('account.expiredTitle'));
    const next = accountPassword(`${user}-fourth`);
    await page.locator('#pw-new').fill(next);
    await page.locator('#pw-confirm').fill(next);
    await page.getByRole('button', { name: L('password.change') }).click();
    await heading(page, L('account.homeTitle'));
    account.password = next;
    const client = await signsIn(server.ports.c2s, user, account.password, 'after-change');
    client.proc.kill();
    await page.getByRole('button', { name: L('app.signOut'), exact: true }).click();
    await heading(page, L('account.signInTitle'));
  });

  await check('security questions, switched on by the operator, are set in the account center and '
    + 'asked in "forgot your password" after the code', async () => {
    // The operator switches reset_questions on in the development configuration and restarts.
    await new Promise((resolve) => {
      server.proc.removeAllListeners('exit');
      server.proc.once('exit', resolve);
      server.proc.kill('SIGTERM');
    });
    const config = path.join(server.dir, 'rampart.toml');
    appendFileSync(config, '\n[account_security]\nreset_questions = true\n');
    rmSync(path.join(server.dir, 'ports.json'), { force: true });
    server.proc = spawn(rampartd, ['--config', config], { stdio: ['ignore', 'ignore', 'ignore'] });
    for (let i = 0; !existsSync(path.join(server.dir, 'ports.json')); i++) {
      assert(i < 200 && server.proc.exitCode === null, 'rampartd did not start again');
      await new Promise((r) => setTimeout(r, 100));
    }
    await page.goto(`${base}/account/`);
    await signInForm(page, account.password);
    await heading(page, L('account.secondFactorTitle'));
    await page.getByRole('button', { name: L('account.usePasskey') }).click();
    await heading(page, L('account.homeTitle'));
    const section = page.locator('#recovery');
    const pairs = [['Name of your first school?', 'Hillside Primary'],
                   ['City where your parents met?', 'Hangzhou'],
                   ['Your first phone?', 'Nokia 3310']];
    for (const [i, [q, a]] of pairs.entries()) {
      await section.locator(`#question-${i}`).fill(q);
      await section.locator(`#answer-${i}`).fill(a);
    }
    await section.getByRole('button', { name: L('recoveryOptions.saveQuestions') }).click();
    await toastSays(page, L('recoveryOptions.questionsSaved'));
    await page.getByRole('button', { name: L('app.signOut'), exact: true }).click();
    await page.getByRole('button', { name: L('reset.forgot') }).click();
    await page.locator('#reset-jid').fill(jid);
    const outbox = path.join(server.dir, 'sms-outbox.jsonl');
    const before = readFileSync(outbox, 'utf8').trim().split('\n').length;
    await page.getByRole('button', { name: L('reset.continue') }).click();
    await page.getByText(L('reset.codeSent')).waitFor();
    let lines = [];
    for (let i = 0; i < 200 && lines.length <= before; i++) {
      lines = readFileSync(outbox, 'utf8').trim().split('\n');
      if (lines.length <= before) await new Promise((r) => setTimeout(r, 25));
    }
    const code = JSON.parse(lines[lines.length - 1]).text.match(/\b(\d{6})\b/)[1];
    await page.locator('#reset-code').fill(code);
    await page.getByRole('button', { name: L('reset.continue') }).click();
    // The questions, with answers typed differently (case and width are folded).
    await page.getByLabel(pairs[0][0]).fill('HILLSIDE primary');
    await page.getByLabel(pairs[1][0]).fill('hangzhou');
    await page.getByLabel(pairs[2][0]).fill('Ｎｏｋｉａ 3310');
    await page.getByRole('button', { name: L('reset.continue') }).click();
    await page.locator('#reset-factor').waitFor();
    await page.getByRole('button', { name: L('account.usePasskey') }).click();
    const next = accountPassword(`${user}-fifth`);
    await page.locator('#reset-password').fill(next);
    await page.getByRole('button', { name: L('reset.continue') }).click();
    await heading(page, L('account.signInTitle'));
    account.password = next;
  });

  await check('Simplified Chinese: the sign-in page and the account page', async () => {
    await page.getByLabel('Language').selectOption('zh-CN');
    await heading(page, text('zh-CN', 'account.signInTitle'));
    assert(await page.evaluate(() => document.documentElement.lang) === 'zh-CN', 'lang not zh-CN');
    await page.locator('#signin-jid').fill(jid);
    await page.locator('#signin-password').fill(account.password);
    await page.getByRole('button', { name: text('zh-CN', 'signIn.submit'), exact: true }).click();
    await heading(page, text('zh-CN', 'account.secondFactorTitle'));
    await page.locator('#second-code').fill(account.recovery[5]);
    await page.getByRole('button', { name: text('zh-CN', 'account.verify') }).click();
    await heading(page, text('zh-CN', 'account.homeTitle'));
    await page.getByRole('heading', { name: text('zh-CN', 'account.historyTitle') }).waitFor();
    await shot(page, 'account-3-zh');
  });

  await check('no page reported a CSP violation or a script error', async () => {
    const problems = watched.flatMap((w) => [...w.violations, ...w.errors].map((p) => `${w.name}: ${p}`));
    assert(problems.length === 0, problems.join('\n'));
  });

  await check('no request went to another origin', async () => {
    const away = watched.flatMap((w) => elsewhere(w, base).map((u) => `${w.name}: ${u}`));
    assert(away.length === 0, away.join('\n'));
  });
} catch (e) {
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
process.exit(summary('account center') ? 1 : 0);
