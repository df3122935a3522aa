// The bundled web client in headless Chromium: two people sign in, chat 1:1, meet in a room,
// and find their history again after reloading the page. The page is branded Rampart (not
// Converse), nothing on it links to or loads from another origin, and a zh-CN browser gets it
// in Simplified Chinese. Prints "N passed, N failed".
import { createRequire } from 'node:module';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
// playwright-core is installed with the web client's packages (web/chat/package.json).
const { chromium } = createRequire(path.join(repo, 'web/chat/package.json'))('playwright-core');
const rampartd = process.env.RAMPARTD || path.join(repo, 'build/rampartd');
const rampartctl = process.env.RAMPARTCTL || path.join(repo, 'build/rampartctl');
const results = [];

async function check(name, fn) {
  const started = Date.now();
  try {
    await fn();
    results.push([name, true]);
    console.log(`ok   ${name} (${Date.now() - started} ms)`);
  } catch (e) {
    results.push([name, false]);
    console.log(`FAIL ${name}: ${e.stack || e}`);
  }
}

function startServer() {
  const dir = mkdtempSync(path.join(tmpdir(), 'rampart-browser-'));
  const proc = spawn(rampartd, ['--dev', '--data-dir', dir, '--c2s-port', '0', '--tls-port', '0',
                                '--https-port', '0', '--admin-port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout.on('data', () => {});
  proc.stderr.on('data', () => {});
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 20000;
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

async function signIn(page, base, user, password) {
  await page.goto(`${base}/chat/`);
  await page.fill('input[name="jid"]', user);
  await page.fill('input[name="password"]', password);
  await page.click('form.converse-form [type="submit"]');
  await page.waitForSelector('converse-roster, .controlbox-section', { timeout: 20000 });
}

async function openChat(page, jid) {
  const contact = page.locator(`[data-jid="${jid}"], a.open-chat:has-text("${jid.split('@')[0]}")`).first();
  await contact.click({ timeout: 20000 });
  await page.waitForSelector(`converse-chat[jid="${jid}"] textarea`, { timeout: 20000 });
}

async function send(page, selector, text) {
  const box = page.locator(`${selector} textarea.chat-textarea`).first();
  await box.fill(text);
  await box.press('Enter');
}

async function seesMessage(page, selector, text) {
  await page.locator(`${selector} .chat-msg__text`, { hasText: text }).first()
    .waitFor({ timeout: 20000 });
}

// Everything a page asks for (requests, WebSockets) and what its CSP refused to load.
function watchTraffic(ctx) {
  const seen = { urls: [], refused: [] };
  ctx.on('request', (r) => seen.urls.push(r.url()));
  ctx.on('page', (p) => watchPage(p, seen));
  return seen;
}

function watchPage(page, seen) {
  seen.frames = seen.frames || [];
  page.on('websocket', (ws) => {
    seen.urls.push(ws.url());
    // XMPP frames both ways, for checks on what the client and the server said.
    ws.on('framesent', (f) => seen.frames.push({ dir: 'out', text: String(f.payload) }));
    ws.on('framereceived', (f) => seen.frames.push({ dir: 'in', text: String(f.payload) }));
  });
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) seen.refused.push(m.text());
  });
}

function leavesServer(url, base) {
  const u = new URL(url);
  if (u.protocol === 'data:' || u.protocol === 'blob:') return false;
  const origin = new URL(base);
  return u.host !== origin.host || !['https:', 'wss:'].includes(u.protocol);
}

// Fails naming every link on the page and every request so far that leaves the server.
async function assertStaysOnServer(page, seen, base) {
  const links = await page.evaluate(() => [...document.querySelectorAll('a[href], area[href]')]
    .map((a) => a.href));
  const away = [...links.filter((l) => leavesServer(l, base)).map((l) => `link ${l}`),
                ...seen.urls.filter((u) => leavesServer(u, base)).map((u) => `request ${u}`),
                ...seen.refused.map((m) => `refused by the CSP: ${m}`)];
  if (away.length) throw new Error(`leaves ${base}:\n  ${[...new Set(away)].join('\n  ')}`);
  if (!links.length || !seen.urls.length) throw new Error('saw no links or no requests at all');
}

async function visibleTexts(page, selector) {
  return page.locator(selector).evaluateAll((els) => els
    .filter((e) => e.offsetParent !== null || e.getClientRects().length)
    .map((e) => e.innerText.trim()));
}

// The brand heading, the header links and the help dialog, in the language expected.
async function assertRampartPage(page, texts) {
  await page.waitForSelector('input[name="password"]', { timeout: 20000 });
  const brand = await visibleTexts(page, 'converse-brand-logo .brand-name__text');
  if (brand.join() !== 'Rampart') throw new Error(`brand heading: ${JSON.stringify(brand)}`);
  const tenant = await visibleTexts(page, 'converse-brand-logo .byline');
  if (tenant.join() !== 'localhost') throw new Error(`tenant under the brand: ${tenant}`);
  if (await page.title() !== texts.title) throw new Error(`title: ${await page.title()}`);
  const lang = await page.evaluate(() => document.documentElement.lang);
  if (lang !== texts.lang) throw new Error(`<html lang="${lang}">`);
  const body = await page.evaluate(() => document.body.innerText);
  for (const foreign of [/converse\.?js/i, /messaging freedom/i, /opkode/i, /sponsor/i]) {
    if (foreign.test(body)) throw new Error(`the page shows ${foreign}: ${body}`);
  }
  const logos = await page.locator('svg title').allTextContents();
  if (logos.some((l) => /converse/i.test(l))) throw new Error(`logos: ${logos}`);
  const nav = await visibleTexts(page, 'converse-controlbox-navbar a');
  if (nav.join('|') !== texts.nav.join('|')) throw new Error(`header links: ${nav}`);
  // "My account" is the account center on this server.
  const account = await page.locator('converse-controlbox-navbar a.rampart-account-link')
    .getAttribute('href');
  if (account !== '/account/') throw new Error(`account link: ${account}`);
  for (const [selector, want] of texts.form) {
    const got = await visibleTexts(page, selector);
    if (!got.some((g) => g.includes(want))) {
      throw new Error(`${selector}: ${JSON.stringify(got)}, expected ${want}`);
    }
  }
  await page.click('converse-controlbox-navbar .rampart-help-link');
  const help = page.locator('.modal.show .rampart-help');
  await help.waitFor({ timeout: 10000 });
  const helpText = await help.innerText();
  if (!texts.help.every((h) => helpText.includes(h))) throw new Error(`help: ${helpText}`);
  await page.locator('.modal.show [data-bs-dismiss="modal"]').first().click();
  await help.waitFor({ state: 'hidden', timeout: 10000 });
}

const english = {
  title: 'Rampart chat', lang: 'en', nav: ['My account', 'Help'],
  form: [['form.converse-form [type="submit"]', 'Log in'], ['label[for="converse-login-jid"]',
         'XMPP Address'], ['label[for="converse-login-password"]', 'Password']],
  help: ['Signing in', 'Forgotten password', '@localhost', 'Converse.js'],
};
const chinese = {
  title: 'Rampart 聊天', lang: 'zh-CN', nav: ['我的账户', '帮助'],
  form: [['form.converse-form [type="submit"]', '登录'], ['label[for="converse-login-jid"]',
         'XMPP 地址'], ['label[for="converse-login-password"]', '密码']],
  help: ['登录', '忘记密码', '@localhost', '关于本客户端'],
};

const server = await startServer();
const base = `https://localhost:${server.ports.https}`;
// A failed set-up is reported as a failed check; the checks below still run (and fail on
// their own if they need the contacts), so nothing is skipped.
await check('two accounts, mutual contacts (set up with rampartctl and slixmpp)', async () => {
  for (const [u, p] of [['alice', 'Wonder-pw-1'], ['bob', 'Builder-pw-1']]) {
    execFileSync(rampartctl, ['--data-dir', server.dir, 'user', 'add', `${u}@localhost`, p]);
  }
  execFileSync('/usr/bin/python3', [path.join(here, 'roster_setup.py'),
    String(server.ports.c2s), 'alice@localhost', 'Wonder-pw-1', 'bob@localhost', 'Builder-pw-1'],
  { timeout: 90000, stdio: ['ignore', 'inherit', 'inherit'] });
});

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const ctxA = await browser.newContext({ ignoreHTTPSErrors: true, locale: 'en-US' });
const ctxB = await browser.newContext({ ignoreHTTPSErrors: true, locale: 'en-US' });
const trafficA = watchTraffic(ctxA);
const trafficB = watchTraffic(ctxB);
const alice = await ctxA.newPage();
const bob = await ctxB.newPage();
for (const p of [alice, bob]) {
  p.on('pageerror', (e) => console.log(`page error: ${e.stack || e}`));
}
const room = `lobby@conference.localhost`;

try {
  await check('the page is served with a strict Content-Security-Policy', async () => {
    const resp = await alice.goto(`${base}/chat/`);
    const csp = resp.headers()['content-security-policy'] || '';
    if (!csp.includes("script-src 'self'") || !csp.includes("frame-ancestors 'none'")) {
      throw new Error(`CSP: ${csp}`);
    }
  });
  await check('the login page is Rampart\'s: product, tenant, help; no Converse logo or links',
    async () => {
      await assertRampartPage(alice, english);
    });
  await check('no link on the login page and no request leaves the server', async () => {
    await assertStaysOnServer(alice, trafficA, base);
  });
  await check('both sign in over the WebSocket', async () => {
    await signIn(alice, base, 'alice', 'Wonder-pw-1');
    await signIn(bob, base, 'bob', 'Builder-pw-1');
  });
  await check('1:1 messages both ways', async () => {
    await openChat(alice, 'bob@localhost');
    await send(alice, 'converse-chat[jid="bob@localhost"]', 'Hello Bob, from the browser');
    await openChat(bob, 'alice@localhost');
    await seesMessage(bob, 'converse-chat[jid="alice@localhost"]', 'Hello Bob, from the browser');
    await send(bob, 'converse-chat[jid="alice@localhost"]', 'Hi Alice!');
    await seesMessage(alice, 'converse-chat[jid="bob@localhost"]', 'Hi Alice!');
  });
  await check('a link beside fraud cues reaches the recipient under a warning banner', async () => {
    const link = 'http://refund-help.example/claim';
    await send(alice, 'converse-chat[jid="bob@localhost"]',
      `Customer service here: for your refund enter the verification code at ${link}`);
    const banner = bob.locator('converse-chat[jid="alice@localhost"] .rampart-link-warning').first();
    await banner.waitFor({ timeout: 20000 });
    const text = await banner.innerText();
    if (!text.includes('Suspicious link') || !text.includes(link) || !text.includes('fraud')) {
      throw new Error(`banner: ${text}`);
    }
    if (await banner.getAttribute('role') !== 'note') throw new Error('the banner has no role');
    // A link without fraud cues around it gets no banner.
    const plain = 'http://docs.example/plan';
    await send(alice, 'converse-chat[jid="bob@localhost"]', `The plan: ${plain}`);
    await seesMessage(bob, 'converse-chat[jid="alice@localhost"]', plain);
    const banners = await bob.locator('converse-chat[jid="alice@localhost"] .rampart-link-warning').count();
    if (banners !== 1) throw new Error(`${banners} banners after a message without fraud cues`);
  });
  await check('a room: join and talk', async () => {
    for (const [page, nick] of [[alice, 'Alice'], [bob, 'Bob']]) {
      await page.click('.controlbox-heading--groupchats ~ converse-dropdown button.dropdown-toggle');
      await page.click('.show-add-muc-modal');
      await page.fill('converse-add-muc-modal input[name="chatroom"]', room);
      await page.fill('converse-add-muc-modal input[name="nickname"]', nick);
      await page.click('converse-add-muc-modal input[type="submit"]');
      await page.waitForSelector(`converse-muc[jid="${room}"] textarea`, { timeout: 20000 });
    }
    await send(alice, `converse-muc[jid="${room}"]`, 'Welcome to the lobby');
    await seesMessage(bob, `converse-muc[jid="${room}"]`, 'Welcome to the lobby');
    // XEP-0045 10.1.2: with its default muc_instant_rooms, Converse.js accepts the defaults of
    // the room it created by submitting an empty form; the server must answer with a result.
    const submit = trafficA.frames.find((f) => f.dir === 'out' &&
      f.text.includes('muc#owner') && /<x[^>]*type=["']submit["']/.test(f.text));
    if (!submit) throw new Error('Converse.js sent no instant-room form');
    const id = /\bid=["']([^"']+)["']/.exec(submit.text)[1];
    const reply = trafficA.frames.find((f) => f.dir === 'in' && f.text.startsWith('<iq') &&
      f.text.includes(`id="${id}"`) || f.dir === 'in' && f.text.includes(`id='${id}'`));
    if (!reply || !/type=["']result["']/.test(reply.text)) {
      throw new Error(`instant room form answered with ${reply ? reply.text : 'nothing'}`);
    }
  });
  await check('after signing in, chatting and joining a room, nothing leaves the server',
    async () => {
      await assertStaysOnServer(alice, trafficA, base);
      await assertStaysOnServer(bob, trafficB, base);
      if (!trafficA.urls.some((u) => u.startsWith('wss:'))) throw new Error('no WebSocket seen');
    });
  await check('history is there after a reload', async () => {
    await bob.reload();
    await bob.waitForSelector('converse-roster, input[name="password"]', { timeout: 20000 });
    if (await bob.locator('input[name="password"]').count()) {
      await bob.fill('input[name="jid"]', 'bob');
      await bob.fill('input[name="password"]', 'Builder-pw-1');
      await bob.click('form.converse-form [type="submit"]');
      await bob.waitForSelector('converse-roster', { timeout: 20000 });
    }
    await openChat(bob, 'alice@localhost');
    await seesMessage(bob, 'converse-chat[jid="alice@localhost"]', 'Hello Bob, from the browser');
  });
  await check('a new device (empty browser storage) gets 1:1 and room history from the server',
    async () => {
      const ctx = await browser.newContext({ ignoreHTTPSErrors: true });
      const device = await ctx.newPage();
      await signIn(device, base, 'alice', 'Wonder-pw-1');
      await openChat(device, 'bob@localhost');
      await seesMessage(device, 'converse-chat[jid="bob@localhost"]', 'Hi Alice!');
      await seesMessage(device, 'converse-chat[jid="bob@localhost"]', 'Hello Bob, from the browser');
      await device.click('.controlbox-heading--groupchats ~ converse-dropdown button.dropdown-toggle');
      await device.click('.show-add-muc-modal');
      await device.fill('converse-add-muc-modal input[name="chatroom"]', room);
      await device.fill('converse-add-muc-modal input[name="nickname"]', 'Alice2');
      await device.click('converse-add-muc-modal input[type="submit"]');
      await seesMessage(device, `converse-muc[jid="${room}"]`, 'Welcome to the lobby');
      await ctx.close();
    });
  await check('a zh-CN browser gets the page in Simplified Chinese, from this server only',
    async () => {
      const ctx = await browser.newContext({ ignoreHTTPSErrors: true, locale: 'zh-CN' });
      const traffic = watchTraffic(ctx);
      const page = await ctx.newPage();
      const catalogue = page.waitForResponse((r) => r.url().includes('zh_CN-LC_MESSAGES'),
        { timeout: 20000 });
      await page.goto(`${base}/chat/`);
      const served = await catalogue;
      if (served.status() !== 200 || leavesServer(served.url(), base)) {
        throw new Error(`zh_CN catalogue: ${served.status()} ${served.url()}`);
      }
      await assertRampartPage(page, chinese);
      await assertStaysOnServer(page, traffic, base);
      await signIn(page, base, 'alice', 'Wonder-pw-1');
      await page.locator('converse-roster .open-contacts-toggle', { hasText: '联系人' })
        .waitFor({ timeout: 20000 });
      await assertStaysOnServer(page, traffic, base);
      await ctx.close();
    });
} finally {
  await browser.close();
  server.proc.kill('SIGTERM');
}
const passed = results.filter(([, ok]) => ok).length;
const failed = results.length - passed;
console.log(`${passed} passed, ${failed} failed`);
// The exit status tells make test whether any check failed; every check has run by now.
process.exit(failed ? 1 : 0);
