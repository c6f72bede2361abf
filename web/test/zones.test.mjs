// The Usage popup's local days in a real time zone: the console asks the core for the days of the
// browser's zone with its changes of offset (utc_offsets, found through Intl), so usage near a
// daylight-saving change lands on the day the reader's clock showed. Chromium runs in the zone
// under test (playwright's timezoneId); the expected rows come from the native CLI (or the module
// in Node) given the zone's 2026 changes as the tz database lists them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { gotoConsole, launchBrowser, openPage, openUsage, reference, repoDir, screenshot, startConsoleServer } from './helpers.mjs';

const ledgerPath = path.join(repoDir, 'tests', 'vectors', 'zones', 'dst-2026.json');
// The ledger's last event, where the console shows a loaded ledger.
const AT = '2026-11-01T06:00:00Z';
const ZONES = {
  'Europe/Berlin': { changes: '+01:00,2026-03-29T01:00:00Z=+02:00,2026-10-25T01:00:00Z=+01:00', offsetAtT: '+01:00' },
  'America/New_York': { changes: '-05:00,2026-03-08T07:00:00Z=-04:00,2026-11-01T06:00:00Z=-05:00', offsetAtT: '-05:00' },
};

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

async function loadLedger(page) {
  await page.locator('[data-testid=open-loader]').click();
  const text = fs.readFileSync(ledgerPath, 'utf8');
  const dataTransfer = await page.evaluateHandle((body) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([body], 'dst-2026.json', { type: 'application/json' }));
    return transfer;
  }, text);
  await page.locator('[data-testid=drop-zone]').dispatchEvent('dragover', { dataTransfer });
  await page.locator('[data-testid=drop-zone]').dispatchEvent('drop', { dataTransfer });
  await page.locator('.layout[data-account="acct_dst"]').waitFor();
}

const days = (report) => report.daily.map((d) => [d.date, d.charged_tokens, d.total_tokens]);

for (const [zone, { changes, offsetAtT }] of Object.entries(ZONES)) {
  test(`local days in ${zone} follow its changes of offset`, async () => {
    const { report: expected } = await reference(ledgerPath, ['report', '--at', AT, '--utc-offsets', changes]);
    // The days of one offset, the browser's at T, as the console cut them before: the zone's days
    // differ from them, so a console that sent one offset would fail below.
    const { report: oneOffset } = await reference(ledgerPath, ['report', '--at', AT, '--utc-offset', offsetAtT]);
    assert.notDeepEqual(days(expected), days(oneOffset), 'the ledger has usage the two cuts put on different days');

    const { page, context } = await openPage(browser, origin, { timezoneId: zone });
    await gotoConsole(page, origin);
    await loadLedger(page);
    await openUsage(page);
    await page.getByRole('tab', { name: 'Usage' }).click();
    await page.locator('[data-range=all]').click();
    const local = page.locator('[data-zone=local]');
    assert.equal((await local.textContent()).trim(), `Local (${zone})`);
    await local.click();
    assert.equal(await page.locator('ec-daily-chart').getAttribute('data-zone-label'), zone);
    await page.getByRole('button', { name: 'Show as table' }).first().click();
    const rows = page.locator('[data-testid=daily-table] tbody tr');
    await rows.first().waitFor();
    const shown = await rows.evaluateAll((trs) => trs.map((tr) => tr.querySelector('th').textContent.trim()));
    assert.deepEqual(shown, expected.daily.map((d) => d.date));
    const totals = page.locator('[data-testid=daily-totals]');
    assert.equal(Number(await totals.getAttribute('data-charged')), expected.usage.charged_tokens);
    if (zone === 'Europe/Berlin') {
      // 2026-07-10T22:30Z is 00:30 CEST on July 11, and 2026-10-24T22:30Z is 00:30 CEST on October 25.
      assert.ok(shown.includes('2026-07-11') && !shown.includes('2026-07-10'), shown.join(' '));
      assert.ok(shown.includes('2026-10-25') && !shown.includes('2026-10-24'), shown.join(' '));
      await page.getByRole('button', { name: 'Hide table' }).first().click();
      await page.locator('[data-testid=daily-totals]').scrollIntoViewIfNeeded();
      await screenshot(page, 'usage-daily-local-berlin');
    }
    await context.close();
  });
}
