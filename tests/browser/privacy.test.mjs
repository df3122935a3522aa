// Consent to the tenant's privacy notice and the person's rights, in headless Chromium against a
// real rampartd whose tenant publishes a notice (English and Simplified Chinese): the web client
// asks for it in a modal dialog after sign-in (keyboard only; declining signs out), the account
// center asks before anything else, a new version asks again, the person downloads their data,
// sees a legal hold on it, and withdraws consent, which erases the account. Every answer is on
// the audit log. Prints "N passed, N failed".
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  accountPassword, assert, check, chromium, heading, rampartctl, rampartd, shot,
  summary, text, toastSays, watch,
} from './lib.mjs';

const dir = mkdtempSync(path.join(tmpdir(), 'rampart-privacy-browser-'));
const config = path.join(dir, 'rampart.toml');
const NOTICE_EN = 'Acme processes your messages and files to run this chat service.\nContact the data protection officer at dpo@localhost.';
const NOTICE_ZH = '本公司为提供聊天服务处理您的消息和文件。\n请联系个人信息保护负责人 dpo@localhost。';

function writeConfig(version) {
  writeFileSync(path.join(dir, 'notice-en.txt'), `${NOTICE_EN}\n(${version})`);
  writeFileSync(path.join(dir, 'notice-zh.txt'), `${NOTICE_ZH}\n（${version}）`);
  writeFileSync(config, `
[server]
data_dir = "${path.join(dir, 'data')}"
[tls]
certificate = "${path.join(dir, 'cert.pem')}"
private_key = "${path.join(dir, 'key.pem')}"
[c2s.starttls]
addresses = ["127.0.0.1"]
port = 0
[c2s.direct_tls]
addresses = ["127.0.0.1"]
port = 0
[https]
addresses = ["127.0.0.1"]
port = 0
[admin]
addresses = ["127.0.0.1"]
port = 0
[[hosts]]
name = "localhost"
display_name = "Acme"
[privacy]
notice_version = "${version}"
notice_file = "${path.join(dir, 'notice-en.txt')}"
notice_file_zh = "${path.join(dir, 'notice-zh.txt')}"
show_legal_hold = true
`);
}

function startServer() {
  const ports = path.join(dir, 'data', 'ports.json');
  rmSync(ports, { force: true });
  const proc = spawn(rampartd, ['--config', config], { stdio: ['ignore', 'ignore', 'ignore'] });
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 20000;
    proc.on('error', reject);
    proc.on('exit', (code) => reject(new Error(`rampartd exited (${code})`)));
    const poll = () => {
      if (existsSync(ports)) {
        try {
          const p = JSON.parse(readFileSync(ports, 'utf8'));
          if (p.https && p.c2s) return resolve({ proc, ports: p });
        } catch (e) { /* still being written */ }
      }
      if (Date.now() > deadline) return reject(new Error('rampartd did not start'));
      setTimeout(poll, 100);
    };
    poll();
  });
}

function stopServer(server) {
  return new Promise((resolve) => {
    server.proc.removeAllListeners('exit');
    server.proc.on('exit', () => resolve());
    server.proc.kill('SIGTERM');
  });
}

const ctl = (...args) => execFileSync(rampartctl, ['--config', config, ...args]).toString();
const auditTail = () => ctl('audit', 'tail', '-n', '60', '--json').trim().split('\n')
  .map((l) => JSON.parse(l));
const password = (user) => accountPassword(`${user}@localhost`);

execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
  '-nodes', '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost',
  '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' });
writeConfig('2026-01');

let server = null;
await check('rampartd starts with a privacy notice', async () => {
  server = await startServer();
});
// Without a server nothing further can run: the failed start is already counted as a failure,
// so this ends the run as failed (exit status 1), never as a skip.
if (!server) {
  summary('privacy');
  process.exit(1);
}
for (const user of ['alice', 'bob', 'carol', 'lin']) {
  ctl('user', 'add', `${user}@localhost`, password(user));
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const base = () => `https://localhost:${server.ports.https}`;
const watched = [];
const L = (k, p) => text('en', k, p);

async function chatSignIn(page, user) {
  await page.goto(`${base()}/chat/`);
  await page.fill('input[name="jid"]', user);
  await page.fill('input[name="password"]', password(user));
  await page.click('form.converse-form [type="submit"]');
}

async function accountSignIn(page, user) {
  await page.goto(`${base()}/account/`);
  await heading(page, L('account.signInTitle'));
  await page.locator('#signin-jid').fill(`${user}@localhost`);
  await page.locator('#signin-password').fill(password(user));
  await page.getByRole('button', { name: L('signIn.submit'), exact: true }).click();
}

const consentOf = (user) => auditTail().filter((e) => e.action === 'privacy.consent'
  && e.actor === `${user}@localhost` && e.result === 'success');

try {
  const ctx = await browser.newContext({ ignoreHTTPSErrors: true, locale: 'en-US', acceptDownloads: true });
  watched.push(await watch(ctx, 'en'));

  await check('the web client shows the notice after sign-in; keyboard alone accepts it', async () => {
    const page = await ctx.newPage();
    await chatSignIn(page, 'alice');
    const dialog = page.getByRole('dialog', { name: 'Privacy notice' });
    await dialog.waitFor({ timeout: 20000 });
    const body = await dialog.locator('.rampart-notice__text').innerText();
    assert(body.startsWith(NOTICE_EN.split('\n')[0]) && body.includes('(2026-01)'), `notice: ${body}`);
    assert(await dialog.getByText('Version 2026-01').isVisible(), 'no version shown');
    await shot(page, 'privacy-chat-notice');
    // The notice text has the focus; Escape does not dismiss it; Tab reaches Accept.
    assert(await page.evaluate(() => document.activeElement?.classList.contains('rampart-notice__text')),
      'the notice text does not have the focus');
    await page.keyboard.press('Escape');
    assert(await dialog.isVisible(), 'Escape dismissed the notice');
    await page.keyboard.press('Tab');
    assert(await page.evaluate(() => document.activeElement?.textContent) === 'I have read and accept',
      'Tab does not reach Accept');
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'detached', timeout: 20000 });
    await page.waitForSelector('converse-roster, .controlbox-section', { timeout: 20000 });
    const records = consentOf('alice');
    assert(records.length === 1 && records[0].details.version === '2026-01'
      && records[0].details.channel === 'web-client', JSON.stringify(records));
    // Signed in again, the client asks the server, which says the notice is answered.
    const answered = new Promise((resolve) => page.on('websocket', (ws) => ws.on('framereceived',
      (f) => { if (/urn:rampart:privacy:0[^>]*required=.false/.test(String(f.payload))) resolve(); })));
    await page.reload();
    await page.waitForSelector('converse-roster, .controlbox-section', { timeout: 20000 });
    await answered;
    const asked = await page.locator('dialog.rampart-notice').count();
    assert(asked === 0, 'asked again for an accepted version');
    await page.close();
  });

  // Each person of the web client in a browser of their own (Converse keeps its session).
  const fresh = async (name) => {
    const c = await browser.newContext({ ignoreHTTPSErrors: true, locale: 'en-US' });
    watched.push(await watch(c, name));
    return c;
  };
  await check('declining in the web client signs out and records nothing', async () => {
    const page = await (await fresh('bob')).newPage();
    await chatSignIn(page, 'bob');
    const dialog = page.getByRole('dialog', { name: 'Privacy notice' });
    await dialog.waitFor({ timeout: 20000 });
    await dialog.getByRole('button', { name: 'Decline and sign out' }).click();
    await page.waitForSelector('form.converse-form input[name="jid"]', { timeout: 20000 });
    assert(consentOf('bob').length === 0, 'a consent was recorded for bob');
    await page.close();
  });

  await check('a zh-CN browser gets the notice in Simplified Chinese', async () => {
    const zh = await browser.newContext({ ignoreHTTPSErrors: true, locale: 'zh-CN' });
    watched.push(await watch(zh, 'zh-CN'));
    const page = await zh.newPage();
    await chatSignIn(page, 'lin');
    const dialog = page.getByRole('dialog', { name: '隐私政策' });
    await dialog.waitFor({ timeout: 20000 });
    const body = await dialog.locator('.rampart-notice__text').innerText();
    assert(body.startsWith(NOTICE_ZH.split('\n')[0]), `notice: ${body}`);
    await dialog.getByRole('button', { name: '我已阅读并同意' }).click();
    await dialog.waitFor({ state: 'detached', timeout: 20000 });
    await shot(page, 'privacy-chat-zh');
    await zh.close();
  });

  const page = await ctx.newPage();
  await check('the account center asks for the notice before anything else', async () => {
    await accountSignIn(page, 'bob');
    await heading(page, L('privacy.noticeTitle'));
    const shown = await page.locator('.privacy-notice__text').innerText();
    assert(shown.startsWith(NOTICE_EN.split('\n')[0]), `notice: ${shown}`);
    assert(await page.getByRole('heading', { name: L('account.homeTitle') }).count() === 0,
      'the home page is shown before the notice is answered');
    await shot(page, 'privacy-account-notice');
    await page.getByRole('button', { name: L('privacy.accept') }).click();
    await heading(page, L('account.homeTitle'));
    await page.locator('#privacy-accepted').waitFor({ timeout: 20000 });
    const accepted = await page.locator('#privacy-accepted').innerText();
    assert(accepted.includes('2026-01'), accepted);
    const records = consentOf('bob');
    assert(records.length === 1 && records[0].details.channel === 'account-center',
      JSON.stringify(records));
  });

  await check('the person downloads all their data as a ZIP archive', async () => {
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: L('privacy.download') }).click();
    const file = await download;
    assert(/^rampart-export-\d{4}-\d{2}-\d{2}\.zip$/.test(file.suggestedFilename()),
      file.suggestedFilename());
    const bytes = readFileSync(await file.path());
    assert(bytes.length > 200 && bytes.subarray(0, 2).toString() === 'PK', `${bytes.length} bytes`);
    for (const name of ['manifest.json', 'consents.json', 'logins.json', 'archive.json']) {
      assert(bytes.includes(Buffer.from(name)), `no ${name} in the archive`);
    }
    await toastSays(page, L('privacy.downloaded'));
    assert(auditTail().some((e) => e.action === 'user.export' && e.actor === 'bob@localhost'
      && e.result === 'success'), 'the export is not on the audit log');
  });

  await check('a legal hold on the account is shown to the person, without its reason', async () => {
    ctl('hold', 'set', 'bob@localhost', '--reason', 'matter 5521 confidential');
    await page.reload();
    await heading(page, L('account.homeTitle'));
    const alert = page.locator('.rp-alert', { hasText: L('privacy.heldTitle') });
    await alert.waitFor({ timeout: 20000 });
    assert(!(await page.content()).includes('5521'), 'the hold\'s reason reached the person');
    ctl('hold', 'clear', 'bob@localhost');
  });

  await check('withdrawing consent erases the account after the password and the address', async () => {
    await page.getByRole('button', { name: L('privacy.withdraw') }).click();
    const dialog = page.getByRole('alertdialog', { name: L('privacy.withdrawTitle') });
    await dialog.waitFor({ timeout: 20000 });
    await dialog.getByLabel(L('privacy.password')).fill(password('bob'));
    await dialog.getByLabel(L('privacy.typeAddress', { jid: 'bob@localhost' })).fill('bob@elsewhere');
    await dialog.getByRole('button', { name: L('privacy.eraseNow') }).click();
    await dialog.locator('.rp-alert', { hasText: 'type the account' }).waitFor({ timeout: 20000 });
    assert(ctl('user', 'list', 'localhost').includes('bob@localhost'), 'erased on a wrong address');
    await dialog.getByLabel(L('privacy.typeAddress', { jid: 'bob@localhost' })).fill('bob@localhost');
    await dialog.getByRole('button', { name: L('privacy.eraseNow') }).click();
    await page.getByText(L('privacy.erasedTitle')).waitFor({ timeout: 20000 });
    await heading(page, L('account.signInTitle'));
    assert(!ctl('user', 'list', 'localhost').includes('bob@localhost'), 'bob is still there');
    const actions = auditTail().filter((e) => e.object === 'bob@localhost').map((e) => e.action);
    assert(actions.includes('privacy.withdraw') && actions.includes('user.erase'), actions.join());
    await shot(page, 'privacy-erased');
  });

  await check('a new version of the notice asks again, in both places', async () => {
    await stopServer(server);
    writeConfig('2026-02');
    server = await startServer();
    await accountSignIn(page, 'alice');
    await heading(page, L('privacy.noticeTitle'));
    await page.getByText(L('privacy.newVersion', { version: '2026-01' })).waitFor({ timeout: 20000 });
    await page.getByRole('button', { name: L('privacy.accept') }).click();
    await heading(page, L('account.homeTitle'));
    assert(consentOf('alice').map((e) => e.details.version).join() === '2026-01,2026-02',
      JSON.stringify(consentOf('alice')));
    const chat = await (await fresh('carol')).newPage();
    await chatSignIn(chat, 'carol');
    await chat.getByRole('dialog', { name: 'Privacy notice' }).waitFor({ timeout: 20000 });
    const body = await chat.locator('.rampart-notice__text').innerText();
    assert(body.includes('(2026-02)'), body);
    await chat.close();
  });

  await check('no CSP violation, no script error, no request to another origin', async () => {
    for (const seen of watched) {
      assert(!seen.violations.length, `${seen.name}: ${seen.violations.join('\n')}`);
      // The server came back on other ports: any address of this host is the server.
      const away = seen.urls.filter((u) => {
        const url = new URL(u);
        return !['data:', 'blob:'].includes(url.protocol) && url.hostname !== 'localhost';
      });
      assert(!away.length, `${seen.name}: ${away.join('\n')}`);
    }
  });
} finally {
  await browser.close();
  if (server) await stopServer(server);
}

const failed = summary('privacy');
rmSync(dir, { recursive: true, force: true });
// The exit status tells make test whether any check failed; every check has run by now.
process.exit(failed ? 1 : 0);
