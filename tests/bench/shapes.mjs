#!/usr/bin/env node
// The benchmark on ledgers of many shapes (tests/bench/make-shapes.mjs, a generator independent
// of make-ledger.mjs): per shape and size, native in-process load + report (wall and CPU time),
// the native CLI as a whole process, the WASM module in Node and in Chromium (load + report, the
// README's load(text) and report({at}) object, the popup's summary report + 40 entries, re-runs
// with another range), JSON.parse of the same text and the WASM memory; then the cost per event
// of each event kind. Medians of the runs after a warm-up. Writes a table per shape into
// docs/benchmarks.md between the "shapes" markers (or build/bench/shapes-quick.md with --quick).
//
//   node tests/bench/shapes.mjs [--quick] [--shapes a,b] [--sizes 10k,100k,1M] [--no-chromium] [--no-kinds] [--out FILE]
//     --quick     10k and 100k events (the full run adds 1M), fewer runs
//     --sizes     only these of the run's sizes; --no-kinds: without the per-kind ledgers
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { SHAPES, KIND_SHAPES, writeShape } from './make-shapes.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i < 0 ? fallback : args[i + 1];
};
const quick = args.includes('--quick');
const chromium = !args.includes('--no-chromium');
const shapeNames = option('--shapes', Object.keys(SHAPES).join(',')).split(',');
const outFile = resolve(root, option('--out', quick ? 'build/bench/shapes-quick.md' : 'docs/benchmarks.md'));
const dataDir = resolve(root, 'build/bench/shapes');
const cli = resolve(root, 'build/native/credits');
const nativeBench = resolve(root, 'build/native/credits_bench');
const ALL_SIZES = quick
  ? [{ label: '10k', n: 10_000, runs: 5 }, { label: '100k', n: 100_000, runs: 3 }]
  : [{ label: '10k', n: 10_000, runs: 7 }, { label: '100k', n: 100_000, runs: 5 }, { label: '1M', n: 1_000_000, runs: 2 }];
// --sizes 100k,1M: a subset of the run's sizes (e.g. only the large ones, into another --out file).
const sizeLabels = option('--sizes', ALL_SIZES.map((s) => s.label).join(',')).split(',');
const SIZES = ALL_SIZES.filter((s) => sizeLabels.includes(s.label));
if (SIZES.length !== sizeLabels.length) throw new Error(`--sizes: choose from ${ALL_SIZES.map((s) => s.label).join(', ')}`);
const KIND_SIZE = quick ? 20_000 : 100_000;
const kindsToo = !args.includes('--no-kinds');
const log = (...a) => console.error('[shapes]', ...a);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const sum = (a, b) => a.map((x, i) => x + b[i]);
function runJson(command, commandArgs) {
  const r = spawnSync(command, commandArgs, { cwd: root, encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`${command} ${commandArgs.join(' ')} failed (${r.status}):\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

// ---------------------------------------------------------------- documents (generated once, checked)
mkdirSync(dataDir, { recursive: true });
const generator = statSync(resolve(root, 'tests/bench/make-shapes.mjs')).mtimeMs;
async function documentFor(shape, n, label) {
  const path = resolve(dataDir, `${shape}-${label}.json`);
  const metaPath = `${path}.meta.json`;
  let meta = existsSync(metaPath) && existsSync(path) ? JSON.parse(readFileSync(metaPath, 'utf8')) : null;
  if (!meta || meta.generator !== generator || meta.bytes !== statSync(path).size) {
    log(`generating ${shape} ${label}`);
    meta = { generator, ...(await writeShape(shape, n, path)) };
    // Every generated document must be valid, or the figures would time a rejection.
    const check = spawnSync(cli, ['check', path], { encoding: 'utf8', maxBuffer: 64 << 20 });
    if (check.status !== 0) throw new Error(`${path} is not a valid ledger: ${check.stdout.slice(0, 2000)}`);
    writeFileSync(metaPath, JSON.stringify(meta));
  }
  return { shape, label, n, path, ...meta };
}

// The whole CLI process, `report` to /dev/null: wall time and user + system CPU. The CPU is the
// child's rusage from wait4 (µs resolution; GNU time's 10 ms made the 10k ratios meaningless).
const cliTimer = `import os, sys, time
t = time.perf_counter()
pid = os.posix_spawn(sys.argv[1], sys.argv[1:], os.environ, file_actions=[
    (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0)])
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - t
print(os.waitstatus_to_exitcode(status), wall * 1000, (usage.ru_utime + usage.ru_stime) * 1000)`;
function cliRuns(doc, runs) {
  const wall = [], cpu = [];
  for (let i = 0; i <= runs; i++) {
    const r = spawnSync('python3', ['-c', cliTimer, cli, 'report', '--at', doc.at, doc.path],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const [status, e, c] = r.stdout.trim().split(' ').map(Number);
    if (r.status !== 0 || status !== 0) throw new Error(`credits report failed on ${doc.path}: ${r.stderr}`);
    if (i > 0) { wall.push(e); cpu.push(c); }
  }
  return { wall, cpu };
}

// ---------------------------------------------------------------- measurements
const results = [];
for (const shape of shapeNames) {
  const docs = [];
  for (const size of SIZES) docs.push({ ...(await documentFor(shape, size.n, size.label)), runs: size.runs });
  for (const d of docs) {
    log(`${shape} ${d.label}: native`);
    d.native = runJson(nativeBench, ['--ledger', d.path, '--at', d.at, '--from', d.from, '--to', d.to, '--runs', String(d.runs)]);
    d.cli = cliRuns(d, Math.min(d.runs, 3));
    log(`${shape} ${d.label}: Node`);
    d.node = runJson(process.execPath, ['tests/bench/bench-node.mjs', '--api', '--runs', String(d.runs),
      '--parse-runs', String(Math.min(d.runs, 3)), '--at', d.at, '--from', d.from, '--to', d.to, d.path]).documents[d.path];
    if (chromium) {
      log(`${shape} ${d.label}: Chromium`);
      const c = runJson(process.execPath, ['tests/bench/bench-chromium.mjs', '--api', '--runs', String(d.runs),
        '--at', d.at, '--from', d.from, '--to', d.to, d.path]);
      if (c.violations?.length || c.errors?.length) throw new Error(`Chromium: ${JSON.stringify([c.violations, c.errors])}`);
      d.chromium = c.documents[d.path];
    }
    const fnv = [d.native.report_fnv, d.node.report_fnv, d.chromium?.report_fnv ?? d.node.report_fnv];
    d.identical = fnv.every((f) => f === fnv[0]) && d.native.rerun_fnv === d.node.rerun_fnv;
  }
  results.push({ shape, docs });
}

log('per-kind costs');
const kinds = [];
for (const kind of kindsToo ? KIND_SHAPES : []) {
  const d = await documentFor(`kind-${kind}`, KIND_SIZE, `${KIND_SIZE / 1000}k`);
  const r = runJson(nativeBench, ['--ledger', d.path, '--at', d.at, '--from', d.from, '--to', d.to, '--runs', '5']);
  const node = runJson(process.execPath, ['tests/bench/bench-node.mjs', '--runs', '5', '--parse-runs', '0',
    '--at', d.at, '--from', d.from, '--to', d.to, d.path]).documents[d.path];
  kinds.push({ kind, events: r.events, counts: d.counts,
    cpuUs: (median(sum(r.load_cpu_ms, r.report_cpu_ms)) * 1000) / r.events,
    loadCpuUs: (median(r.load_cpu_ms) * 1000) / r.events,
    nodeUs: (median(sum(node.load_ms, node.report_ms)) * 1000) / r.events });
}
// completion and cancellation ledgers hold one usage record per event of that kind: their own
// cost is what they cost beyond the usage-tokens ledger's per-record cost.
const usageUs = kinds.find((k) => k.kind === 'usage-tokens');
for (const k of kinds) {
  if (k.kind === 'completion' || k.kind === 'cancellation') {
    const own = k.counts.session_completed ?? k.counts.task_cancelled;
    const records = k.counts.usage;
    k.ownCpuUs = (k.cpuUs * k.events - usageUs.cpuUs * records) / own;
    k.ownNodeUs = (k.nodeUs * k.events - usageUs.nodeUs * records) / own;
  } else {
    k.ownCpuUs = k.cpuUs;
    k.ownNodeUs = k.nodeUs;
  }
}

// ---------------------------------------------------------------- tables
const f1 = (x) => (!Number.isFinite(x) ? '—' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const mb = (b) => `${(b / 1048576).toFixed(1)} MB`;
const ratio = (x) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : '—');
const m = (xs) => median(xs ?? []);
const lines = [];
const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
lines.push(`Shapes run of ${date} on ${cpus()[0]?.model ?? 'CPU'}, ${cpus().length} cores, ${(totalmem() / 1024 ** 3).toFixed(0)} GB RAM; ` +
  `machine load at the end ${load} (1, 5, 15 min)${quick ? '; quick run (10k and 100k only)' : ''}. ` +
  'The machine is shared: wall times carry other processes\' time, so compare the ratios (same run) and the CPU figures. ' +
  'Medians of the runs after one warm-up; ms unless marked.');
lines.push('');
for (const { shape, docs } of results) {
  lines.push(`#### ${shape}: ${SHAPES[shape].about}`, '');
  lines.push(`| figure | ${docs.map((d) => d.label).join(' | ')} |`, `| --- | ${docs.map(() => '---:').join(' | ')} |`);
  const row = (label, f) => lines.push(`| ${label} | ${docs.map((d) => f(d)).join(' | ')} |`);
  row('events, document size', (d) => `${d.events.toLocaleString('en')}, ${mb(d.bytes)}`);
  row('grants / provider_usage records / sessions', (d) => {
    const grants = (d.counts.subscription_billed ?? 0) + (d.counts.credits_granted ?? 0) + (d.counts.credits_purchased ?? 0);
    return `${(100 * grants / d.events).toFixed(1)} % / ${d.counts.provider ?? '—'} / ${(d.counts.session_completed ?? 0) + (d.counts.task_cancelled ?? 0)}+`;
  });
  row('report at', (d) => d.at);
  row('native in-process load + report, wall (CPU)', (d) => `${f1(m(sum(d.native.load_ms, d.native.report_ms)))} (${f1(m(sum(d.native.load_cpu_ms, d.native.report_cpu_ms)))})`);
  row('native load / report, CPU', (d) => `${f1(m(d.native.load_cpu_ms))} / ${f1(m(d.native.report_cpu_ms))}`);
  row('native CLI whole process, wall (CPU)', (d) => `${f1(m(d.cli.wall))} (${f1(m(d.cli.cpu))})`);
  row('**CLI ÷ in-process** (CPU; target ≤ 1.2)', (d) => ratio(m(d.cli.cpu) / m(sum(d.native.load_cpu_ms, d.native.report_cpu_ms))));
  row('WASM Node load(bytes) + reportJson', (d) => f1(m(sum(d.node.load_ms, d.node.report_ms))));
  row('WASM Node load(text) / load(bytes)', (d) => `${f1(m(d.node.text_load_ms))} / ${f1(m(d.node.load_ms))}`);
  row('WASM Node report({at}) as an object / popup: report({entries: false}) + 40 entries', (d) => `${f1(m(d.node.report_object_ms))} / ${f1(m(d.node.popup_ms))}`);
  if (chromium) {
    row('WASM Chromium load + report', (d) => f1(m(sum(d.chromium.load_ms, d.chromium.report_ms))));
    row('Chromium JSON.parse of the text', (d) => f1(m(d.chromium.parse_ms)));
    row('**Chromium ÷ native** wall (target ≤ 1.3)', (d) => ratio(m(sum(d.chromium.load_ms, d.chromium.report_ms)) / m(sum(d.native.load_ms, d.native.report_ms))));
    row('**Chromium ÷ JSON.parse** (target ≤ 1.5)', (d) => ratio(m(sum(d.chromium.load_ms, d.chromium.report_ms)) / m(d.chromium.parse_ms)));
    row('Chromium load(text) / popup (summary + 40 entries) / report({at}) object', (d) =>
      `${f1(m(d.chromium.text_load_ms))} / ${f1(m(d.chromium.popup_ms))} / ${f1(m(d.chromium.report_object_ms))}`);
    row('re-run, another range: Chromium reportJson / summary (target ≤ 10)', (d) => `${f1(m(d.chromium.rerun_ms))} / ${f1(m(d.chromium.popup_rerun_ms))}`);
    row('WASM memory after load (Chromium)', (d) => mb(d.chromium.memory_bytes_after_load));
  } else {
    row('Node JSON.parse of the text', (d) => f1(m(d.node.parse_ms)));
    row('re-run, another range: Node reportJson / summary', (d) => `${f1(m(d.node.rerun_ms))} / ${f1(m(d.node.popup_rerun_ms))}`);
    row('WASM memory after load (Node)', (d) => mb(d.node.memory_bytes_after_load));
  }
  // Growth: load time (the browser's when measured, else Node's) from the previous size, against n log n's.
  const loadOf = (d) => m(chromium ? d.chromium.load_ms : d.node.load_ms);
  row(`**${chromium ? 'Chromium' : 'Node'} load growth from the previous size** (target ≤ n log n's)`, (d) => {
    const i = docs.indexOf(d);
    if (i === 0) return '—';
    const p = docs[i - 1];
    const nlogn = (d.events * Math.log(d.events)) / (p.events * Math.log(p.events));
    const grew = loadOf(d) / loadOf(p);
    return `×${grew.toFixed(1)} (n log n ×${nlogn.toFixed(1)}: ${grew <= nlogn ? 'met' : 'not met'})`;
  });
  row('re-run, another range: native', (d) => f1(m(d.native.rerun_ms)));
  row('report bytes (identical native / Node / Chromium)', (d) => `${mb(d.native.report_bytes)} (${d.identical ? 'identical' : 'DIFFERENT'})`);
  lines.push('');
}
if (kindsToo) {
lines.push(`#### Cost per event of each kind (${KIND_SIZE.toLocaleString('en')}-event ledgers of one kind, load + report)`, '');
lines.push('| kind | native CPU, µs/event | WASM Node, µs/event | ÷ cheapest (native) |', '| --- | ---: | ---: | ---: |');
const cheapest = Math.min(...kinds.map((k) => k.ownCpuUs));
for (const k of kinds) {
  lines.push(`| ${k.kind}${k.kind === 'completion' || k.kind === 'cancellation' ? ' (beyond its usage record)' : ''} | ` +
    `${f1(k.ownCpuUs)} | ${f1(k.ownNodeUs)} | ${ratio(k.ownCpuUs / cheapest)} |`);
}
lines.push('');
}
const text = lines.join('\n');
process.stdout.write(`${text}\n`);

const begin = '<!-- shapes: generated by tests/bench/shapes.mjs -->';
const end = '<!-- /shapes -->';
const notesPath = resolve(root, 'tests/bench/shapes-notes.md');  // the prose: what dominated, what changed
const notes = existsSync(notesPath) ? `\n${readFileSync(notesPath, 'utf8')}` : '';
const section = `${begin}\n## Shapes\n\n${text}${notes}\n${end}`;
let doc = existsSync(outFile) ? readFileSync(outFile, 'utf8') : '';
if (doc.includes(begin) && doc.includes(end)) doc = doc.slice(0, doc.indexOf(begin)) + section + doc.slice(doc.indexOf(end) + end.length);
else doc = `${doc}${doc.endsWith('\n') || !doc ? '' : '\n'}\n${section}\n`;
writeFileSync(outFile, doc);
log(`wrote ${outFile}`);
if (results.some((r) => r.docs.some((d) => !d.identical))) process.exit(1);
