// Printed after every build of the module (wasm/CMakeLists.txt POST_BUILD):
// the shipped sizes, raw and gzip -9, and a quick speed figure, so a change of
// optimization flags shows its cost in both right away.
//   node wasm/report-build.mjs [ledger.json]
import { readFileSync, existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const dist = new URL('./dist/', import.meta.url);
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
let rawTotal = 0;
let gzipTotal = 0;
for (const name of ['credits_core.wasm', 'credits_core.mjs']) {
  const bytes = readFileSync(new URL(name, dist));
  const gzipped = gzipSync(bytes, { level: 9 }).length;
  rawTotal += bytes.length;
  gzipTotal += gzipped;
  console.log(`credits module: ${name.padEnd(18)} ${kb(bytes.length).padStart(9)} raw ${kb(gzipped).padStart(9)} gzip -9`);
}
console.log(`credits module: ${'total'.padEnd(18)} ${kb(rawTotal).padStart(9)} raw ${kb(gzipTotal).padStart(9)} gzip -9`);

const ledgerPath = process.argv[2] ?? new URL('../web/public/demo/ledger.json', import.meta.url).pathname;
if (existsSync(ledgerPath)) {
  const { createCreditEngine } = await import('./credits.js');
  const engine = await createCreditEngine();
  const bytes = readFileSync(ledgerPath);
  const times = [];
  for (let i = 0; i < 15; i++) {
    const started = performance.now();
    const ledger = engine.load(bytes);
    ledger.reportJson({ at: ledger.lastEventAt });
    times.push(performance.now() - started);
    ledger.delete();
  }
  times.sort((a, b) => a - b);
  console.log(`credits module: load + report of ${(bytes.length / 1024).toFixed(0)} KB demo ledger, median of 15: ` +
    `${times[7].toFixed(2)} ms (Node ${process.versions.node})`);
}
