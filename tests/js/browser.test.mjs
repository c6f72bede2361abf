// Proof that the module works where the console runs: a page served with a strict CSP (no 'unsafe-eval')
// imports the module in Debian's Chromium, answers every parity vector with
// the native CLI's bytes, and runs the engine in a Web Worker.
import test from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

import { startStaticServer } from './static-server.mjs';
import { loadVectors, root } from './vectors.mjs';

export const chromiumArgs = ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

test('under a strict CSP, Chromium computes every vector byte for byte like the native CLI', async () => {
  const { server, origin } = await startStaticServer({ root, prefixes: ['/wasm/', '/tests/js/', '/tests/vectors/', '/web/public/demo/'] });
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: chromiumArgs });
  try {
    const page = await browser.newPage();
    const consoleErrors = [];
    const foreignRequests = [];
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
    page.on('response', (r) => { if (r.status() >= 400) consoleErrors.push(`${r.status()} ${r.url()}`); });
    page.on('request', (r) => { if (!r.url().startsWith(origin) && !r.url().startsWith('blob:')) foreignRequests.push(r.url()); });
    const response = await page.goto(`${origin}/tests/js/csp-page.html`);
    assert.match(response.headers()['content-security-policy'], /script-src 'self' 'wasm-unsafe-eval'/);
    assert.doesNotMatch(response.headers()['content-security-policy'], /'unsafe-eval'|'unsafe-inline'/);
    await page.waitForFunction(() => window.__done, null, { timeout: 60_000 });
    const done = await page.evaluate(() => window.__done);
    assert.equal(done.error, undefined, done.error);
    const { results, workerReport, workerReportText, workerAppend, workerError, violations } = done.value;
    assert.deepEqual(violations, []);
    assert.deepEqual(consoleErrors, []);
    assert.deepEqual(foreignRequests, []);
    const expected = new Map(loadVectors().map((v) => [v.name, v]));
    assert.ok(results.length >= 20);
    for (const r of results) {
      const v = expected.get(r.name);
      assert.equal(r.ok, v.ok, r.name);
      assert.equal(r.json, v.expected, `${r.name}: Chromium's bytes differ from the native CLI`);
    }
    assert.deepEqual(workerReport, JSON.parse(expected.get('demo-report-2026-12-01').expected));
    assert.equal(workerReportText, expected.get('demo-report-2026-12-01').expected, 'the worker\'s report text is the native CLI\'s bytes');
    assert.deepEqual(workerError, { isCreditError: true, code: 'wrong_type' });
    // The worker's checkpoint reports the demo's balance; an appended 100-credit purchase adds
    // 1,000,000 tokens and one event to what the page holds.
    assert.equal(workerAppend.checkpointBalance, workerReport.balance_tokens);
    assert.deepEqual(workerAppend.appended, { accepted: 1, duplicates_ignored: 0 });
    assert.equal(workerAppend.eventsAfter, workerAppend.eventsBefore + 1);
    assert.equal(workerAppend.balanceAfter, workerReport.balance_tokens + 1000000);
  } finally {
    await browser.close();
    server.close();
  }
});
