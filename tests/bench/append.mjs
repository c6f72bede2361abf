#!/usr/bin/env node
// The append benchmark (docs/benchmarks.md, "append"): a loaded 100k-event
// ledger (tests/bench/make-ledger.mjs) takes fragments of 100 events -- its
// newest events, as a console receives them from the changes feed -- natively
// (build/native/credits_bench --append) and in Debian's Chromium under the
// console's CSP (bench-page.js). The first append builds append's indexes
// (one pass over the loaded ledger); the next ones are the steady state.
// Median of several runs; the target is <= 2 ms a fragment in Chromium.
//
//   node tests/bench/append.mjs [--runs N] [--out FILE]   (scripts/bench runs it)
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

import { startBenchServer } from './bench-server.mjs';
import { REPORT_AT, writeLedger } from './make-ledger.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i < 0 ? fallback : args[i + 1];
};
const runs = Number(option('--runs', '7'));
const outFile = resolve(root, option('--out', 'docs/benchmarks.md'));
const EVENTS = 100_000;
const PER_FRAGMENT = 100;
const FRAGMENTS = 10;
const TARGET_MS = 2;
const log = (...a) => console.error('[append]', ...a);

// ---------------------------------------------------------------- files
const dataDir = resolve(root, 'build/bench/append');
mkdirSync(dataDir, { recursive: true });
const ledgerPath = resolve(root, 'build/bench/ledger-100k.json');
if (!existsSync(ledgerPath)) {
  log(`generating ${EVENTS} events -> ${ledgerPath}`);
  await writeLedger(EVENTS, ledgerPath);
}
const doc = JSON.parse(readFileSync(ledgerPath, 'utf8'));
// The newest events, in time order, are the fragments; the rest is loaded.
const order = doc.events.map((e, i) => ({ i, at: Date.parse(e.at) })).sort((a, b) => a.at - b.at || a.i - b.i);
const appended = new Set(order.slice(order.length - PER_FRAGMENT * FRAGMENTS).map((x) => x.i));
const prefix = { ...doc, events: doc.events.filter((_, i) => !appended.has(i)) };
const prefixPath = resolve(dataDir, 'prefix.json');
writeFileSync(prefixPath, JSON.stringify(prefix));
const fragmentPaths = [];
const newest = order.slice(order.length - PER_FRAGMENT * FRAGMENTS);
for (let f = 0; f < FRAGMENTS; f++) {
  const events = newest.slice(f * PER_FRAGMENT, (f + 1) * PER_FRAGMENT).map((x) => doc.events[x.i]);
  const path = resolve(dataDir, `fragment-${f}.json`);
  writeFileSync(path, JSON.stringify({ format: doc.format, account: { id: doc.account.id }, events }));
  fragmentPaths.push(path);
}
log(`prefix ${prefix.events.length} events (${statSync(prefixPath).size} bytes), ${FRAGMENTS} fragments of ${PER_FRAGMENT}`);

// ---------------------------------------------------------------- native
const nativeArgs = ['--append', prefixPath, ...fragmentPaths.flatMap((p) => ['--fragment', p]), '--at', REPORT_AT,
  '--runs', String(runs)];
const native = spawnSync(resolve(root, 'build/native/credits_bench'), nativeArgs, { encoding: 'utf8' });
if (native.status !== 0) throw new Error(`credits_bench --append failed: ${native.stderr}`);
const nativeResult = JSON.parse(native.stdout);

// ---------------------------------------------------------------- Chromium
const { server, origin } = await startBenchServer({
  '/wasm/': `${root}/wasm/`, '/tests/bench/': `${root}/tests/bench/`, '/data/': `${dataDir}/`,
});
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'] });
let browserResult;
let chromiumVersion;
try {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.setDefaultTimeout(600_000);
  await page.goto(`${origin}/tests/bench/bench-page.html`);
  await page.waitForFunction(() => window.__ready, null, { timeout: 60_000 });
  browserResult = await page.evaluate(([p, fs, o]) => window.benchAppend(p, fs, o),
    ['/data/prefix.json', fragmentPaths.map((_, f) => `/data/fragment-${f}.json`), { at: REPORT_AT, runs }]);
  chromiumVersion = browser.version();
  if (errors.length) throw new Error(errors.join('\n'));
} finally {
  await browser.close();
  server.close();
}

// ---------------------------------------------------------------- table
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
if (nativeResult.report_fnv !== browserResult.report_fnv) {
  throw new Error(`the report after the appends differs: native ${nativeResult.report_fnv}, Chromium ${browserResult.report_fnv}`);
}
const f = (x) => x.toFixed(3);
const chromiumSteady = median(browserResult.append_ms);
const rows = [
  '| append (100 events to a loaded 100k-event ledger) | native | Chromium | target |',
  '| --- | ---: | ---: | --- |',
  `| first append (builds the indexes), ms | ${f(nativeResult.first_append_ms_median)} | ${f(median(browserResult.first_append_ms))} | one pass over the loaded ledger, once |`,
  `| each next append, ms | ${f(nativeResult.append_ms_median)} | ${f(chromiumSteady)} | <= ${TARGET_MS} ms in Chromium: ${chromiumSteady <= TARGET_MS ? 'met' : 'NOT met'} |`,
  `| report after the appends (burn-down re-run), ms | ${f(nativeResult.report_after_ms_median)} | ${f(median(browserResult.report_after_ms))} | |`,
];
const section = [
  '<!-- append: generated by tests/bench/append.mjs -->',
  `Medians of ${runs} runs (each loads the ${prefix.events.length}-event prefix of build/bench/ledger-100k.json afresh, untimed, ` +
    `then appends its ${FRAGMENTS} newest groups of ${PER_FRAGMENT} events in time order); Chromium ${chromiumVersion}; ` +
    `the report after them is byte-identical in both (fnv ${nativeResult.report_fnv}), ${nativeResult.events} events.`,
  '',
  ...rows,
  '<!-- /append -->',
].join('\n');
process.stdout.write(rows.join('\n') + '\n');
const text = existsSync(outFile) ? readFileSync(outFile, 'utf8') : '';
const begin = text.indexOf('<!-- append: generated');
const end = text.indexOf('<!-- /append -->');
const updated = begin >= 0 && end > begin
  ? text.slice(0, begin) + section + text.slice(end + '<!-- /append -->'.length)
  : `${text.trimEnd()}\n\n## append: new events on a loaded ledger\n\n${section}\n`;
writeFileSync(outFile, updated);
log(`written to ${outFile}`);
