// The console on credits-server, end to end: the real server (started here on 127.0.0.1 with a temp
// SQLite database) serves the built console and the API on one origin; Chromium opens the console
// with a read token in the URL fragment, as scripts/run prints it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import {
  DEMO_AT, assertBuilt, demoLedgerPath, distDir, fixturesDir, fmtCredits, launchBrowser, nativeCli, VIEWPORTS, openPage, openUsage, screenshot, seriousViolations,
} from './helpers.mjs';
import { SECURITY_HEADERS } from '../serve.mjs';
import { HOST, LiveServer, startProxy } from './live-server.mjs';

let browser;
let server;

before(async () => {
  assertBuilt();
  server = await LiveServer.create();
  const ingested = await server.ingestDemo();
  assert.equal(ingested.accepted, 481, 'the demo is ingested through the API');
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.dispose();
});

/** A raw request line and its answer's status and headers (node:http would normalize nothing, but a socket says exactly what is sent). */
function raw(port, target) {
  return new Promise((resolve, reject) => {
    // write, not end: a half-closed socket may be taken for a client that left before its answer.
    const socket = net.connect(port, HOST, () => socket.write(`GET ${target} HTTP/1.1\r\nHost: ${HOST}\r\nConnection: close\r\n\r\n`));
    let text = '';
    socket.setTimeout(10000, () => socket.destroy(new Error(`GET ${target}: no answer in 10 s`)));
    socket.on('data', (chunk) => { text += chunk.toString('latin1'); });
    socket.on('end', () => resolve({ status: Number(text.split(' ')[1]), head: text.split('\r\n\r\n')[0], body: text.split('\r\n\r\n').slice(1).join('') }));
    socket.on('error', reject);
  });
}

const digest = (text) => `"sha256:${createHash('sha256').update(text).digest('hex').slice(0, 32)}"`;

async function openLive(origin, search = '', options = {}) {
  const opened = await openPage(browser, origin, options);
  const consoleLedgerRequests = [];
  opened.page.on('request', (request) => { if (request.url().includes('/console-ledger')) consoleLedgerRequests.push(request.url()); });
  await opened.page.goto(server.consoleUrl(origin, search));
  await opened.page.waitForFunction(() => document.documentElement.dataset.consoleState === 'ready', null, { timeout: 20000 });
  return { ...opened, consoleLedgerRequests };
}

const checkState = (page) => page.locator('[data-testid=live-status]').getAttribute('data-check');
const waitCheck = (page, kind, timeout = 5000) => page.waitForFunction(
  (k) => document.querySelector('ec-console')?.shadowRoot?.querySelector('ec-live-status')?.shadowRoot
    ?.querySelector('[data-testid=live-status]')?.getAttribute('data-check') === k, kind, { timeout });

test('credits-server serves the built console with the headers of web/serve.mjs, and refuses paths outside it', async () => {
  const index = await server.request('GET', '/');
  assert.equal(index.status, 200);
  assert.match(index.headers['content-type'], /^text\/html; charset=utf-8$/);
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) assert.equal(index.headers[name.toLowerCase()], value, name);
  assert.equal(index.headers['cache-control'], 'no-cache');
  const assets = fs.readdirSync(path.join(distDir, 'assets'));
  const script = assets.find((f) => f.endsWith('.js'));
  const wasm = assets.find((f) => f.endsWith('.wasm'));
  const js = await server.request('GET', `/assets/${script}`);
  assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
  assert.equal(js.headers['cache-control'], 'public, max-age=31536000, immutable');
  assert.equal(js.headers['content-security-policy'], SECURITY_HEADERS['Content-Security-Policy']);
  assert.equal((await server.request('HEAD', `/assets/${wasm}`)).headers['content-type'], 'application/wasm');
  // No listing of a folder, no file outside the root however the path is spelled.
  assert.equal((await raw(server.port, '/assets/')).status, 404);
  for (const target of ['/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/assets/%2e%2e/%2e%2e/%2e%2e/etc/passwd', '/.%2e/etc/hostname']) {
    const answer = await raw(server.port, target);
    assert.ok([400, 403, 404].includes(answer.status), `${target}: ${answer.status}`);
    assert.doesNotMatch(answer.body, /root:|localhost/, target);
  }
  for (const target of ['/a%00b', '/%ZZ', '/x%5c..%5cetc', `/${'a'.repeat(3000)}`]) {
    const answer = await raw(server.port, target);
    assert.ok(answer.status === 400 || answer.status === 414, `${target.slice(0, 40)}: ${answer.status}`);
  }
  assert.equal((await server.request('POST', '/index.html', { body: '{}' })).status, 405);
  // The API keeps its meaning beside the console.
  const health = await server.request('GET', '/healthz');
  assert.equal(JSON.parse(health.body).status, 'ok');
  assert.equal(health.headers['content-security-policy'], undefined, 'API answers keep their own headers');
  const unknown = await server.request('GET', '/v1/nothing');
  assert.equal(unknown.status, 404);
  assert.equal(JSON.parse(unknown.body).errors[0].code, 'not_found');
  assert.match((await server.request('GET', '/metrics')).body, /credits_http_requests_total/);
  // The console's ledger says the cursor it is at, for /changes.
  const ledger = await server.request('GET', `/v1/accounts/${server.account}/console-ledger`, { token: server.accountToken });
  assert.equal(ledger.headers['credits-cursor'], '481');
});

test('the demo through the server: the page shows the server\'s figures, which are the CLI\'s, and says they match', async () => {
  const { page, context, collect } = await openLive(server.origin, `?at=${DEMO_AT}`);
  try {
    const served = await server.report(DEMO_AT);
    const consoleLedger = await server.request('GET', `/v1/accounts/${server.account}/console-ledger`, { token: server.serviceToken });
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'live-cli-')), 'console-ledger.json');
    fs.writeFileSync(file, consoleLedger.body);
    const cli = nativeCli();
    assert.ok(cli, 'the native CLI is built');
    const cliText = execFileSync(cli, ['report', '--at', DEMO_AT, file], { encoding: 'utf8' });
    assert.equal(cliText, `${served.text}\n`, 'the server answers the CLI\'s bytes');
    assert.equal(served.etag, digest(served.text));
    await waitCheck(page, 'match');
    await openUsage(page);
    const balance = page.locator('[data-testid=balance]');
    assert.equal(Number(await balance.getAttribute('data-tokens')), served.report.balance_tokens);
    assert.ok((await balance.textContent()).includes(fmtCredits(served.report.balance_credits)));
    await page.locator('[data-testid=close-usage]').click();
    await screenshot(page, 'live-matched');
    assert.deepEqual((await collect()).errors, []);
    assert.deepEqual((await collect()).csp, []);
    assert.deepEqual(await seriousViolations(page), []);
  } finally {
    await context.close();
  }
});

test('live: an event posted with the service token changes the Usage balance and the project page within 2 s, without a reload or a refetch', async () => {
  const { page, context, consoleLedgerRequests, collect } = await openLive(server.origin);
  try {
    await waitCheck(page, 'match');
    await page.evaluate(() => { window.__sameDocument = true; });
    await page.evaluate(() => { location.hash = '#/projects/prj_shop/settings'; });
    const charged = page.locator('[data-testid=project-usage] [data-figure=charged] .sub');
    await charged.waitFor();
    const chargedBefore = await charged.textContent();
    await openUsage(page);
    const balance = page.locator('[data-testid=balance]');
    const tokensBefore = Number(await balance.getAttribute('data-tokens'));

    const at = new Date(Date.now() - 1000).toISOString();
    const run = Date.now().toString(36);
    const session = { project_id: 'prj_shop', task_id: `live-${run}-t`, session_id: `live-${run}-s` };
    const posted = Date.now();
    await server.ingest({ format: 'easycoda.ledger/1', account: { id: server.account }, events: [
      { id: `live-${run}-1`, type: 'usage', at, ...session, service: 'agent_chat', model: 'deepseek-chat',
        provider_usage: { format: 'deepseek', usage: { prompt_tokens: 60000, completion_tokens: 8000, total_tokens: 68000,
          prompt_tokens_details: { cached_tokens: 50000 }, prompt_cache_hit_tokens: 50000, prompt_cache_miss_tokens: 10000 } } },
      { id: `live-${run}-2`, type: 'session_completed', at, ...session },
    ] });
    await page.waitForFunction((before) => {
      const el = document.querySelector('ec-console')?.shadowRoot?.querySelector('ec-usage-panel')?.shadowRoot?.querySelector('[data-testid=balance]');
      return el && Number(el.getAttribute('data-tokens')) !== before;
    }, tokensBefore, { timeout: 2000 });
    await screenshot(page, 'live-updating');
    const shownAt = await page.locator('[data-testid=usage-dialog]').evaluate(() =>
      document.querySelector('ec-console').shadowRoot.querySelector('.layout').dataset.at);
    const served = await server.report(shownAt);
    assert.equal(Number(await balance.getAttribute('data-tokens')), served.report.balance_tokens, 'the balance shown is the server\'s');
    assert.equal(tokensBefore - served.report.balance_tokens, 18000, 'charged: 8,000 output + 10,000 cache-miss input tokens');
    await page.locator('[data-testid=close-usage]').click();
    await page.waitForFunction((before) => document.querySelector('ec-console').shadowRoot.querySelector('ec-project-detail')
      .shadowRoot.querySelector('[data-testid=project-usage] [data-figure=charged] .sub').textContent !== before, chargedBefore,
    { timeout: Math.max(100, 2000 - (Date.now() - posted)) });
    const tokensOf = (text) => Number(text.replace(/\D/g, ''));
    assert.equal(tokensOf(await charged.textContent()) - tokensOf(chargedBefore), 18000, 'the project page charges the completed session');
    await waitCheck(page, 'match');
    assert.equal(await page.evaluate(() => window.__sameDocument), true, 'no reload');
    assert.equal(consoleLedgerRequests.length, 1, 'the whole ledger is fetched once');
    assert.deepEqual((await collect()).errors, []);
  } finally {
    await context.close();
  }
});

test('a server that lies: the tampered report is shown beside the page\'s, never silently one of them', async () => {
  // A proxy in front of the real server that raises the balance in every account report it answers.
  const proxy = await startProxy(server, (req) => (/\/v1\/accounts\/[^/]+\/report\?/.test(req.url)
    ? (text) => text.replace(/"balance_credits":"([0-9]+)/, (_, whole) => `"balance_credits":"${Number(whole) + 100}`) : null), digest);
  const { page, context, collect } = await openLive(proxy.origin, `?at=${DEMO_AT}`);
  try {
    await waitCheck(page, 'mismatch');
    const served = await server.report(DEMO_AT);
    const mismatch = page.locator('[data-testid=check-mismatch]');
    assert.ok((await page.locator('[data-testid=mismatch-console]').textContent()).includes(fmtCredits(served.report.balance_credits)));
    const lie = `${Number(served.report.balance_credits.split('.')[0]) + 100}.${served.report.balance_credits.split('.')[1]}`;
    assert.ok((await page.locator('[data-testid=mismatch-server]').textContent()).includes(fmtCredits(lie)));
    assert.match(await mismatch.textContent(), /differ from the server's/);
    await page.locator('[data-testid=copy-details]').click();
    // Copied to the clipboard, or (no clipboard permission) shown to copy by hand: both name both balances.
    await page.waitForFunction(() => {
      const root = document.querySelector('ec-console').shadowRoot.querySelector('ec-live-status').shadowRoot;
      return root.querySelector('[data-testid=copy-details]').textContent === 'Copied' || root.querySelector('[data-testid=mismatch-details]');
    }, null, { timeout: 5000 });
    if (await page.locator('[data-testid=mismatch-details]').count()) {
      const details = JSON.parse(await page.locator('[data-testid=mismatch-details]').inputValue());
      assert.equal(details.console_balance_credits, served.report.balance_credits);
      assert.equal(details.server_balance_credits, lie);
    }
    await openUsage(page);
    assert.match(await page.locator('[data-testid=check-mark-compact]').textContent(), /Differs from the server/);
    await page.locator('[data-testid=close-usage]').click();
    await screenshot(page, 'live-mismatch');
    assert.deepEqual(await seriousViolations(page), []);
    const problems = await collect();
    assert.deepEqual(problems.csp, [], 'the mismatch panel (and its details box) passes the page\'s CSP');
    assert.deepEqual(problems.errors, []);
    // The same state on a phone in the dark theme: readable, and axe finds nothing serious.
    const phone = await openLive(proxy.origin, `?at=${DEMO_AT}`, { viewport: VIEWPORTS.phone, colorScheme: 'dark' });
    try {
      await waitCheck(phone.page, 'mismatch');
      await screenshot(phone.page, 'live-mismatch-phone-dark');
      assert.deepEqual(await seriousViolations(phone.page), []);
    } finally {
      await phone.context.close();
    }
  } finally {
    await context.close();
    await proxy.close();
  }
});

test('a fragment the page\'s engine refuses: the ledger is fetched again from the server, and the figures follow it', async () => {
  // The first change the proxy passes on carries one more event: the account's opening again, at
  // another instant (a conflict with the loaded ledger), so the append is refused as a whole.
  let tampered = 0;
  const proxy = await startProxy(server, (req) => (req.url.includes('/changes?') && tampered === 0
    ? (text) => {
      tampered++;
      const fragment = JSON.parse(text);
      fragment.events.push({ id: 'e0001', type: 'account_opened', at: '2026-09-02T00:00:00Z' });
      return JSON.stringify(fragment);
    } : null));
  const { page, context, consoleLedgerRequests } = await openLive(proxy.origin);
  try {
    await waitCheck(page, 'match');
    await openUsage(page);
    const balance = page.locator('[data-testid=balance]');
    const before = Number(await balance.getAttribute('data-tokens'));
    await server.ingest({ format: 'easycoda.ledger/1', account: { id: server.account }, events: [
      { id: `refused-${Date.now()}`, type: 'credits_purchased', at: new Date(Date.now() - 1000).toISOString(), account_id: server.account, credits: 500, pack: 'pack_500' }] });
    await page.waitForFunction((b) => Number(document.querySelector('ec-console').shadowRoot.querySelector('ec-usage-panel')
      .shadowRoot.querySelector('[data-testid=balance]').getAttribute('data-tokens')) !== b, before, { timeout: 10000 });
    assert.equal(tampered, 1);
    assert.equal(consoleLedgerRequests.length, 2, 'the refused fragment made the page fetch the ledger again');
    assert.equal(Number(await balance.getAttribute('data-tokens')) - before, 5_000_000, 'the purchase, from the server\'s ledger');
    await waitCheck(page, 'match');
  } finally {
    await context.close();
    await proxy.close();
  }
});

test('live notices: an update that passes the low-balance warning, and a grant expiring within 7 days', async () => {
  const account = 'acct_alerts';
  const hourAgo = new Date(Date.now() - 3600_000);
  const iso = (d) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
  await server.ingest({ format: 'easycoda.ledger/1', account: { id: account, utc_offset: '+00:00' },
    projects: [{ id: 'prj_a', name: 'Agent work' }], events: [
      { id: 'a1', type: 'account_opened', at: iso(hourAgo) },
      { id: 'a2', type: 'subscription_billed', at: iso(hourAgo), account_id: account, plan: 'standard', outcome: 'succeeded',
        period_start: iso(hourAgo), period_end: iso(new Date(hourAgo.getTime() + 30 * 86400_000)), credits: 2000 },
    ] });
  const opened = await openPage(browser, server.origin);
  const { page, context } = opened;
  try {
    await page.goto(server.consoleUrl(server.origin, '', account, server.tokenFor(account)));
    await page.waitForFunction(() => document.documentElement.dataset.consoleState === 'ready', null, { timeout: 20000 });
    await page.evaluate(() => localStorage.setItem('easycoda.lowBalancePercent', '10'));
    await waitCheck(page, 'match');
    assert.equal(await page.locator('[data-testid=alert-low-balance]').count(), 0);
    const at = iso(new Date(Date.now() - 1000));
    // 250 credits charged of the plan's 2,000: 12.5% used, past the warning at 10%.
    await server.ingest({ format: 'easycoda.ledger/1', account: { id: account }, events: [
      { id: 'a3', type: 'usage', at, project_id: 'prj_a', service: 'agent_chat', task_id: 't1', session_id: 's1', model: 'deepseek-chat',
        provider_usage: { format: 'deepseek', usage: { prompt_tokens: 0, completion_tokens: 2_500_000, total_tokens: 2_500_000,
          prompt_cache_hit_tokens: 0, prompt_cache_miss_tokens: 0 } } },
      { id: 'a4', type: 'session_completed', at, project_id: 'prj_a', task_id: 't1', session_id: 's1' },
    ] });
    await page.locator('[data-testid=alert-low-balance]').waitFor({ timeout: 2000 });
    assert.match(await page.locator('[data-testid=alert-low-balance]').textContent(), /warning's 10% \(12\.50?% used\)/);
    assert.equal(await page.locator('[data-testid=alert-expiring]').count(), 0, 'the plan expires in 30 days');
    // Granted after the charge (at the same instant the charge would take the sooner-expiring grant first).
    while (Date.now() < Date.parse(at) + 2000) await page.waitForTimeout(100);
    await server.ingest({ format: 'easycoda.ledger/1', account: { id: account }, events: [
      { id: 'a5', type: 'credits_granted', at: new Date(Date.now() - 500).toISOString(), credits: 25,
        expires_at: iso(new Date(Date.now() + 2 * 86400_000)), reason: 'Welcome bonus' }] });
    await page.locator('[data-testid=alert-expiring]').waitFor({ timeout: 2000 });
    assert.match(await page.locator('[data-testid=alert-expiring]').textContent(), /25\.00 credits expire within 7 days/);
    assert.equal(await page.locator('[data-testid=live-alerts]').getAttribute('aria-live'), 'polite');
    await screenshot(page, 'live-alerts');
    await page.locator('[data-testid=alert-low-balance] button').click();
    assert.equal(await page.locator('[data-testid=alert-low-balance]').count(), 0, 'a notice can be dismissed');
  } finally {
    await context.close();
  }
});

test('two modes on one server: without a token the offline demo; in live mode a local file is read in the page, and "Back" returns to the live account', async () => {
  const offline = await openPage(browser, server.origin);
  try {
    const apiCalls = [];
    offline.page.on('request', (request) => { if (request.url().includes('/v1/')) apiCalls.push(request.url()); });
    await offline.page.goto(`${server.origin}/#/projects`);
    await offline.page.waitForFunction(() => document.documentElement.dataset.consoleState === 'ready', null, { timeout: 20000 });
    assert.match(await offline.page.locator('.data-chip').textContent(), /Demo data/);
    assert.equal(await offline.page.locator('[data-testid=live-status]').count(), 0);
    assert.deepEqual(apiCalls, [], 'the offline demo asks nothing of the API');
  } finally {
    await offline.context.close();
  }
  const { page, context } = await openLive(server.origin);
  try {
    await waitCheck(page, 'match');
    const posts = [];
    page.on('request', (request) => { if (request.method() !== 'GET') posts.push(request.url()); });
    await page.locator('[data-testid=open-loader]').click();
    await page.locator('[data-testid=file-input]').setInputFiles(path.join(fixturesDir, 'overdraft-ledger.json'));
    await page.waitForFunction(() => document.querySelector('ec-console').shadowRoot.querySelector('.layout').dataset.account !== 'acct_demo', null, { timeout: 10000 });
    assert.equal(await page.locator('[data-testid=live-status]').count(), 0, 'the live marks are of the live account only');
    assert.deepEqual(posts, [], 'the file is not sent');
    await page.locator('[data-testid=avatar] button.trigger').click();
    assert.equal((await page.locator('[data-testid=menu-demo]').textContent()).trim(), 'Back to the live account');
    await page.locator('[data-testid=menu-demo]').click();
    await page.waitForFunction(() => document.querySelector('ec-console').shadowRoot.querySelector('.layout').dataset.account === 'acct_demo', null, { timeout: 5000 });
    assert.equal((await page.locator('[data-testid=live-badge]').textContent()).trim(), 'Live');
  } finally {
    await context.close();
  }
});

test('a large account (a console-ledger over 2 MiB) is loaded and followed in the Web Worker, with the same figures', async () => {
  const account = 'acct_large';
  const start = Date.now() - 6 * 3600_000;
  const iso = (ms) => new Date(ms).toISOString();
  await server.ingest({ format: 'easycoda.ledger/1', account: { id: account, utc_offset: '+00:00' },
    projects: [{ id: 'prj_ci', name: 'CI' }], events: [{ id: 'open', type: 'account_opened', at: iso(start) }] });
  // Two batches of 8,000 build events (free, other services) in the last hours: about 2.4 MB.
  for (let batch = 0; batch < 2; batch++) {
    const events = Array.from({ length: 8000 }, (_, i) => {
      const n = batch * 8000 + i + 1;
      return { id: `build-${String(n).padStart(6, '0')}`, type: 'usage', at: iso(start + n * 1000), project_id: 'prj_ci',
        service: 'build', tokens: { output: 100 + (n % 900), input_cache_miss: 1000 + (n % 9000) } };
    });
    assert.equal((await server.ingest({ format: 'easycoda.ledger/1', account: { id: account }, events })).accepted, 8000);
  }
  const { page, context } = await openPage(browser, server.origin);
  try {
    await page.goto(server.consoleUrl(server.origin, '', account, server.tokenFor(account)));
    await page.waitForFunction(() => document.documentElement.dataset.consoleState === 'ready', null, { timeout: 30000 });
    assert.equal(await page.evaluate(() => document.querySelector('ec-console').store.session.inWorker), true, 'the answer was loaded in the worker');
    await waitCheck(page, 'match', 15000);
    await openUsage(page);
    const balance = page.locator('[data-testid=balance]');
    const before = Number(await balance.getAttribute('data-tokens'));
    await server.ingest({ format: 'easycoda.ledger/1', account: { id: account }, events: [
      { id: 'buy-1', type: 'credits_purchased', at: iso(Date.now() - 1000), account_id: account, credits: 500, pack: 'pack_500' }] });
    await page.waitForFunction((b) => Number(document.querySelector('ec-console').shadowRoot.querySelector('ec-usage-panel')
      .shadowRoot.querySelector('[data-testid=balance]')?.getAttribute('data-tokens')) === b + 5_000_000, before, { timeout: 2000 });
    await waitCheck(page, 'match', 15000);
  } finally {
    await context.close();
  }
});

test('a token the server does not accept: a sign-in message, and no figures; an account it does not hold: said so, and retried', async () => {
  const { page, context, collect } = await openPage(browser, server.origin);
  try {
    await page.goto(`${server.origin}/#token=eca_not_a_token&account=${server.account}`);
    await page.locator('[data-testid=live-unauthorized]').waitFor({ timeout: 10000 });
    assert.deepEqual((await collect()).csp, []);
    assert.match(await page.locator('[data-testid=live-unauthorized]').textContent(), /Sign-in needed/);
    assert.equal(await page.locator('[data-testid=balance]').count(), 0);
    assert.doesNotMatch(page.url(), /token=/, 'the token leaves the address bar');
  } finally {
    await context.close();
  }
  // A valid token for an account the server does not hold (yet): said so, and retried.
  const other = await openPage(browser, server.origin);
  try {
    await other.page.goto(server.consoleUrl(server.origin, '', 'acct_later', server.tokenFor('acct_later')));
    await other.page.locator('[data-testid=live-no-account]').waitFor({ timeout: 10000 });
    assert.match(await other.page.locator('[data-testid=live-no-account]').textContent(), /no account “acct_later”/);
    assert.equal(await other.page.locator('[data-testid=balance]').count(), 0);
  } finally {
    await other.context.close();
  }
});

test('offline: the server stops, the last figures stay, marked stale; it comes back and the console follows again', async () => {
  const { page, context, consoleLedgerRequests } = await openLive(server.origin);
  try {
    await waitCheck(page, 'match');
    await server.stop();
    await page.locator('[data-testid=live-offline]').waitFor({ timeout: 10000 });
    assert.equal((await page.locator('[data-testid=live-badge]').textContent()).trim(), 'Stale');
    assert.ok(await page.locator('ec-project-list').count() === 1, 'the figures stay shown');
    await screenshot(page, 'live-offline');
    assert.deepEqual(await seriousViolations(page), []);
    await server.start();
    await server.ingest({ format: 'easycoda.ledger/1', account: { id: server.account }, events: [
      { id: `back-${Date.now()}`, type: 'credits_purchased', at: new Date(Date.now() - 1000).toISOString(), account_id: server.account, credits: 1000, pack: 'pack_1000' }] });
    // Back-off 1, 2, 4 s ...: within 15 s the console is live again and shows the purchase.
    await page.waitForFunction(() => document.querySelector('ec-console').shadowRoot.querySelector('ec-live-status')
      .shadowRoot.querySelector('[data-testid=live-status]').dataset.state === 'live', null, { timeout: 15000 });
    assert.equal((await page.locator('[data-testid=live-badge]').textContent()).trim(), 'Live');
    assert.equal(await page.locator('[data-testid=live-offline]').count(), 0);
    await waitCheck(page, 'match', 10000);
    assert.equal(consoleLedgerRequests.length, 1, 'the ledger is not fetched again after an outage');
  } finally {
    await context.close();
  }
});
