// The content reviewer's queue in the admin console, in headless Chromium against a real
// rampartd whose tenant holds messages for review: a real XMPP client sends two messages a
// quarantine rule holds; the reviewer (a role that sees nothing but the queue) signs in with
// its second factor, sees the counts and the age, opens a message with the matched span
// highlighted, rejects one (a reason is required) and approves the other, which the recipient
// then receives; filters, the keyboard, Simplified Chinese, no CSP violation.
// Prints "N passed, N failed".
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  accountPassword, assert, chromium, check, elsewhere, heading, rampartctl, rampartd, repo, shot,
  summary, text, toastSays, totp, watch,
} from './lib.mjs';

const dir = mkdtempSync(path.join(tmpdir(), 'rampart-review-browser-'));
const config = path.join(dir, 'rampart.toml');

function startServer() {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
    '-nodes', '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost',
    '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' });
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
[[content_security.rules]]
name = "payroll"
keywords = ["工资单", "payroll"]
action = "quarantine"
`);
  const proc = spawn(rampartd, ['--config', config], { stdio: ['ignore', 'ignore', 'ignore'] });
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 20000;
    proc.on('error', reject);
    proc.on('exit', (code) => reject(new Error(`rampartd exited (${code})`)));
    const poll = () => {
      const f = path.join(dir, 'data', 'ports.json');
      if (existsSync(f)) {
        try {
          const ports = JSON.parse(readFileSync(f, 'utf8'));
          if (ports.admin && ports.c2s) return resolve({ proc, ports });
        } catch (e) { /* still being written */ }
      }
      if (Date.now() > deadline) return reject(new Error('rampartd did not start'));
      setTimeout(poll, 100);
    };
    poll();
  });
}

const ctl = (...args) => execFileSync(rampartctl, ['--config', config, ...args]).toString();

// A raw XMPP client (tests/integration/raw_xmpp.py): signs in, sends `bodies` to `to` one by
// one and prints the reference of each hold notice; with no bodies, waits for one message
// and prints its body.
function xmpp(port, user, to, bodies) {
  const script = [
    'import sys, json',
    `sys.path.insert(0, ${JSON.stringify(path.join(repo, 'tests/integration'))})`,
    'from raw_xmpp import RawStream, account_password',
    'from xml.sax.saxutils import escape',
    'user, to, bodies = sys.argv[2], sys.argv[3], json.loads(sys.argv[4])',
    'st = RawStream(int(sys.argv[1]))',
    'st.login(user, account_password(user + "@localhost"), "browser-test")',
    'st.send("<presence/>")',
    'NS = "{urn:rampart:content:0}"',
    'for b in bodies:',
    '    st.send("<message type=\'chat\' to=\'%s\'><body>%s</body></message>" % (to, escape(b)))',
    '    held = st.expect(lambda e: e.find(NS + "held") is not None, timeout=20)',
    '    print(held.find(NS + "held").get("id"), flush=True)',
    'if not bodies:',
    '    print("ready", flush=True)',
    '    m = st.expect(lambda e: e.tag.endswith("message") and e.findtext("{jabber:client}body"), timeout=120)',
    '    print(m.findtext("{jabber:client}body"), flush=True)',
  ].join('\n');
  const proc = spawn('/usr/bin/python3', ['-c', script, String(port), user, to,
    JSON.stringify(bodies)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = [];
  const waiters = [];
  let out = '';
  proc.stdout.on('data', (d) => {
    out += d;
    let nl;
    while ((nl = out.indexOf('\n')) >= 0) {
      lines.push(out.slice(0, nl));
      out = out.slice(nl + 1);
      waiters.splice(0).forEach((w) => w());
    }
  });
  const line = (n, ms = 30000) => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`XMPP client: no line ${n} in ${ms} ms`)), ms);
    const test = () => {
      if (lines.length > n) {
        clearTimeout(timer);
        resolve(lines[n]);
      } else {
        waiters.push(test);
      }
    };
    test();
  });
  return { proc, line };
}

let server = null;
await check('rampartd starts with a quarantine rule', async () => {
  server = await startServer();
});
// Not a skip: without a server nothing further can run, and the failed start is already
// counted as a failure, so the run ends as failed (exit status 1).
if (!server) {
  summary('review queue');
  process.exit(1);
}
const base = `https://localhost:${server.ports.admin}`;
for (const u of ['alice', 'bob', 'rev']) {
  ctl('user', 'add', `${u}@localhost`, accountPassword(`${u}@localhost`));
}
ctl('role', 'grant', 'rev@localhost', 'reviewer', '--tenant', 'localhost');
const reviewer = { jid: 'rev@localhost', password: accountPassword('rev@localhost'), lastStep: 0 };

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const L = (k, p) => text('en', k, p);
let seen = null;
let bob = null;
let refs = [];

async function nextCode() {
  let now = Math.floor(Date.now() / 30000);
  const step = Math.max(now, reviewer.lastStep + 1);
  if (step > now + 1) {
    await new Promise((r) => setTimeout(r, (step - 1) * 30000 - Date.now() + 200));
    now = Math.floor(Date.now() / 30000);
  }
  reviewer.lastStep = step;
  return totp(reviewer.secret, step);
}

try {
  const ctx = await browser.newContext({ ignoreHTTPSErrors: true, locale: 'en-US' });
  seen = await watch(ctx, 'reviewer');
  const page = await ctx.newPage();

  await check('two messages are held: the sender is told, the recipient gets nothing yet', async () => {
    bob = xmpp(server.ports.c2s, 'bob', '', []);
    assert(await bob.line(0) === 'ready', 'bob did not sign in');
    const alice = xmpp(server.ports.c2s, 'alice', 'bob@localhost',
      ['这是三月的工资单，请查收', 'payroll numbers for March']);
    refs = [await alice.line(0), await alice.line(1)];
    assert(refs.every((r) => /^[0-9]+$/.test(r)), `hold references: ${refs}`);
    alice.proc.kill();
  });

  await check('the reviewer signs in with a second factor and sees only the review queue', async () => {
    await page.goto(`${base}/`);
    await page.locator('#signin-jid').fill(reviewer.jid);
    await page.locator('#signin-password').fill(reviewer.password);
    await page.getByRole('button', { name: L('signIn.submit'), exact: true }).click();
    await heading(page, L('totp.title'));
    const shown = page.locator('#totp-secret');
    await shown.waitFor({ timeout: 20000 });
    reviewer.secret = (await shown.innerText()).replace(/\s+/g, '');
    await page.locator('#totp-code').fill(await nextCode());
    await page.getByRole('button', { name: L('totp.confirm') }).click();
    await heading(page, L('recovery.title'));
    await page.getByLabel(L('recovery.acknowledge')).check();
    await page.getByRole('button', { name: L('recovery.continue') }).click();
    const nav = page.getByRole('navigation', { name: L('nav.label') });
    await nav.waitFor({ timeout: 20000 });
    await heading(page, L('nav.review'));
    const links = await nav.getByRole('link').allInnerTexts();
    assert(links.length === 1 && links[0] === L('nav.review'), `navigation: ${links}`);
    assert(new URL(page.url()).pathname === '/review', page.url());
    await page.locator('.whoami__role', { hasText: L('role.reviewer') }).waitFor();
  });

  await check('the queue shows the counts, the age and both held messages, without their text', async () => {
    const counts = page.getByRole('list', { name: L('review.counts') });
    await counts.waitFor();
    await page.waitForFunction(() =>
      document.querySelector('.review-counts .stat-list__value')?.textContent === '2');
    assert((await counts.innerText()).includes(L('review.oldest', { age: '' }).trim()),
      await counts.innerText());
    const rows = page.locator('.review-table tbody tr');
    await rows.nth(1).waitFor();
    assert(await rows.count() === 2, `${await rows.count()} rows`);
    const table = await page.locator('.review-table').innerText();
    assert(table.includes('bob@localhost') && table.includes('alice@localhost/browser-test'), table);
    assert(!table.includes('工资单'), 'the list shows message text');
    await shot(page, 'review-1-queue');
  });

  await check('opening a message shows its text with the match highlighted; rejecting needs a reason',
    async () => {
      const row = page.locator('.review-table tbody tr', { hasText: refs[0] }).first();
      await row.getByRole('button', { name: `${L('review.open')} ${refs[0]}` }).focus();
      await page.keyboard.press('Enter');
      const dialog = page.getByRole('dialog', { name: L('review.dialogTitle', { id: refs[0] }) });
      await dialog.waitFor();
      const mark = dialog.locator('mark.review-match');
      await mark.waitFor();
      assert((await mark.innerText()).startsWith('工资单'), await mark.innerText());
      assert(await mark.getAttribute('title') === 'payroll', await mark.getAttribute('title'));
      assert((await dialog.locator('.review-field__text').innerText()).includes('这是三月的'),
        'the text around the match');
      await shot(page, 'review-2-dialog');
      await dialog.getByRole('button', { name: L('review.reject') }).click();
      await dialog.getByText(L('review.reasonMissing')).waitFor();
      await dialog.getByLabel(L('review.reason')).fill('含员工薪资明细');
      await dialog.getByRole('button', { name: L('review.reject') }).click();
      await toastSays(page, L('review.rejected', { id: refs[0] }));
      await dialog.waitFor({ state: 'detached' });
      await page.waitForFunction(() =>
        document.querySelector('.review-counts .stat-list__value')?.textContent === '1');
    });

  await check('approving delivers the message to the recipient', async () => {
    const row = page.locator('.review-table tbody tr', { hasText: refs[1] }).first();
    await row.getByRole('button', { name: `${L('review.open')} ${refs[1]}` }).click();
    const dialog = page.getByRole('dialog', { name: L('review.dialogTitle', { id: refs[1] }) });
    await dialog.locator('mark.review-match').waitFor();
    await dialog.getByRole('button', { name: L('review.approve') }).click();
    await toastSays(page, L('review.approved', { id: refs[1] }));
    assert(await bob.line(1, 30000) === 'payroll numbers for March', 'bob got something else');
    await page.getByText(L('review.noneWaiting')).waitFor();
  });

  await check('the status filter shows decided messages; Escape closes a message', async () => {
    await page.getByLabel(L('review.status'), { exact: true }).selectOption('rejected');
    const rows = page.locator('.review-table tbody tr');
    await page.locator('.review-table .badge--rejected').first().waitFor();
    assert(await rows.count() === 1, `${await rows.count()} rejected rows`);
    await rows.first().getByRole('button', { name: new RegExp(L('review.open')) }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('含员工薪资明细').waitFor();
    assert(await dialog.getByRole('button', { name: L('review.approve') }).count() === 0,
      'a decided message can be decided again');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  });

  await check('in Simplified Chinese the queue speaks Chinese', async () => {
    const zh = (k, p) => text('zh-CN', k, p);
    await page.getByLabel(L('language.label')).selectOption('zh-CN');
    await page.waitForFunction(() => document.documentElement.lang === 'zh-CN');
    await heading(page, zh('nav.review'));
    await page.getByRole('list', { name: zh('review.counts') }).waitFor();
    await shot(page, 'review-3-zh');
  });

  await check('every opening and decision is in the audit log', async () => {
    const records = ctl('audit', 'tail', '-n', '40', '--json').trim().split('\n').map((l) => JSON.parse(l));
    for (const [action, id] of [['quarantine.view', refs[0]], ['quarantine.reject', refs[0]],
      ['quarantine.approve', refs[1]]]) {
      assert(records.some((r) => r.action === action && r.actor === reviewer.jid
        && r.object === `quarantine:${id}`), `no ${action} of ${id}`);
    }
  });

  await check('no page reported a CSP violation or a script error, and nothing went elsewhere',
    async () => {
      assert(seen.violations.length === 0, seen.violations.join('\n'));
      assert(seen.errors.length === 0, seen.errors.join('\n'));
      assert(elsewhere(seen, base).length === 0, elsewhere(seen, base).join('\n'));
    });
} catch (e) {
  await check('the review queue suite ran to its end', async () => { throw e; });
} finally {
  bob?.proc.kill();
  await browser.close();
  server.proc.removeAllListeners('exit');
  server.proc.kill('SIGTERM');
  await new Promise((r) => server.proc.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
}
// Exit status 1 when any check failed (summary() prints "N passed, N failed").
process.exit(summary('review queue') ? 1 : 0);
