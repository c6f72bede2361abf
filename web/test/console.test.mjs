// End-to-end tests of the web console in a real browser (Debian's Chromium via playwright-core),
// against the built console served with its production headers (web/serve.mjs).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  DEMO_AT, VIEWPORTS, demoLedgerPath, fixturesDir, fmtCredits, fmtTokens, gotoConsole, launchBrowser, nodeEngine,
  openPage, openUsage, reference, referenceAccountReport, screenshot, screenshotDir, startConsoleServer,
} from './helpers.mjs';
import { CONTENT_SECURITY_POLICY } from '../serve.mjs';

let server;
let origin;
let browser;

before(async () => {
  ({ server, url: origin } = await startConsoleServer());
  origin = origin.replace(/\/$/, '');
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  server?.close();
});

/** Every page must end with no CSP violation, error, alert, or request to another origin. */
async function assertClean(collect, label) {
  const problems = await collect();
  assert.deepEqual(problems.csp, [], `${label}: CSP violations`);
  assert.deepEqual(problems.console.filter((m) => /Content.Security.Policy|Trusted Type|Refused/i.test(m)), [], `${label}: CSP messages`);
  assert.deepEqual(problems.errors, [], `${label}: uncaught errors`);
  assert.deepEqual(problems.dialogs, [], `${label}: alert/confirm dialogs`);
  assert.deepEqual(problems.foreignRequests, [], `${label}: requests leaving the origin`);
  assert.deepEqual(problems.console, [], `${label}: console errors`);
}

/** The deepest focused element, through shadow roots. */
async function activeElementInfo(page) {
  return page.evaluate(() => {
    let element = document.activeElement;
    while (element && element.shadowRoot && element.shadowRoot.activeElement) element = element.shadowRoot.activeElement;
    const hosts = [];
    for (let node = element; node; node = node.getRootNode().host) {
      if (node.getRootNode() instanceof ShadowRoot) hosts.push(node.getRootNode().host.tagName.toLowerCase());
      else break;
    }
    return {
      tag: element?.tagName.toLowerCase(), text: element?.textContent?.trim(), role: element?.getAttribute('role'),
      testid: element?.closest?.('[data-testid]')?.getAttribute('data-testid') ?? null, hosts,
      inDialog: (() => { for (let n = element; n; n = n.parentNode || n.host) if (n.tagName === 'DIALOG') return n.id; return null; })(),
    };
  });
}

/** Counts elements of a tag anywhere in the page, shadow roots included. */
async function deepCount(page, tag) {
  return page.evaluate((name) => {
    let count = 0;
    const walk = (root) => {
      for (const element of root.querySelectorAll('*')) {
        if (element.tagName.toLowerCase() === name) count++;
        if (element.shadowRoot) walk(element.shadowRoot);
      }
    };
    walk(document);
    return count;
  }, tag);
}

async function amountOf(locator) {
  const amount = locator.locator('.amount').first();
  return { tokens: Number(await amount.getAttribute('data-tokens')), text: (await amount.textContent()).trim() };
}

async function assertAmount(locator, tokens, credits, label) {
  const seen = await amountOf(locator);
  assert.equal(seen.tokens, tokens, `${label}: tokens`);
  assert.equal(seen.text, fmtCredits(credits), `${label}: credits shown`);
}

/** "1,234.5600" → "1234.56", "0.00" → "0": a shown amount as an exact decimal, to compare with a report's. */
function exactDecimal(text) {
  const plain = text.trim().replace(/,/g, '');
  return plain.includes('.') ? plain.replace(/0+$/, '').replace(/\.$/, '') : plain;
}

/** A tile of a group: exactly the report's amount, whatever number of decimals its group shows. */
async function assertTile(locator, tokens, credits, label) {
  const seen = await amountOf(locator);
  assert.equal(seen.tokens, tokens, `${label}: tokens`);
  assert.equal(exactDecimal(seen.text), exactDecimal(credits), `${label}: "${seen.text}" is exactly ${credits}`);
  assert.match(seen.text, /^-?\d{1,3}(,\d{3})*\.\d{2,4}$/, `${label}: 2 to 4 decimals, grouped thousands`);
}

/** The tiles side by side in a group all show one number of decimals: the most any needs. */
async function assertEvenTiles(group, label) {
  const texts = (await group.locator('.stat .value .amount').allTextContents()).map((t) => t.trim());
  assert.ok(texts.length >= 2, `${label}: a group of tiles`);
  const decimals = texts.map((t) => t.split('.')[1]?.length ?? 0);
  assert.equal(new Set(decimals).size, 1, `${label}: one number of decimals, saw ${JSON.stringify(texts)}`);
  const needed = Math.max(2, ...texts.map((t) => (t.split('.')[1] ?? '').replace(/0+$/, '').length));
  assert.equal(decimals[0], needed, `${label}: no more decimals than the group needs, saw ${JSON.stringify(texts)}`);
}

async function loadLedgerFile(page, file) {
  await page.locator('[data-testid=open-loader]').click();
  await page.locator('[data-testid=loader-dialog]').waitFor({ state: 'visible' });
  await page.locator('[data-testid=file-input]').setInputFiles(file);
}

// ---------- serving ----------

test('the console is served with the strict Content-Security-Policy header', async () => {
  const response = await fetch(`${origin}/`);
  const csp = response.headers.get('content-security-policy');
  assert.equal(csp, CONTENT_SECURITY_POLICY);
  assert.match(csp, /(^|; )default-src 'self'(;|$)/);
  assert.match(csp, /(^|; )script-src 'self' 'wasm-unsafe-eval'(;|$)/);
  assert.doesNotMatch(csp, /'unsafe-inline'|'unsafe-eval'|\*|https?:/);
  const html = await response.text();
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/i, 'no inline script in index.html');
  assert.doesNotMatch(html, /<style|\sstyle=/i, 'no inline style in index.html');
});

test('the CSP monitor catches an inline script (canary)', async () => {
  const { page, collect, context } = await openPage(browser, origin);
  await page.goto(`${origin}/__test/csp-canary.html`);
  await page.waitForTimeout(200);
  const problems = await collect();
  assert.notEqual(await page.title(), 'inline ran', 'the inline script must not run');
  assert.ok(problems.csp.length >= 2, `expected the inline script and style to be refused, saw ${JSON.stringify(problems.csp)}`);
  await context.close();
});

test('a loading state is shown while the engine and the demo account start', async () => {
  const { page, collect, context } = await openPage(browser, origin);
  let release;
  const gate = new Promise((resolve) => { release = resolve; });
  await page.route('**/demo/ledger.json', async (route) => { await gate; await route.continue(); });
  await page.goto(`${origin}/#/projects`);
  const loading = page.locator('[data-testid=loading]');
  await loading.waitFor({ state: 'visible' });
  assert.match(await loading.textContent(), /Starting the credit engine/);
  assert.equal(await loading.getAttribute('aria-busy'), 'true');
  release();
  await page.locator('[data-testid=project-list]').waitFor();
  await assertClean(collect, 'loading');
  await context.close();
});

// ---------- the seed's navigation paths ----------

test('avatar (bottom left) → menu → Usage opens the resource usage panel as a dialog', async () => {
  const { page, collect, context } = await openPage(browser, origin);
  await gotoConsole(page, origin);
  const avatar = page.locator('[data-testid=avatar] button.trigger');
  const box = await avatar.boundingBox();
  assert.ok(box.x < 100 && box.y > 600, `avatar at the bottom left, got ${JSON.stringify(box)}`);
  await openUsage(page);
  const dialog = page.getByRole('dialog', { name: 'Usage' });
  assert.ok(await dialog.isVisible());
  await assertClean(collect, 'usage dialog');
  await context.close();
});

test('project list → More actions → Settings opens the project detail page', async () => {
  const { page, collect, context } = await openPage(browser, origin);
  await gotoConsole(page, origin);
  const row = page.locator('[data-testid=project-list] tr[data-project="prj_shop"]');
  await row.locator('[data-testid=more-actions] button.trigger').click();
  await row.locator('[data-testid=menu-settings]').click();
  await page.waitForURL(/#\/projects\/prj_shop\/settings$/);
  assert.equal((await page.locator('[data-testid=project-title]').textContent()).trim(), 'Shop backend');
  await page.locator('[data-testid=tasks]').waitFor();
  await assertClean(collect, 'project detail');
  await context.close();
});

test('the sidebar reaches the Pricing page', async () => {
  const { page, collect, context } = await openPage(browser, origin);
  await gotoConsole(page, origin);
  await page.locator('[data-testid=nav-pricing]').click();
  await page.waitForURL(/#\/pricing$/);
  await page.locator('[data-testid=quote-options]').waitFor();
  await assertClean(collect, 'pricing');
  await context.close();
});

test('dialogs and menus work from the keyboard and give focus back', async () => {
  const { page, collect, context } = await openPage(browser, origin);
  await gotoConsole(page, origin);
  await page.locator('[data-testid=avatar] button.trigger').focus();
  await page.keyboard.press('Enter');
  let focused = await activeElementInfo(page);
  assert.equal(focused.role, 'menuitem');
  assert.equal(focused.text, 'Usage');
  await page.keyboard.press('ArrowDown');
  assert.equal((await activeElementInfo(page)).text, 'Load a ledger…');
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('Enter');
  await page.locator('[data-testid=balance]').waitFor();
  focused = await activeElementInfo(page);
  assert.equal(focused.inDialog, 'usage-dialog', `focus moves into the dialog, got ${JSON.stringify(focused)}`);
  // Tabs are operable with the arrow keys.
  await page.getByRole('tab', { name: 'Balance' }).focus();
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.getByRole('tab', { name: 'Usage' }).getAttribute('aria-selected'), 'true');
  await page.keyboard.press('Escape');
  await page.locator('[data-testid=usage-dialog]').waitFor({ state: 'hidden' });
  focused = await activeElementInfo(page);
  assert.ok(focused.hosts.includes('ec-menu') && focused.tag === 'button', `focus returns to the avatar, got ${JSON.stringify(focused)}`);
  await assertClean(collect, 'keyboard');
  await context.close();
});

// ---------- figures ----------

test('the demo figures equal the reference report for the same instant', async (t) => {
  const { source, report: ref } = await referenceAccountReport(demoLedgerPath, DEMO_AT);
  t.diagnostic(`reference: ${source}`);
  const { page, collect, context } = await openPage(browser, origin, { timezoneId: 'America/New_York' });
  await gotoConsole(page, origin);
  assert.equal(await page.locator('.layout').getAttribute('data-at'), ref.at);

  for (const p of ref.projects) {
    const row = page.locator(`[data-testid=project-list] tr[data-project="${p.id}"]`);
    assert.equal((await row.locator('.name').textContent()).trim(), p.name);
    await assertAmount(row.locator('[data-col=charged]'), p.charged_tokens, p.charged_credits, `project ${p.id} charged`);
    await assertAmount(row.locator('[data-col=free]'), p.free_tokens, p.free_credits, `project ${p.id} free`);
  }

  await openUsage(page);
  const balance = page.locator('[data-testid=balance]');
  assert.equal(Number(await balance.getAttribute('data-tokens')), ref.balance_tokens);
  assert.ok((await balance.textContent()).includes(fmtCredits(ref.balance_credits)));
  assert.equal((await page.locator('[data-testid=balance-tokens]').textContent()).trim(), `${fmtTokens(ref.balance_tokens)} tokens`);
  assert.equal((await page.locator('[data-testid=chat-state]').textContent()).trim(),
    ref.can_start_agent_chat ? 'Agent chats available' : 'Agent chats unavailable');
  for (const [source, s] of Object.entries(ref.balance_by_source)) {
    await assertTile(page.locator(`[data-testid=source-${source}]`), s.remaining_tokens, s.remaining_credits, `source ${source}`);
  }
  await assertEvenTiles(page.locator('[data-testid=by-source]'), 'balance by source');
  if (ref.expires_next) {
    await assertAmount(page.locator('[data-testid=expires-next] .callout-title'), ref.expires_next.remaining_tokens,
      ref.expires_next.remaining_credits, 'expires next');
    // What will likely go unused then is the core's sum (the forecast's next_expiry), not the page's.
    const { report: forecast } = await reference(demoLedgerPath, ['forecast', '--at', DEMO_AT]);
    assert.equal(forecast.next_expiry.expires_at, ref.expires_next.expires_at);
    const likely = await amountOf(page.locator('[data-testid=likely-unused]'));
    assert.equal(likely.tokens, forecast.next_expiry.likely_unused_tokens, 'likely unused at the next expiry: tokens');
    assert.equal(likely.text, `${fmtCredits(forecast.next_expiry.likely_unused_credits)} credits`, 'likely unused: credits shown');
    assert.ok((await page.locator('[data-testid=expires-next]').textContent()).includes(`about ${fmtCredits(forecast.rate_credits_per_day)} credits a day`));
  }
  for (const g of ref.grants.filter((grant) => grant.active && grant.remaining_tokens > 0)) {
    const row = page.locator(`[data-testid=grants] tr[data-grant="${g.id}"]`);
    await assertAmount(row.locator('td').nth(5), g.remaining_tokens, g.remaining_credits, `grant ${g.id} remaining`);
  }

  await page.getByRole('tab', { name: 'Usage' }).click();
  const figures = page.locator('[data-testid=usage-figures]');
  // "This period" (the default range) is the core's billing_period: the usage from its usage_from.
  assert.equal(ref.billing_period.basis, 'plan');
  const { report: period } = await reference(demoLedgerPath, ['report', '--at', DEMO_AT, '--from', ref.billing_period.usage_from]);
  await assertTile(figures.locator('[data-figure=charged]'), period.usage.charged_tokens, period.usage.charged_credits, 'this period charged');
  await assertTile(figures.locator('[data-figure=total]'), period.usage.total_tokens, period.usage.total_credits, 'this period total');
  assert.match(await page.locator('[data-testid=range-label]').textContent(), /^\s*Plan period: Nov 5, 2026 – Dec 1, 2026\s*$/);
  await page.locator('[data-range=all]').click();
  await assertTile(figures.locator('[data-figure=charged]'), ref.usage.charged_tokens, ref.usage.charged_credits, 'charged');
  for (const c of ['cache_hit', 'summarization', 'other_service', 'cancelled', 'pending']) {
    await assertTile(figures.locator(`[data-figure=${c}]`), ref.usage.free[`${c}_tokens`], ref.usage.free[`${c}_credits`], `free ${c}`);
  }
  await assertTile(figures.locator('[data-figure=total]'), ref.usage.total_tokens, ref.usage.total_credits, 'total');
  await assertEvenTiles(figures, 'usage figures, all time');
  assert.ok((await page.locator('[data-testid=cache-saved]').textContent()).includes(`${fmtTokens(ref.usage.free.cache_hit_tokens)} tokens`));
  for (const p of ref.projects) {
    await assertAmount(page.locator(`[data-testid=usage-projects] tr[data-project="${p.id}"] [data-col=charged]`),
      p.charged_tokens, p.charged_credits, `usage project ${p.id}`);
  }

  // A custom range (dates in the account's +08:00) asks the engine for exactly that range.
  await page.locator('[data-range=custom]').click();
  await page.locator('#from').fill('2026-10-01');
  await page.locator('#to').fill('2026-10-31');
  const { report: october } = await reference(demoLedgerPath,
    ['report', '--at', DEMO_AT, '--from', '2026-10-01', '--to', '2026-10-31']);
  // The core resolves the dates to the account's +08:00 days.
  assert.equal(october.from, '2026-09-30T16:00:00Z');
  assert.equal(october.to, '2026-10-31T16:00:00Z');
  await assertTile(figures.locator('[data-figure=charged]'), october.usage.charged_tokens, october.usage.charged_credits, 'October charged');
  await assertTile(figures.locator('[data-figure=total]'), october.usage.total_tokens, october.usage.total_credits, 'October total');
  assert.match(await page.locator('[data-testid=range-label]').textContent(), /Oct 1, 2026 – Oct 31, 2026/);
  // Dates the wrong way round: the core's own error is shown, no figures.
  await page.locator('#from').fill('2026-10-31');
  await page.locator('#to').fill('2026-10-01');
  assert.match(await page.locator('[data-testid=range-error]').textContent(), /"from" must not be later than "to"/);
  // "Last 30 days" is the forecast's window, resolved by the core (the CLI's --from last_30_days).
  const { report: last30 } = await reference(demoLedgerPath, ['report', '--at', DEMO_AT, '--from', 'last_30_days']);
  assert.equal(last30.from, '2026-11-01T00:00:00.000000001Z');
  await page.locator('[data-range=last30]').click();
  await assertTile(figures.locator('[data-figure=charged]'), last30.usage.charged_tokens, last30.usage.charged_credits, 'last 30 days charged');
  await assertTile(figures.locator('[data-figure=total]'), last30.usage.total_tokens, last30.usage.total_credits, 'last 30 days total');
  await page.locator('[data-range=all]').click();

  // Per day: the account's days match the report; UTC and local days add up to the same totals.
  const totals = page.locator('[data-testid=daily-totals]');
  for (const zone of ['account', 'utc', 'local', 'account']) {
    await page.locator(`[data-zone=${zone}]`).click();
    await page.waitForFunction(() => true);
    assert.equal(Number(await totals.getAttribute('data-charged')), ref.usage.charged_tokens, `${zone} days: charged`);
    assert.equal(Number(await totals.getAttribute('data-total')), ref.usage.total_tokens, `${zone} days: total`);
  }
  await page.getByRole('button', { name: 'Show as table' }).first().click();
  const dayRows = page.locator('[data-testid=daily-table] tbody tr');
  assert.equal(await dayRows.count(), ref.daily.length);
  for (const [i, d] of ref.daily.entries()) {
    const row = dayRows.nth(i);
    assert.equal((await row.locator('th').textContent()).trim(), d.date);
    await assertAmount(row.locator('td').first(), d.charged_tokens, d.charged_credits, `day ${d.date}`);
  }
  await assertClean(collect, 'figures');
  await context.close();
});

test('a low-balance threshold the user sets shows a warning, and is remembered', async () => {
  const { report: ref } = await referenceAccountReport(demoLedgerPath, DEMO_AT);
  // The basis and the used share are the core's billing_period: 105.85 of 2,000 plan credits, 5.29%.
  const period = ref.billing_period;
  assert.equal(period.basis, 'plan');
  assert.ok(period.used_bp >= 500 && period.used_bp < 1000, `used ${period.used_bp} bp`);
  const { page, collect, context } = await openPage(browser, origin);
  await gotoConsole(page, origin);
  await openUsage(page);
  assert.equal(await page.locator('[data-testid=low-balance]').count(), 0, 'no warning at the default 80%');
  await page.locator('[data-testid=threshold]').selectOption('5');
  await page.locator('[data-testid=low-balance]').waitFor();
  assert.match(await page.locator('[data-testid=low-balance]').textContent(), /used 5% of this period's plan credits/);
  assert.equal(Number(await page.locator('[data-testid=low-balance]').getAttribute('data-used-bp')), period.used_bp);
  assert.ok((await page.locator('[data-testid=low-balance]').textContent())
    .includes(`${fmtTokens(period.used_tokens)} of ${fmtTokens(period.granted_tokens)} tokens are used`));
  await gotoConsole(page, origin);
  await openUsage(page);
  assert.equal(await page.locator('[data-testid=threshold]').inputValue(), '5');
  await page.locator('[data-testid=low-balance]').waitFor();
  await page.locator('[data-testid=threshold]').selectOption('10');
  assert.equal(await page.locator('[data-testid=low-balance]').count(), 0);
  await assertClean(collect, 'threshold');
  await context.close();
});

test('the ledger view explains each deduction and the CSV export is the report', async () => {
  const { report: ref } = await referenceAccountReport(demoLedgerPath, DEMO_AT);
  const { page, collect, context } = await openPage(browser, origin, { acceptDownloads: true });
  await gotoConsole(page, origin);
  await openUsage(page);
  await page.getByRole('tab', { name: 'Ledger' }).click();
  await page.getByRole('radio', { name: 'Charges' }).click();
  const charges = ref.ledger.filter((e) => e.kind === 'charge');
  const newest = charges.at(-1);
  const sentence = (await page.locator('[data-testid=charge-sentence]').first().textContent()).trim();
  const equation = `${fmtTokens(newest.output_tokens)} output + ${fmtTokens(newest.input_cache_miss_tokens)} cache-miss input = `
    + `${fmtTokens(newest.charged_tokens)} tokens = ${fmtCredits(newest.charged_credits)} credits, paid from: `;
  assert.ok(sentence.startsWith(equation), `"${sentence}" starts with "${equation}"`);
  for (const a of newest.allocations) assert.ok(sentence.includes(fmtCredits(a.credits)), `allocation ${a.grant_id} in "${sentence}"`);
  // The popup shows the engine's pages of 40, newest first, and asks for the next page on demand.
  const items = page.locator('[data-testid=ledger] li');
  assert.equal(await items.count(), Math.min(40, charges.length));
  assert.ok(charges.length > 40, 'the demo has more than one page of charges');
  await page.getByRole('button', { name: /^Show \d+ more$/ }).click();
  assert.equal(await items.count(), Math.min(80, charges.length));
  // The first entry of the second page is the 41st newest charge.
  const forty_first = charges.at(-41);
  const second = (await items.nth(40).locator('[data-testid=charge-sentence]').textContent()).trim();
  assert.ok(second.startsWith(`${fmtTokens(forty_first.output_tokens)} output + ${fmtTokens(forty_first.input_cache_miss_tokens)} cache-miss input = `),
    `"${second}" is the 41st newest charge`);

  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-testid=export-ledger]').click()]);
  const csv = fs.readFileSync(await download.path(), 'utf8').trim().split('\r\n');
  assert.equal(csv.length, ref.ledger.length + 1);
  const header = csv[0].split(',');
  const last = csv.at(-1).split(',');
  const lastEntry = ref.ledger.at(-1);
  assert.equal(last[header.indexOf('at')], lastEntry.at);
  assert.equal(last[header.indexOf('balance_tokens')], String(lastEntry.balance_tokens));

  await page.getByRole('tab', { name: 'Usage' }).click();
  await page.locator('[data-range=all]').click();
  const [daily] = await Promise.all([page.waitForEvent('download'), page.locator('[data-testid=export-daily]').click()]);
  const rows = fs.readFileSync(await daily.path(), 'utf8').trim().split('\r\n').slice(1).map((line) => line.split(','));
  assert.deepEqual(rows.map((r) => [r[0], Number(r[1]), r[2]]), ref.daily.map((d) => [d.date, d.charged_tokens, d.charged_credits]));
  await assertClean(collect, 'ledger');
  await context.close();
});

test('the project detail page shows tasks and sessions with status, charge, filters and sorting', async (t) => {
  const { page, collect, context } = await openPage(browser, origin);
  const refs = {};
  for (const projectId of ['prj_shop', 'prj_docs', 'prj_mobile', 'prj_pipeline', 'prj_landing']) {
    const { source, report: ref } = await reference(demoLedgerPath, ['project', projectId, '--at', DEMO_AT]);
    if (projectId === 'prj_shop') t.diagnostic(`reference: ${source}`);
    refs[projectId] = ref;
    await gotoConsole(page, origin, `#/projects/${projectId}/settings`);
    const usage = page.locator('[data-testid=project-usage]');
    await assertTile(usage.locator('[data-figure=charged]'), ref.usage.charged_tokens, ref.usage.charged_credits, `${projectId} charged`);
    await assertTile(usage.locator('[data-figure=cancelled]'), ref.usage.free.cancelled_tokens, ref.usage.free.cancelled_credits, `${projectId} cancelled`);
    await assertTile(usage.locator('[data-figure=pending]'), ref.usage.free.pending_tokens, ref.usage.free.pending_credits, `${projectId} pending`);
    await assertEvenTiles(usage, `${projectId} usage tiles`);
    for (const task of ref.tasks) {
      for (const s of task.sessions) {
        const row = page.locator(`tr[data-session="${task.task_id}/${s.session_id}"]`);
        assert.equal(await row.getAttribute('data-status'), s.status);
        const cell = row.locator('[data-col=charge]');
        if (s.status === 'completed') await assertAmount(cell, s.charged_tokens, s.charged_credits, `${projectId}/${task.task_id}/${s.session_id}`);
        else assert.equal((await cell.textContent()).trim(), s.status === 'cancelled' ? 'Free · cancelled' : 'Pending');
      }
      if (task.cancel_reason) {
        assert.ok((await page.locator(`[data-task="${task.task_id}"] [data-testid=cancel-reason]`).textContent()).includes(task.cancel_reason));
      }
    }
  }
  // Filters: only cancelled sessions; sorting by charge puts the largest first within a task.
  const ref = refs.prj_shop;
  await gotoConsole(page, origin, '#/projects/prj_shop/settings');
  // The demo's Shop backend, read by hand: 75.71 charged beside 513.1567 of cache hits; the tiles
  // show four decimals each (zeros added, nothing rounded) and use tabular figures.
  assert.equal(ref.usage.charged_credits.replace(/0+$/, ''), '75.71');
  const tiles = page.locator('[data-testid=project-usage]');
  assert.equal((await tiles.locator('[data-figure=charged] .amount').textContent()).trim(), '75.7100');
  assert.equal((await tiles.locator('[data-figure=cache_hit] .amount').textContent()).trim(), fmtCredits(ref.usage.free.cache_hit_credits));
  assert.equal(await tiles.locator('[data-figure=charged] .value').evaluate((e) => getComputedStyle(e).fontVariantNumeric), 'tabular-nums');
  await tiles.screenshot({ path: path.join(screenshotDir, 'tiles-project-usage-desktop-light.png') });
  await page.locator('[data-status=cancelled]').first().click();
  const statuses = await page.locator('tr[data-session]').evaluateAll((rows) => rows.map((r) => r.dataset.status));
  const cancelled = ref.tasks.flatMap((t) => t.sessions).filter((s) => s.status === 'cancelled');
  assert.equal(statuses.length, cancelled.length);
  assert.ok(statuses.every((s) => s === 'cancelled'));
  await page.locator('[data-status=all]').first().click();
  await page.locator('[data-testid=sort]').selectOption('charge');
  const biggestTask = [...ref.tasks].sort((a, b) => b.charged_tokens - a.charged_tokens)[0];
  assert.equal(await page.locator('[data-task]').first().getAttribute('data-task'), biggestTask.task_id);
  // A breakdown explains a session's charge.
  const first = page.locator('tr[data-session]').first();
  await first.getByRole('button', { name: /^Breakdown of session/ }).click();
  assert.match(await page.locator('[data-testid=breakdown]').first().textContent(), /output \+ [\d,]+ cache-miss input = [\d,]+ tokens = [\d.,]+ credits/);
  await assertClean(collect, 'project detail');
  await context.close();
});

// ---------- loading a ledger ----------

test('a ledger with markup in its strings renders it as text', async () => {
  const { page, collect, context, problems } = await openPage(browser, origin);
  await gotoConsole(page, origin);
  const before = problems.requests.length;
  await loadLedgerFile(page, path.join(fixturesDir, 'xss-ledger.json'));
  await page.locator('.layout[data-account="acct_xss"]').waitFor();
  assert.equal(problems.requests.length, before, 'loading a ledger makes no request');
  const name = page.locator('[data-testid=project-list] tr[data-project="p_xss"] .name');
  assert.equal((await name.textContent()).trim(), '<img src=x onerror=alert(1)>');
  assert.equal((await page.locator('tr[data-project="p_quote"] .name').textContent()).trim(), '"><script>alert(2)</script>');
  await page.locator('tr[data-project="p_xss"] .name a').click();
  await page.locator('[data-testid=cancel-reason]').waitFor();
  assert.ok((await page.locator('[data-testid=cancel-reason]').textContent()).includes('<img src=y onerror=alert(3)> cancelled'));
  assert.ok((await page.locator('tr[data-session="t1/s1"]').textContent()).includes('<b>bold</b>'));
  await openUsage(page);
  await page.getByRole('checkbox', { name: 'Show used-up and expired' }).check();
  assert.ok((await page.locator('[data-testid=grants]').textContent()).includes('<svg onload=alert(4)>'));
  await page.getByRole('tab', { name: 'Usage' }).click();
  await page.locator('[data-range=all]').click();
  assert.ok((await page.locator('[data-testid=usage-projects]').textContent()).includes('<img src=x onerror=alert(1)>'));
  assert.equal(await deepCount(page, 'img'), 0, 'no <img> element was created');
  assert.equal(await deepCount(page, 'script'), 1, 'only the console\'s own script element');
  assert.equal(await deepCount(page, 'b'), 0, 'no <b> element was created');
  assert.ok(!problems.requests.some((url) => /\/(x|y)$/.test(url)), 'no request for the injected image');
  await assertClean(collect, 'xss');
  await context.close();
});

test('a rejected ledger shows each error and nothing of it is shown', async () => {
  const file = path.join(fixturesDir, 'invalid-ledger.json');
  const engine = await nodeEngine();
  let expected;
  try {
    engine.load(fs.readFileSync(file, 'utf8'));
    assert.fail('the fixture must be rejected');
  } catch (error) {
    expected = error.errors;
  }
  assert.ok(expected.length >= 2);
  const { page, collect, context, problems } = await openPage(browser, origin);
  await gotoConsole(page, origin);
  const before = problems.requests.length;
  await loadLedgerFile(page, file);
  await page.locator('[data-testid=load-errors]').waitFor();
  assert.equal(problems.requests.length, before, 'loading a ledger makes no request');
  const rows = page.locator('[data-testid=load-error]');
  assert.equal(await rows.count(), expected.length);
  for (const [i, e] of expected.entries()) {
    const cells = (await rows.nth(i).locator('td').allTextContents()).map((s) => s.trim());
    assert.deepEqual(cells, [e.code, e.event_id ?? '—', e.pointer || '(document)', e.message]);
  }
  assert.equal(await page.locator('.layout').getAttribute('data-account'), 'acct_demo', 'the demo account is still shown');
  await screenshot(page, 'load-errors-desktop-light');
  await assertClean(collect, 'rejected ledger');
  await context.close();
});

test('a ledger dropped on the drop zone loads; an overdrawn account says it cannot start agent chats', async () => {
  const { page, collect, context } = await openPage(browser, origin);
  await gotoConsole(page, origin);
  await page.locator('[data-testid=open-loader]').click();
  const text = fs.readFileSync(path.join(fixturesDir, 'overdraft-ledger.json'), 'utf8');
  const dataTransfer = await page.evaluateHandle((body) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([body], 'overdraft-ledger.json', { type: 'application/json' }));
    return transfer;
  }, text);
  await page.locator('[data-testid=drop-zone]').dispatchEvent('dragover', { dataTransfer });
  await page.locator('[data-testid=drop-zone]').dispatchEvent('drop', { dataTransfer });
  await page.locator('.layout[data-account="acct_over"]').waitFor();
  await openUsage(page);
  await page.locator('[data-testid=overdraft]').waitFor();
  assert.match(await page.locator('[data-testid=overdraft]').textContent(), /cannot start agent chats/);
  assert.equal((await page.locator('[data-testid=chat-state]').textContent()).trim(), 'Agent chats unavailable');
  assert.equal(Number(await page.locator('[data-testid=balance]').getAttribute('data-tokens')), -1000000);
  await screenshot(page, 'usage-overdraft-desktop-light');
  await assertClean(collect, 'overdraft');
  await context.close();
});

// ---------- pricing ----------

test('the calculator marks the cheapest option for hand-worked inputs', async () => {
  // The shipped example catalog (core/data/catalog.example.json): 500 free signup credits;
  // Standard $20.00 for 2,000 credits a month, Premium $50.00 for 6,000; packs of 500 ($7.50),
  // 1,000 ($12.00) and 5,000 ($50.00) credits. 1 credit = 10,000 tokens;
  // needed = output + input − floor(input × hit rate).
  const cases = [
    { output: '1000000', input: '10000000', rate: '80', cheapest: 'free', cost: '$0.00' }, // 300 credits ≤ 500 free
    { output: '5000000', input: '0', rate: '0', cheapest: 'free', cost: '$0.00' }, // exactly the 500 free credits
    { output: '5000001', input: '0', rate: '0', cheapest: 'packs', cost: '$12.00', mix: 'buy 1 × 1,000 credits = $12.00' }, // 1 token over: 1 × 1,000 ($12) < 2 × 500 ($15) < Standard $20
    { output: '1000000', input: '10000000', rate: '50', cheapest: 'packs', cost: '$12.00' }, // 600 credits: same as above
    { output: '5000000', input: '60000000', rate: '85', cheapest: 'packs', cost: '$19.50', mix: 'buy 1 × 500 + 1 × 1,000 credits = $19.50' }, // 1,400: 500 + 1,000 ($19.50) < Standard $20 < 3 × 500 ($22.50)
    { output: '10000000', input: '150000000', rate: '90', cheapest: 'plan:standard', cost: '$27.50', mix: 'buy 1 × 500 credits = $7.50' }, // 2,500: Standard + 1 × 500 = $27.50 < 2 × 1,000 + 1 × 500 ($31.50)
    { output: '60000000', input: '0', rate: '0', cheapest: 'plan:premium', cost: '$50.00' }, // 6,000: Premium $50 < Standard + 4 × 1,000 ($68) < 6 × 1,000 ($72)
  ];
  const { page, collect, context } = await openPage(browser, origin);
  await gotoConsole(page, origin, '#/pricing');
  for (const c of cases) {
    await page.locator('[data-testid=calc-output]').fill(c.output);
    await page.locator('[data-testid=calc-input]').fill(c.input);
    await page.locator('[data-testid=calc-rate]').fill(c.rate);
    const recommended = page.locator('[data-testid=quote-options] tr[data-recommended=true]');
    assert.equal(await recommended.count(), 1);
    assert.equal(await recommended.getAttribute('data-option'), c.cheapest, JSON.stringify(c));
    assert.equal((await recommended.locator('[data-col=cost]').textContent()).trim(), c.cost, JSON.stringify(c));
    assert.equal(await recommended.locator('[data-testid=cheapest-badge]').count(), 1);
    if (c.mix) assert.equal((await recommended.locator('[data-testid=pack-mix]').textContent()).replace(/\s+/g, ' ').trim(), c.mix, JSON.stringify(c));
    if (c.cost === '$19.50') {
      await page.locator('[data-testid=quote-options]').scrollIntoViewIfNeeded();
      await screenshot(page, 'pricing-mixed-packs-desktop-light');
    }
  }
  // Every keystroke recomputes: typing digit by digit ends on the right answer.
  await page.locator('[data-testid=calc-input]').fill('10000000');
  await page.locator('[data-testid=calc-rate]').fill('80');
  await page.locator('[data-testid=calc-output]').fill('');
  await page.locator('[data-testid=calc-output]').pressSequentially('1000000');
  assert.equal(await page.locator('tr[data-recommended=true]').getAttribute('data-option'), 'free');
  // Presets and replay fill the fields.
  await page.locator('[data-preset=heavy]').click();
  assert.equal(await page.locator('[data-testid=calc-output]').inputValue(), '20000000');
  // Replay: the core's replay inputs of the demo ledger's forecast window, as they are.
  const { report: forecast } = await reference(demoLedgerPath, ['forecast', '--at', DEMO_AT]);
  const replay = forecast.replay;
  assert.equal(replay.output_tokens + replay.input_cache_miss_tokens, forecast.window_charged_tokens);
  await page.locator('[data-preset=replay]').click();
  assert.equal(await page.locator('[data-testid=calc-output]').inputValue(), String(replay.output_tokens));
  assert.equal(await page.locator('[data-testid=calc-input]').inputValue(), String(replay.input_tokens));
  const bp = replay.cache_hit_rate_bp;
  assert.equal(await page.locator('[data-testid=calc-rate]').inputValue(),
    `${Math.floor(bp / 100)}${bp % 100 ? `.${String(bp % 100).padStart(2, '0').replace(/0$/, '')}` : ''}`);
  // The page's quote is the core's quote of exactly those inputs.
  const quote = (await nodeEngine()).quote({ output_tokens: replay.output_tokens, input_tokens: replay.input_tokens, cache_hit_rate_bp: bp });
  assert.ok(quote.needed_tokens >= forecast.window_charged_tokens);
  assert.equal(await page.locator('tr[data-recommended=true]').getAttribute('data-option'), quote.recommended);
  assert.ok((await page.locator('[data-testid=quote-summary]').textContent()).includes(`${fmtTokens(quote.needed_tokens)} tokens`));
  await assertClean(collect, 'calculator');
  await context.close();
});

test('the converter turns credits into tokens and back, exactly', async () => {
  const { page, collect, context } = await openPage(browser, origin);
  await gotoConsole(page, origin, '#/pricing');
  const credits = page.locator('[data-testid=conv-credits]');
  const tokens = page.locator('[data-testid=conv-tokens]');
  await credits.fill('12.5');
  assert.equal(await tokens.inputValue(), '125000');
  await credits.fill('900719925474.0991');
  assert.equal(await tokens.inputValue(), '9007199254740991');
  await tokens.fill('4200');
  assert.equal(await credits.inputValue(), '0.42');
  await tokens.fill('1');
  assert.equal(await credits.inputValue(), '0.0001');
  await credits.fill('1.23456');
  assert.equal(await credits.getAttribute('aria-invalid'), 'true');
  assert.equal(await tokens.inputValue(), '1', 'a rejected amount leaves the other side as it was');
  await assertClean(collect, 'converter');
  await context.close();
});

// ---------- layout ----------

test('every page fits a 360 px wide phone and both colour schemes, with screenshots', async () => {
  const pages = [
    { name: 'projects', hash: '#/projects' },
    { name: 'project-detail', hash: '#/projects/prj_shop/settings' },
    { name: 'pricing', hash: '#/pricing' },
    { name: 'usage-balance', hash: '#/projects', usage: 'Balance' },
    { name: 'usage-usage', hash: '#/projects', usage: 'Usage' },
    { name: 'usage-ledger', hash: '#/projects', usage: 'Ledger' },
  ];
  for (const [viewportName, viewport] of Object.entries(VIEWPORTS)) {
    for (const colorScheme of ['light', 'dark']) {
      const { page, collect, context } = await openPage(browser, origin, { viewport, colorScheme });
      for (const p of pages) {
        await gotoConsole(page, origin, p.hash);
        if (p.usage) {
          await openUsage(page);
          await page.getByRole('tab', { name: p.usage }).click();
        } else {
          await page.locator('main').waitFor();
        }
        await page.waitForTimeout(50);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        assert.ok(overflow <= 0, `${p.name} ${viewportName}: the page scrolls sideways by ${overflow}px`);
        await screenshot(page, `${p.name}-${viewportName}-${colorScheme}`, !p.usage && viewportName === 'desktop');
      }
      await assertClean(collect, `${viewportName} ${colorScheme}`);
      await context.close();
    }
  }
});

test('on long pages the sidebar runs the full height of the page at every scroll position', async () => {
  for (const width of [1280, 900]) {
    for (const colorScheme of ['light', 'dark']) {
      const { page, collect, context } = await openPage(browser, origin, { viewport: { width, height: 800 }, colorScheme });
      for (const [name, hash] of [['pricing', '#/pricing'], ['project-detail', '#/projects/prj_shop/settings']]) {
        await gotoConsole(page, origin, hash);
        await page.locator('main').waitFor();
        const pageHeight = await page.evaluate(() => document.documentElement.scrollHeight);
        assert.ok(pageHeight > 1200, `${name} is longer than one screen and a half (${pageHeight}px)`);
        for (const y of [0, Math.floor(pageHeight / 2), pageHeight]) {
          await page.evaluate((top) => window.scrollTo(0, top), y);
          const seen = await page.evaluate(() => {
            const root = document.querySelector('ec-console').shadowRoot;
            const column = root.querySelector('[data-testid=sidebar-column]').getBoundingClientRect();
            const nav = root.querySelector('nav.sidebar').getBoundingClientRect();
            const background = getComputedStyle(root.querySelector('[data-testid=sidebar-column]')).backgroundColor;
            return { top: column.top, bottom: column.bottom, width: column.width, navTop: nav.top, navBottom: nav.bottom,
              viewport: window.innerHeight, background, pageBackground: getComputedStyle(document.body).backgroundColor };
          });
          const label = `${name} ${width}px ${colorScheme} at scroll ${y}`;
          // The column's background covers the viewport's left strip from top to bottom (to the
          // pixel: a page's height has fractions of a pixel that scrolling rounds)…
          const json = JSON.stringify(seen);
          assert.ok(seen.top <= 1 && seen.bottom >= seen.viewport - 1, `${label}: the sidebar spans the viewport ${json}`);
          assert.equal(seen.width, 232, label);
          assert.notEqual(seen.background, seen.pageBackground, `${label}: the sidebar has its own background`);
          // …and the navigation stays in view.
          assert.ok(Math.abs(seen.navTop) < 1, `${label}: the navigation is in view ${json}`);
          assert.ok(Math.abs(seen.navBottom - seen.viewport) < 1, `${label}: the account menu is at the bottom of the screen ${json}`);
        }
        await screenshot(page, `${name}-scrolled-${width}-${colorScheme}`);
        if (width === 1280) {
          await page.evaluate(() => window.scrollTo(0, 0));
          await screenshot(page, `${name}-full-${colorScheme}`, true);
        }
      }
      await assertClean(collect, `sidebar ${width} ${colorScheme}`);
      await context.close();
    }
  }
});
