#!/usr/bin/env node
// Differential check of the ledger reader's fast path (it must give the strict reader's bytes), with the native CLI:
// every mutated document D is also read as D', the same JSON value with its root
// "format" member name written with an escape ("f\u006frmat"), which the fast path
// never takes (root member names must be plain), so D' is read by the strict path
// alone. The answers of `credits check` and `credits report` must be the same
// bytes (byte offsets inside invalid_json messages aside, as D' is 5 bytes longer).
//
//   node tests/bench/fast-path-diff.mjs [COUNT] [SEED]     (CREDITS_CLI=path/to/credits to pick the CLI)
// Seeds: the parity vectors' ledgers, the demo ledger, the fuzz corpus, a slice
// of a generated benchmark ledger and a small document of every shape of
// make-shapes.mjs (and every one-kind ledger). Before the mutations, every shape
// is compared whole at SHAPE_EVENTS events (default 10,000): check, the report at
// its instant and the report of its re-run range. Exit status 1 on the first
// difference (kept in build/bench/diff-*.json).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { generateLedgerLines } from './make-ledger.mjs';
import { KIND_SHAPES, SHAPES, generateShape } from './make-shapes.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
// CREDITS_CLI=build/native-debug/credits runs it under ASan/UBSan.
const cli = resolve(root, process.env.CREDITS_CLI ?? 'build/native/credits');
const out = resolve(root, 'build/bench');
mkdirSync(out, { recursive: true });
const count = Number(process.argv[2] ?? 1500);
let seed = Number(process.argv[3] ?? 6) >>> 0;
const rnd = () => {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const int = (n) => Math.floor(rnd() * n);
const pick = (a) => a[int(a.length)];

// ---------------------------------------------------------------- seeds
const seeds = [];
const addSeed = (text) => { if (text.includes('"events"')) seeds.push(text); };
const walk = (dir) => {
  if (!existsSync(dir)) return;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (e.size === undefined || true) {
      try {
        const t = readFileSync(p, 'utf8');
        if (t.length < 400_000) addSeed(t);
      } catch { /* binary */ }
    }
  }
};
walk(resolve(root, 'tests/vectors'));
walk(resolve(root, 'tests/fuzz/corpus/ledger'));
addSeed(readFileSync(resolve(root, 'web/public/demo/ledger.json'), 'utf8'));
const { lines } = generateLedgerLines(400);
addSeed(lines.join('\n'));
const shapeNames = [...Object.keys(SHAPES), ...KIND_SHAPES.map((k) => `kind-${k}`)];
const shapeText = (shape, n) => {
  const g = generateShape(shape, n);
  return { text: `${g.head}\n${g.lines.join(',\n')}\n]}\n`, at: g.at, from: g.from, to: g.to };
};
for (const shape of shapeNames) addSeed(shapeText(shape, 400).text);
const validSeeds = seeds.filter((t) => { try { JSON.parse(t); return true; } catch { return false; } });

// ---------------------------------------------------------------- mutations
const TYPES = ['usage', 'session_completed', 'task_cancelled', 'account_opened', 'credits_purchased', 'credits_granted',
  'subscription_billed', 'credits_transferred', 'bogus'];
const VALUES = [null, 0, 1, -1, 12.5, 2 ** 53, 2 ** 53 - 1, '', 'x', 'agent_chat', 'summarization', 'build', true, [], {}, [1],
  { cached_tokens: 5 }, '2026-09-12T09:30:00Z', '2026-09-12t09:30:00+08:00', '2026-02-30T00:00:00Z', 'é', 'a"b', 'p1'];
const RAW = ['1.0', '1e3', '-0', '01', '9007199254740993', '18446744073709551616', '"\\u0070\\u0031"', '"\\ud800"', '"a\\tb"',
  '"caf\u00e9"', 'nul', '[', '{"a":1,"a":2}'];
const KEYS = ['id', 'type', 'at', 'account_id', 'project_id', 'task_id', 'session_id', 'service', 'model', 'tokens',
  'provider_usage', 'reason', 'credits', 'plan', 'outcome', 'expires_at', 'period_end', 'unknown', 'output',
  'input_cache_miss', 'input_cache_hit', 'format', 'usage', 'prompt_tokens', 'cached_tokens', 'prompt_tokens_details'];

function mutateValue(doc, raws) {
  const events = Array.isArray(doc.events) ? doc.events : null;
  if (!events || events.length === 0) return;
  const i = int(events.length);
  const e = events[i];
  const placeholder = (r) => { raws.push(r); return `@@RAW${raws.length - 1}@@`; };
  const target = () => {
    // an object inside the event: itself, tokens, provider_usage, usage, or a nested details object
    const objs = [e];
    for (const v of Object.values(e ?? {})) if (v && typeof v === 'object' && !Array.isArray(v)) {
      objs.push(v);
      for (const w of Object.values(v)) if (w && typeof w === 'object' && !Array.isArray(w)) {
        objs.push(w);
        for (const x of Object.values(w)) if (x && typeof x === 'object' && !Array.isArray(x)) objs.push(x);
      }
    }
    return pick(objs);
  };
  switch (int(12)) {
    case 0: events.splice(int(events.length + 1), 0, structuredClone(e)); break;  // exact duplicate
    case 1: { const c = structuredClone(e); if (c && typeof c === 'object') c[pick(KEYS)] = pick(VALUES); events.push(c); break; }
    case 2: { const o = target(); if (o && typeof o === 'object') delete o[pick(Object.keys(o))]; break; }
    case 3: { const o = target(); if (o && typeof o === 'object') o[pick(Object.keys(o).concat(KEYS))] = pick(VALUES); break; }
    case 4: { const o = target(); if (o && typeof o === 'object') o[pick(Object.keys(o).concat(KEYS))] = placeholder(pick(RAW)); break; }
    case 5: if (e && typeof e === 'object') e.type = pick(TYPES); break;
    case 6: { // shuffle members
      const o = target();
      if (o && typeof o === 'object') {
        const entries = Object.entries(o).sort(() => rnd() - 0.5);
        for (const k of Object.keys(o)) delete o[k];
        for (const [k, v] of entries) o[k] = v;
      }
      break;
    }
    case 7: events.sort(() => rnd() - 0.5); break;
    case 8: if (e && typeof e === 'object' && typeof e.id === 'string') e.id = pick(events)?.id ?? e.id; break;  // id clash
    case 9: { const o = target(); if (o && typeof o === 'object') { const k = pick(Object.keys(o)); if (typeof o[k] === 'number') o[k] += pick([1, -1, 1000, 2 ** 52]); } break; }
    case 10: if (e && typeof e === 'object' && typeof e.at === 'string') e.at = e.at.replace(/Z$/, pick(['+00:00', 'z', '-05:30', '.5Z', 'Z'])); break;
    default: events.splice(i, 1); break;
  }
}

// Changes that keep a valid document valid (mostly), so the fast path's
// acceptance is exercised too, not only its fallbacks.
function benign(doc, raws) {
  const events = Array.isArray(doc.events) ? doc.events : null;
  if (!events || events.length === 0) return;
  const e = pick(events);
  if (!e || typeof e !== 'object') return;
  const placeholder = (r) => { raws.push(r); return `@@RAW${raws.length - 1}@@`; };
  const escape = (text) => `"${[...text].map((c) => (rnd() < 0.3 ? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}` : c)).join('')}"`;
  switch (int(9)) {
    case 0: events.splice(int(events.length + 1), 0, structuredClone(e)); break;
    case 1: if (typeof e.id === 'string') e.id = placeholder(escape(e.id)); break;
    case 2: if (typeof e.project_id === 'string') e.project_id = placeholder(escape(e.project_id)); break;
    case 3: {
      const u = e.provider_usage?.usage;
      if (u && typeof u === 'object') u[pick(['extra', 'service_tier', 'details', 'x'])] = pick([null, 'standard', 1.5, -3, [1, 2], { a: { b: 1 } }, true, 'é']);
      break;
    }
    case 4: if (e.tokens && typeof e.tokens === 'object') e.tokens[pick(['output', 'input_cache_miss', 'input_cache_hit'])] = int(100000); break;
    case 5: e[pick(['model', 'reason', 'account_id'])] = null; break;
    case 6: if (doc.account?.id) e.account_id = doc.account.id; break;
    case 7: {
      const entries = Object.entries(e).sort(() => rnd() - 0.5);
      for (const k of Object.keys(e)) delete e[k];
      for (const [k, v] of entries) e[k] = v;
      break;
    }
    default: events.sort(() => rnd() - 0.5); break;
  }
}

function serialize(doc, raws) {
  const indent = pick([undefined, undefined, 1, '\t']);
  let text = JSON.stringify(doc, null, indent);
  text = text.replace(/"@@RAW(\d+)@@"/g, (_, n) => raws[Number(n)]);
  if (rnd() < 0.2) text = text.replace(/,/g, () => (rnd() < 0.1 ? ' ,\r\n ' : ','));
  return text;
}

function mutateText(text) {
  const n = 1 + int(3);
  for (let k = 0; k < n; k++) {
    const i = int(text.length);
    switch (int(4)) {
      case 0: text = text.slice(0, i) + text.slice(i + 1); break;
      case 1: text = text.slice(0, i) + pick('{}[],:"\\ 0-.enul\u00e9\u0001'.split('')) + text.slice(i); break;
      case 2: text = text.replace(/\d/g, (d) => (rnd() < 0.002 ? String(int(10)) : d)); break;
      default: text = text.slice(0, i) + text.slice(i, i + 1 + int(40)) + text.slice(i); break;
    }
  }
  return text;
}

function makeDocument() {
  if (rnd() < 0.2) return mutateText(pick(seeds));
  const gentle = rnd() < 0.6;
  const doc = JSON.parse(pick(gentle ? acceptedSeeds : validSeeds));
  const raws = [];
  const rounds = 1 + int(3);
  for (let k = 0; k < rounds; k++) (gentle ? benign : mutateValue)(doc, raws);
  return serialize(doc, raws);
}

// ---------------------------------------------------------------- compare
const run = (args) => {
  try {
    return execFileSync(cli, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 29 });
  } catch (e) {
    return `exit ${e.status}\n${e.stdout}`;
  }
};
// D' is 5 bytes longer and its root member name reads differently in nlohmann's
// "last read" excerpts: only where invalid_json messages quote the text.
const normalize = (s) => s.replace(/at byte \d+/g, 'at byte N').replace(/last read: '.*?'(; |"\})/g, "last read: ...$1");
const instants = (text) => {
  const all = [...text.matchAll(/"at"\s*:\s*"([^"\\]{20,40})"/g)].map((m) => m[1]).sort();
  return ['2199-12-31T00:00:00Z', all[all.length >> 1] ?? '2026-01-01T00:00:00Z'];
};

const docPath = join(out, 'diff-d.json');
// Seeds the core accepts: gentle changes of these stay mostly valid.
const acceptedSeeds = validSeeds.filter((t) => {
  writeFileSync(docPath, t);
  return run(['check', docPath]).startsWith('{"ok":true');
});
console.error(`fast-path-diff: ${seeds.length} seeds, ${acceptedSeeds.length} valid ledgers`);
const strictPath = join(out, 'diff-strict.json');
let compared = 0, fastAccepted = 0;
// The same document read by the fast path and by the strict path alone (its
// root "format" member name escaped): the same bytes for every question.
const compare = (text, questions, label) => {
  const at = text.indexOf('"format"');
  if (at < 0) return;
  writeFileSync(docPath, text);
  writeFileSync(strictPath, `${text.slice(0, at)}"f\\u006frmat"${text.slice(at + 8)}`);
  for (const q of questions) {
    const a = normalize(run([...q, docPath]));
    const b = normalize(run([...q, strictPath]));
    compared++;
    if (q[0] === 'check' && a.startsWith('{"ok":true')) fastAccepted++;
    if (a !== b) {
      const keep = join(out, `diff-${label}.json`);
      writeFileSync(keep, text);
      console.error(`DIFFERENT answers to ${q.join(' ')} for ${keep}:\nfast:   ${a.slice(0, 600)}\nstrict: ${b.slice(0, 600)}`);
      process.exit(1);
    }
  }
};
const shapeEvents = Number(process.env.SHAPE_EVENTS ?? 10000);
for (const shape of shapeNames) {
  const { text, at, from, to } = shapeText(shape, shapeEvents);
  const before = fastAccepted;
  compare(text, [['check'], ['report', '--at', at], ['report', '--at', at, '--from', from, '--to', to]], shape);
  if (fastAccepted === before) {
    console.error(`fast-path-diff: the ${shape} shape was rejected: ${run(['check', docPath]).slice(0, 400)}`);
    process.exit(1);
  }
  // How much of the shape the fast reader takes: `check` timed on both documents (wall
  // time, median of 3; a fast path that fell back on most events would take the strict time).
  const timed = (path) => {
    const times = [0, 1, 2].map(() => { const t0 = performance.now(); run(['check', path]); return performance.now() - t0; });
    return times.sort((a, b) => a - b)[1];
  };
  const fastMs = timed(docPath);
  const strictMs = timed(strictPath);
  console.error(`fast-path-diff: ${shape} at ${shapeEvents} events: fast and strict answers identical; ` +
    `check ${fastMs.toFixed(0)} ms fast, ${strictMs.toFixed(0)} ms strict (${(strictMs / fastMs).toFixed(1)}x)`);
}
const shapesCompared = compared;
for (let n = 0; n < count; n++) {
  const text = makeDocument();
  compare(text, [['check'], ...instants(text).map((t) => ['report', '--at', t])], String(n));
}
console.log(`fast-path-diff: ${shapeNames.length} shapes whole (${shapesCompared} answers) and ${count} documents ` +
  `(${fastAccepted} valid in all), ${compared} answers compared, all identical`);
