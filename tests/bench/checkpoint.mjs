#!/usr/bin/env node
// What a checkpoint saves the console (docs/checkpoint-format.md): a checkpointed document holds the
// state before S and only the events from S on, so it should be small and quick to load whatever the
// account's age. Measures, with the native CLI's `checkpoint` and the WASM module in Chromium
// (bench-chromium.mjs: load + report at the report instant, medians after a warm-up):
//   - the 1M-event benchmark ledger (make-ledger.mjs) checkpointed 31 days before its report instant:
//     bytes and Chromium load + report time against the full document (targets: <= 15 % each);
//   - a five-year ledger of the same monthly activity (five copies of the 100k-event year, shifted
//     by whole years, with their own ids and tasks) against the one-year one, both checkpointed 31
//     days before the end: bytes and time ratios (target: <= 1.5x each).
// Prints a table and writes it into docs/benchmarks.md between the "checkpoint" markers (or
// build/bench/checkpoint-quick.md with --quick, where the "1M" ledger is the 100k one and the
// years are of 10k events).
//
//   node tests/bench/checkpoint.mjs [--quick]
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { RANGE, REPORT_AT, generateLedgerLines, writeLedger } from './make-ledger.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const outFile = resolve(root, quick ? 'build/bench/checkpoint-quick.md' : 'docs/benchmarks.md');
const dataDir = resolve(root, 'build/bench');  // shared with run.mjs: the 1M ledger is generated once
const cli = resolve(root, 'build/native/credits');
const log = (...a) => console.error('[checkpoint]', ...a);

const DAY = 86_400_000;
const CHECKPOINT_AT = new Date(Date.parse(REPORT_AT) - 31 * DAY).toISOString().replace('.000Z', 'Z');
const BIG = quick ? { label: '100k', n: 100_000, runs: 3 } : { label: '1M', n: 1_000_000, runs: 2 };
const YEAR_EVENTS = quick ? 10_000 : 100_000;
const YEARS = 5;
const YEAR_RUNS = quick ? 3 : 5;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function run(command, commandArgs, options = {}) {
  const r = spawnSync(command, commandArgs, { cwd: root, maxBuffer: 1 << 30, ...options });
  if (r.status !== 0) throw new Error(`${command} ${commandArgs.join(' ')} failed (${r.status}):\n${String(r.stderr).slice(0, 2000)}`);
  return r;
}

// The benchmark ledger of run.mjs (same file, same meta), generated when missing or stale.
async function benchmarkLedger({ label, n }) {
  mkdirSync(dataDir, { recursive: true });
  const path = resolve(dataDir, `ledger-${label}.json`);
  const meta = `${path}.meta.json`;
  const generator = statSync(resolve(root, 'tests/bench/make-ledger.mjs')).mtimeMs;
  const info = existsSync(meta) && existsSync(path) ? JSON.parse(readFileSync(meta, 'utf8')) : null;
  if (!info || info.n !== n || info.generator !== generator || info.bytes !== statSync(path).size) {
    log(`generating ${label} events -> ${path}`);
    writeFileSync(meta, JSON.stringify({ n, generator, ...(await writeLedger(n, path)) }));
  }
  return path;
}

// `years` copies of one generated year, the k-th shifted back by (years - 1 - k) x 365 days, each
// with its own event ids and task ids (a session is completed once); one account_opened, in the
// first year. The account's activity per month is the same every year.
async function multiYearLedger(years, path) {
  const { lines } = generateLedgerLines(YEAR_EVENTS);
  const head = lines[0];
  const body = lines.slice(1, -1).map((l) => (l.endsWith(',') ? l.slice(0, -1) : l));
  const instant = /"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d))"/g;
  const out = createWriteStream(path);
  const write = (text) => (out.write(text) ? null : new Promise((r) => out.once('drain', r)));
  await write(`${head}\n`);
  let first = true;
  let events = 0;
  for (let k = 0; k < years; k++) {
    const shift = (years - 1 - k) * 365 * DAY;
    let chunk = '';
    for (const line of body) {
      if (k > 0 && line.includes('"type":"account_opened"')) continue;
      const event = line
        .replace(/^\{"id":"e/, `{"id":"y${k}e`)
        .replace(/"task_id":"/g, `"task_id":"y${k}`)
        .replace(instant, (_, t) => `"${new Date(Date.parse(t) - shift).toISOString()}"`);
      chunk += `${first ? '' : ',\n'}${event}`;
      first = false;
      events += 1;
      if (chunk.length > 1 << 20) {
        await write(chunk);
        chunk = '';
      }
    }
    await write(chunk);
  }
  out.end('\n]}\n');
  await new Promise((r, j) => { out.on('finish', r); out.on('error', j); });
  return { path, events };
}

// The checkpointed document written next to its ledger; checked to answer like it at the report instant.
function checkpointOf(path) {
  const out = path.replace(/\.json$/, '.checkpoint.json');
  const r = run(cli, ['checkpoint', '--at', CHECKPOINT_AT, path]);
  writeFileSync(out, r.stdout.subarray(0, r.stdout.length - 1));  // without the CLI's newline
  const forecast = (p) => run(cli, ['forecast', '--at', REPORT_AT, p]).stdout.toString();
  if (forecast(out) !== forecast(path)) throw new Error(`${out} does not answer like ${path}`);
  return out;
}

function chromium(files, runs) {
  const r = run(process.execPath, ['tests/bench/bench-chromium.mjs', '--runs', runs.join(','), '--at', REPORT_AT,
    '--from', RANGE.from, '--to', RANGE.to, ...files], { encoding: 'utf8' });
  const result = JSON.parse(r.stdout.trim().split('\n').pop());
  if (result.violations?.length || result.errors?.length) throw new Error(`Chromium: ${JSON.stringify([result.violations, result.errors])}`);
  return files.map((f) => {
    const d = result.documents[f];
    return { bytes: statSync(f).size, events: d.events, ms: median(d.load_ms.map((x, i) => x + d.report_ms[i])) };
  });
}

log(`checkpoints at ${CHECKPOINT_AT}, reports at ${REPORT_AT}`);
const big = await benchmarkLedger(BIG);
const bigCheckpoint = checkpointOf(big);
const oneYear = await multiYearLedger(1, resolve(dataDir, `years-1-${YEAR_EVENTS}.json`));
const fiveYears = await multiYearLedger(YEARS, resolve(dataDir, `years-${YEARS}-${YEAR_EVENTS}.json`));
const oneYearCheckpoint = checkpointOf(oneYear.path);
const fiveYearsCheckpoint = checkpointOf(fiveYears.path);
log('Chromium');
const [full, small] = chromium([big, bigCheckpoint], [BIG.runs, YEAR_RUNS]);
const [y1, y5] = chromium([oneYearCheckpoint, fiveYearsCheckpoint], [YEAR_RUNS]);

const mb = (b) => `${(b / 1048576).toFixed(1)} MB`;
const pct = (x) => `${(100 * x).toFixed(1)} %`;
const ms = (x) => `${x >= 100 ? x.toFixed(0) : x.toFixed(1)} ms`;
const verdict = (ok) => (ok ? 'met' : '**not met**');
const bytesShare = small.bytes / full.bytes;
const timeShare = small.ms / full.ms;
const bytesRatio = y5.bytes / y1.bytes;
const timeRatio = y5.ms / y1.ms;
const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const lines = [
  `Checkpoint run of ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')} on ${cpus()[0]?.model ?? 'CPU'}, ${cpus().length} cores, ` +
    `${(totalmem() / 1024 ** 3).toFixed(0)} GB RAM; machine load at the end ${load} (1, 5, 15 min)${quick ? '; quick run' : ''}. ` +
    `Checkpoints at ${CHECKPOINT_AT} (31 days before the report instant ${REPORT_AT}); Chromium load + report medians after a warm-up.`,
  '',
  '| figure | full | checkpointed | share | target |',
  '| --- | ---: | ---: | ---: | --- |',
  `| ${BIG.label}-event benchmark ledger: document bytes | ${mb(full.bytes)} | ${mb(small.bytes)} | ${pct(bytesShare)} | ≤ 15 %: ${verdict(bytesShare <= 0.15)} |`,
  `| ${BIG.label}-event benchmark ledger: Chromium load + report | ${ms(full.ms)} | ${ms(small.ms)} | ${pct(timeShare)} | ≤ 15 %: ${verdict(timeShare <= 0.15)} |`,
  `| events in the document | ${full.events.toLocaleString('en')} | ${small.events.toLocaleString('en')} (after S) | | |`,
  '',
  `| figure | one year | ${YEARS} years | ratio | target |`,
  '| --- | ---: | ---: | ---: | --- |',
  `| the same year of activity: events, full document | ${oneYear.events.toLocaleString('en')}, ${mb(statSync(oneYear.path).size)} | ` +
    `${fiveYears.events.toLocaleString('en')}, ${mb(statSync(fiveYears.path).size)} | | |`,
  `| checkpointed document bytes | ${mb(y1.bytes)} | ${mb(y5.bytes)} | ${bytesRatio.toFixed(2)}× | ≤ 1.5×: ${verdict(bytesRatio <= 1.5)} |`,
  `| checkpointed document: Chromium load + report | ${ms(y1.ms)} | ${ms(y5.ms)} | ${timeRatio.toFixed(2)}× | ≤ 1.5×: ${verdict(timeRatio <= 1.5)} |`,
  '',
];
const text = lines.join('\n');
process.stdout.write(`${text}\n`);

const begin = '<!-- checkpoint: generated by tests/bench/checkpoint.mjs -->';
const end = '<!-- /checkpoint -->';
const notesPath = resolve(root, 'tests/bench/checkpoint-notes.md');  // the prose: where the bytes are
const notes = existsSync(notesPath) ? `\n${readFileSync(notesPath, 'utf8')}` : '';
const section = `${begin}\n## Checkpoints\n\n${text}${notes}\n${end}`;
let doc = existsSync(outFile) ? readFileSync(outFile, 'utf8') : '';
if (doc.includes(begin) && doc.includes(end)) doc = doc.slice(0, doc.indexOf(begin)) + section + doc.slice(doc.indexOf(end) + end.length);
else doc = `${doc}${doc.endsWith('\n') || !doc ? '' : '\n'}\n${section}\n`;
writeFileSync(outFile, doc);
