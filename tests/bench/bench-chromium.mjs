// The WASM module in Debian's Chromium (the browser the console runs in), driven by playwright-core:
// serves the repo's wasm/ and tests/bench/ plus the generated ledgers under the
// strict CSP, and times each document inside the page (bench-page.js).
// Prints one JSON object on stdout.
//   node tests/bench/bench-chromium.mjs --runs N[,N...] --at T --from T --to T [--quote] [--profile OUT.cpuprofile] FILE...
// --runs gives the runs of each FILE in turn (the last number repeats); JSON.parse
// runs min(runs, 3) times. Each document gets a fresh page (and WASM memory).
import { writeFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

import { startBenchServer } from './bench-server.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const [value] = args.splice(i, 2).slice(1);
  return value;
};
const quote = args.includes('--quote');
const api = args.includes('--api');  // the README's paths as well (wasm-bench.mjs)
const runsList = option('--runs', '3').split(',').map(Number);
const profile = option('--profile');
const at = option('--at');
const from = option('--from');
const to = option('--to');
const files = args.filter((a) => !a.startsWith('--')).map((f) => resolve(f));
const dataDir = files.length ? dirname(files[0]) : root;
if (files.some((f) => dirname(f) !== dataDir)) throw new Error('all ledgers must be in one folder');

const chromiumArgs = ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
  // JSON.parse of a 250 MB document needs more than V8's default old space.
  '--js-flags=--max-old-space-size=8192'];

const { server, origin } = await startBenchServer({
  '/wasm/': `${root}/wasm/`, '/tests/bench/': `${root}/tests/bench/`, '/data/': `${dataDir}/`,
});
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: chromiumArgs });
const result = { documents: {} };
try {
  const errors = [];
  const violations = [];
  const openPage = async () => {
    const p = await browser.newPage();
    p.on('pageerror', (e) => errors.push(String(e)));
    p.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    p.on('crash', () => errors.push('the page crashed'));
    p.setDefaultTimeout(600_000);
    await p.goto(`${origin}/tests/bench/bench-page.html`);
    await p.waitForFunction(() => window.__ready, null, { timeout: 60_000 });
    return p;
  };
  let page = await openPage();
  let cdp;
  if (profile) {
    cdp = await page.context().newCDPSession(page);
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
    await cdp.send('Profiler.start');
  }
  Object.assign(result, await page.evaluate(() => window.benchInfo()));
  result.chromium = browser.version();
  if (quote) Object.assign(result, await page.evaluate(() => window.benchQuote()));
  for (const [i, file] of files.entries()) {
    const url = `/data/${basename(file)}`;
    const runs = runsList[Math.min(i, runsList.length - 1)];
    if (i > 0 && !cdp) {
      violations.push(...(await page.evaluate(() => window.benchInfo())).violations);
      await page.close();
      page = await openPage();
    }
    result.documents[file] = await page.evaluate(([u, o]) => window.benchDocument(u, o),
      [url, { at, from, to, runs, parseRuns: Math.min(runs, 3), api }]);
  }
  if (cdp) {
    const { profile: p } = await cdp.send('Profiler.stop');
    writeFileSync(profile, JSON.stringify(p));
  }
  violations.push(...(await page.evaluate(() => window.benchInfo())).violations);
  Object.assign(result, { violations, errors });
} finally {
  await browser.close();
  server.close();
}
process.stdout.write(JSON.stringify(result) + '\n');
