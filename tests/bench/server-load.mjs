#!/usr/bin/env node
// The server's load benchmark (docs/benchmarks.md, "The server"): credits-server on loopback
// over SQLite and PostgreSQL (a throwaway cluster), driven by this process (the clients share the
// machine's cores with the server and the database). Prints figures, asserts no timing:
//
// - ingest: N concurrent clients, each posting 1,000-event batches of a generated year of
//   activity (tests/bench/make-ledger.mjs) into its own account -> events/s;
// - report latency: a 100k-event account asked for its report at about 100 requests/s
//   (open loop, keep-alive connections) -> p50 / p99;
// - history: 1,000-event batches into that one-year-old account (its history stored, with a
//   checkpoint) against the same batches into a fresh account -> median cost per batch, ratio.
//
//   node tests/bench/server-load.mjs [--quick] [--out FILE]    (scripts/bench runs it)
// Needs build/native/credits-server (cmake --build --preset native --target credits-server).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, resolve } from 'node:path';

import { generateLedgerLines } from './make-ledger.mjs';
import { HOST, ROOT, SERVER_BIN, ServerProcess, databaseKinds, generateBatches, makeToken, sleep } from '../server/harness.mjs';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i < 0 ? fallback : args[i + 1];
};
const outFile = resolve(ROOT, option('--out', quick ? 'build/bench/server-quick.md' : 'docs/benchmarks.md'));
const CLIENTS = quick ? [1, 4] : [1, 2, 4];
const EVENTS_PER_CLIENT = quick ? 10_000 : 30_000;
const BATCH = 1000;
const BIG_ACCOUNT = quick ? 30_000 : 100_000;
const REPORT_RATE = 100;                       // requests per second
const REPORT_SECONDS = quick ? 3 : 10;
const HISTORY_BATCHES = quick ? 7 : 15;
const REPORT_AT = '2026-01-01T00:00:00Z';      // make-ledger's year is 2025
const log = (m) => process.stderr.write(`server-load: ${m}\n`);

if (!existsSync(SERVER_BIN)) {
  log(`${SERVER_BIN} is missing: cmake --build --preset native --target credits-server`);
  process.exit(2);
}

/** POST or GET on a keep-alive agent; resolves {status, text, ms}. */
function call(agent, port, token, method, path, body) {
  return new Promise((resolveCall, reject) => {
    const t0 = performance.now();
    const headers = { Authorization: `Bearer ${token}` };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = Buffer.byteLength(body);
    }
    const req = http.request({ host: HOST, port, path, method, agent, headers, timeout: 60_000 }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolveCall({ status: res.statusCode, text: Buffer.concat(chunks).toString(), ms: performance.now() - t0 }));
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer in 60 s`)));
    req.on('error', reject);
    req.end(body);
  });
}

async function ingestOk(agent, port, token, body) {
  const r = await call(agent, port, token, 'POST', '/v1/ledger', body);
  if (r.status !== 200) throw new Error(`ingest answered ${r.status}: ${r.text.slice(0, 500)}`);
  return r;
}

/** A generated year of activity as 1,000-event batch bodies for `accountId`. */
function yearBatches(doc, accountId, size) {
  const out = [];
  for (let i = 0; i < doc.events.length; i += size) {
    const body = { format: doc.format, account: { ...doc.account, id: accountId }, events: doc.events.slice(i, i + size) };
    if (i === 0) body.projects = doc.projects;
    out.push(JSON.stringify(body));
  }
  return out;
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
const median = (xs) => percentile([...xs].sort((a, b) => a - b), 50);

async function measure(kind) {
  const backend = await kind.open();
  const result = { name: kind.name, ingest: {} };
  try {
    // --- ingest throughput
    const year = JSON.parse(generateLedgerLines(EVENTS_PER_CLIENT).lines.join('\n'));
    for (const n of CLIENTS) {
      const database = backend.newDatabase();
      const token = makeToken(database);
      const server = await new ServerProcess(database).start();
      try {
        const perClient = Array.from({ length: n }, (_, i) => yearBatches(year, `acct_load_${n}_${i}`, BATCH));
        const t0 = performance.now();
        await Promise.all(perClient.map(async (bodies) => {
          const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
          for (const body of bodies) await ingestOk(agent, server.port, token, body);
          agent.destroy();
        }));
        const seconds = (performance.now() - t0) / 1000;
        result.ingest[n] = (n * year.events.length) / seconds;
        log(`${kind.name}: ${n} client(s), ${n * year.events.length} events in ${seconds.toFixed(2)} s`);
      } finally {
        await server.stop();
      }
    }

    // --- a 100k-event account: report latency at ~100 requests/s, then ingest cost by history
    const database = backend.newDatabase();
    const token = makeToken(database);
    const server = await new ServerProcess(database).start();
    try {
      const big = JSON.parse(generateLedgerLines(BIG_ACCOUNT).lines.join('\n'));
      const loader = new http.Agent({ keepAlive: true, maxSockets: 1 });
      for (const body of yearBatches(big, 'acct_year', 10_000)) await ingestOk(loader, server.port, token, body);
      result.bigEvents = big.events.length;
      const consoleLedger = JSON.parse((await call(loader, server.port, token, 'GET', '/v1/accounts/acct_year/console-ledger')).text);
      result.checkpointAt = consoleLedger.checkpoint?.at ?? 'none';
      result.consoleEvents = consoleLedger.events.length;
      const reportPath = `/v1/accounts/acct_year/report?at=${REPORT_AT}`;
      const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
      for (let i = 0; i < 20; i++) await call(agent, server.port, token, 'GET', reportPath);  // warm-up
      const total = REPORT_RATE * REPORT_SECONDS;
      const latencies = [];
      let bytes = 0;
      const t0 = performance.now();
      const pending = [];
      for (let i = 0; i < total; i++) {
        const due = t0 + (i * 1000) / REPORT_RATE;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        pending.push(call(agent, server.port, token, 'GET', reportPath).then((r) => {
          if (r.status !== 200) throw new Error(`report answered ${r.status}`);
          latencies.push(r.ms);
          bytes = r.text.length;
        }));
      }
      await Promise.all(pending);
      const achieved = total / ((performance.now() - t0) / 1000);
      agent.destroy();
      latencies.sort((a, b) => a - b);
      result.report = { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies[latencies.length - 1], rate: achieved, bytes };
      log(`${kind.name}: ${total} reports at ${achieved.toFixed(0)}/s: p50 ${result.report.p50.toFixed(2)} ms, p99 ${result.report.p99.toFixed(2)} ms`);

      // The same new batches into the one-year account and into a fresh one, alternately.
      const projects = big.projects.map((p) => p.id);
      const fresh = { format: 'easycoda.ledger/1', account: { id: 'acct_fresh', utc_offset: big.account.utc_offset }, projects: big.projects,
        events: [{ id: 'opened', type: 'account_opened', at: '2025-12-31T00:00:00Z' }] };
      await ingestOk(loader, server.port, token, JSON.stringify(fresh));
      const batches = generateBatches({ seed: 4242, batches: HISTORY_BATCHES, eventsPerBatch: BATCH, projects,
        startMs: Date.parse('2026-01-01T00:00:00Z'), endMs: Date.parse('2026-01-20T00:00:00Z'), idPrefix: 'n' });
      const yearMs = [];
      const freshMs = [];
      for (const batch of batches) {
        const body = (id) => JSON.stringify({ format: 'easycoda.ledger/1', account: { id, utc_offset: big.account.utc_offset }, events: batch.events });
        yearMs.push((await ingestOk(loader, server.port, token, body('acct_year'))).ms);
        freshMs.push((await ingestOk(loader, server.port, token, body('acct_fresh'))).ms);
      }
      loader.destroy();
      result.history = { year: median(yearMs), fresh: median(freshMs), yearFirst: yearMs[0], yearMax: Math.max(...yearMs) };
      result.history.ratio = result.history.year / result.history.fresh;
      log(`${kind.name}: 1,000 events into the one-year account ${result.history.year.toFixed(1)} ms, into a fresh one ${result.history.fresh.toFixed(1)} ms`);
    } finally {
      await server.stop();
    }
  } finally {
    backend.close();
  }
  return result;
}

const results = [];
for (const kind of databaseKinds()) results.push(await measure(kind));

const f1 = (x) => x.toFixed(1);
const f2 = (x) => x.toFixed(2);
const int = (x) => Math.round(x).toLocaleString('en-US');
const cols = results.map((r) => (r.name === 'sqlite' ? 'SQLite' : 'PostgreSQL'));
const row = (label, cells, target = '') => `| ${label} | ${cells.join(' | ')} | ${target} |`;
const sqlite = results.find((r) => r.name === 'sqlite');
const met = (ok) => (ok ? 'met' : '**not met**');
const rows = [
  `| figure | ${cols.join(' | ')} | target |`,
  `| --- | ${cols.map(() => '---:').join(' | ')} | --- |`,
  ...CLIENTS.map((n) => row(`ingest, ${n} client${n > 1 ? 's' : ''} × 1,000-event batches, events/s`, results.map((r) => int(r.ingest[n])),
    n === CLIENTS[CLIENTS.length - 1] ? `≥ 20,000 on SQLite: ${met(Math.max(...CLIENTS.map((c) => sqlite.ingest[c])) >= 20_000)}` : '')),
  row(`report of a ${int(results[0].bigEvents)}-event account at ${REPORT_RATE} requests/s: p50, ms`, results.map((r) => f2(r.report.p50))),
  row('… p99, ms', results.map((r) => f2(r.report.p99)), `≤ 20 ms: ${met(results.every((r) => r.report.p99 <= 20))}`),
  row('… slowest, ms (achieved rate, requests/s)', results.map((r) => `${f1(r.report.max)} (${f1(r.report.rate)})`)),
  row('1,000 events into the one-year account (history stored, checkpointed): median ms', results.map((r) => f1(r.history.year))),
  row('… the first such batch (moves the checkpoint), ms', results.map((r) => f1(r.history.yearFirst))),
  row('1,000 events into a fresh account: median ms', results.map((r) => f1(r.history.fresh))),
  row('ratio one-year / fresh', results.map((r) => `${f2(r.history.ratio)}×`), `≤ 2×: ${met(results.every((r) => r.history.ratio <= 2))}`),
];
const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
const load = loadavg().map((x) => x.toFixed(2)).join(' ');
const section = [
  '<!-- server: generated by tests/bench/server-load.mjs -->',
  `Server run of ${date} on ${cpus()[0]?.model ?? 'CPU'}, ${cpus().length} cores, ${(totalmem() / 1024 ** 3).toFixed(0)} GB RAM; ` +
    `machine load at the end ${load} (1, 5, 15 min)${quick ? '; quick run' : ''}. credits-server on 127.0.0.1, the clients in one Node process ` +
    `on the same cores; SQLite in a temp folder (WAL, synchronous=FULL), PostgreSQL a throwaway cluster with its defaults. ` +
    `Ingest: ${int(EVENTS_PER_CLIENT)} events of tests/bench/make-ledger.mjs per client, each client its own account, one connection each. ` +
    `Reports: ${REPORT_RATE * REPORT_SECONDS} requests over ${REPORT_SECONDS} s (open loop, up to 32 keep-alive connections) at ${REPORT_AT}. ` +
    `History: ${HISTORY_BATCHES} batches of new sessions, each posted to both accounts in turn; the one-year account's checkpoint ` +
    `before them: ${results.map((r) => `${r.name} ${r.checkpointAt} (${int(r.consoleEvents)} events after it)`).join(', ')}.`,
  '',
  ...rows,
  '<!-- /server -->',
].join('\n');
process.stdout.write(rows.join('\n') + '\n');
const text = existsSync(outFile) ? readFileSync(outFile, 'utf8') : '';
const begin = text.indexOf('<!-- server: generated');
const end = text.indexOf('<!-- /server -->');
const updated = begin >= 0 && end > begin
  ? text.slice(0, begin) + section + text.slice(end + '<!-- /server -->'.length)
  : `${text.trimEnd()}\n\n## The server\n\n${section}\n`;
mkdirSync(dirname(outFile), { recursive: true });
writeFileSync(outFile, updated);
log(`written to ${outFile}`);
