// The bundled web client in headless Chromium: two people sign in, chat 1:1, meet in a room,
// and find their history again after reloading the page. Prints "N passed, N failed".
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
                                '--https-port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
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

const server = await startServer();
const base = `https://localhost:${server.ports.https}`;
// A failed set-up is reported as a failed check; the checks below still run (and fail on
// their own if they need the contacts), so nothing is skipped.
await check('two accounts, mutual contacts (set up with rampartctl and slixmpp)', async () => {
  for (const [u, p] of [['alice', 'alice-pw-1'], ['bob', 'bob-pw-1']]) {
    execFileSync(rampartctl, ['--data-dir', server.dir, 'user', 'add', `${u}@localhost`, p]);
  }
  execFileSync('/usr/bin/python3', [path.join(here, 'roster_setup.py'),
    String(server.ports.c2s), 'alice@localhost', 'alice-pw-1', 'bob@localhost', 'bob-pw-1'],
  { timeout: 90000, stdio: ['ignore', 'inherit', 'inherit'] });
});

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const ctxA = await browser.newContext({ ignoreHTTPSErrors: true });
const ctxB = await browser.newContext({ ignoreHTTPSErrors: true });
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
  await check('both sign in over the WebSocket', async () => {
    await signIn(alice, base, 'alice', 'alice-pw-1');
    await signIn(bob, base, 'bob', 'bob-pw-1');
  });
  await check('1:1 messages both ways', async () => {
    await openChat(alice, 'bob@localhost');
    await send(alice, 'converse-chat[jid="bob@localhost"]', 'Hello Bob, from the browser');
    await openChat(bob, 'alice@localhost');
    await seesMessage(bob, 'converse-chat[jid="alice@localhost"]', 'Hello Bob, from the browser');
    await send(bob, 'converse-chat[jid="alice@localhost"]', 'Hi Alice!');
    await seesMessage(alice, 'converse-chat[jid="bob@localhost"]', 'Hi Alice!');
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
  });
  await check('history is there after a reload', async () => {
    await bob.reload();
    await bob.waitForSelector('converse-roster, input[name="password"]', { timeout: 20000 });
    if (await bob.locator('input[name="password"]').count()) {
      await bob.fill('input[name="jid"]', 'bob');
      await bob.fill('input[name="password"]', 'bob-pw-1');
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
      await signIn(device, base, 'alice', 'alice-pw-1');
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
} finally {
  await browser.close();
  server.proc.kill('SIGTERM');
}
const passed = results.filter(([, ok]) => ok).length;
const failed = results.length - passed;
console.log(`${passed} passed, ${failed} failed`);
// The exit status tells make test whether any check failed; every check has run by now.
process.exit(failed ? 1 : 0);
