#!/usr/bin/env node
// A second ledger generator, written independently of make-ledger.mjs so that
// the benchmarks cannot be tuned to one generator's habits. It writes ledgers
// of named *shapes*, each stressing one thing the core must stay fast on:
//
//   chrono      the balanced mix, listed in time order, reported at the last event
//   shuffled    the same mix in random order, a few exact duplicates, reported years later
//   grants      >= 12 % grants of every kind (monthly plan billing incl. failed ones, promotions
//               with and without an expiry at many distinct instants, purchases with and
//               without a pack), overdrafts repaid; shuffled, reported years later
//   provider    >= 70 % of events are provider_usage records, all five formats, with and
//               without cache details and with members the formulas ignore
//   small       many small sessions (1-2 records) in many projects
//   long        few long sessions (hundreds of records) in three projects
//   mix         the mix of the 100k ledger measured by hand in the issue that asked for this:
//               12.5 % grants, ~70 % provider usage, 26 % sessions, 3 projects, shuffled,
//               lowercase t/z and offsets, reported years later
//   kind-*      a ledger of one event kind (plus the few events that kind needs) to price
//               each kind per event: usage-tokens, usage-provider, completion, cancellation,
//               purchase, promotion, billing
//
// Every shape writes instants in several styles: Z and z, T and t, offsets such as +05:30,
// -07:00 and -00:00, and 0, 3, 6 or 9 fractional digits. Every document is valid (scripts/bench
// runs `credits check` on each one it generates). Seeded, no clock: the same shape and size
// always give the same bytes.
//
//   node tests/bench/make-shapes.mjs SHAPE N OUT.json
//   node tests/bench/make-shapes.mjs --list
import { createWriteStream } from 'node:fs';
import { pathToFileURL } from 'node:url';

const TPC = 10000;
const SEC = 1000, MIN = 60 * SEC, HOUR = 60 * MIN, DAY = 24 * HOUR;
const START = Date.UTC(2023, 2, 14, 9, 26, 53);
const SPAN = 2 * 365 * DAY;  // two years of activity
const YEARS_LATER = '2031-06-30T12:00:00Z';

// sfc32 (Chris Doty-Humphrey's small fast counting generator): another PRNG than
// make-ledger's mulberry32, so the two generators share no random sequence.
function sfc32(seed) {
  let a = 0x9e3779b9, b = 0x243f6a88, c = 0xb7e15162, d = seed >>> 0;
  const next = () => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t;
  };
  for (let i = 0; i < 16; i++) next();
  return () => next() / 4294967296;
}

const two = (n) => String(n).padStart(2, '0');
const OFFSETS = [0, 330, -420, 60, 480, -180, 765, -600, 840];

/** An instant (ms since the epoch, plus `sub` extra nanoseconds below the ms) in one of many styles. */
function instant(ms, style, sub = 0) {
  const off = OFFSETS[style % OFFSETS.length];
  const d = new Date(ms + off * MIN);
  const t = style % 3 === 1 ? 't' : 'T';
  const milli = ms % 1000;
  let frac = '';
  switch ((style >> 2) % 4) {
    case 0: frac = milli ? `.${String(milli).padStart(3, '0')}` : ''; break;
    case 1: frac = `.${String(milli).padStart(3, '0')}`; break;
    case 2: frac = `.${String(milli).padStart(3, '0')}${String(sub % 1000).padStart(3, '0')}`; break;
    default: frac = `.${String(milli).padStart(3, '0')}${String(sub % 1000000).padStart(6, '0')}`; break;
  }
  if (frac && milli === 0 && (style >> 2) % 4 !== 1 && sub === 0) frac = '';
  let zone;
  if (off === 0) zone = ['Z', 'z', '+00:00', '-00:00'][(style >> 4) % 4];
  else zone = `${off < 0 ? '-' : '+'}${two(Math.floor(Math.abs(off) / 60))}:${two(Math.abs(off) % 60)}`;
  return `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}${t}` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}${frac}${zone}`;
}

const FORMATS = ['openai_chat', 'openai_responses', 'anthropic_messages', 'gemini', 'deepseek'];

// The shapes: shares of the event budget and the knobs of sessions and projects.
// grants: share of grant events; provider: share of usage records carried as provider_usage;
// overdraft: when set, grants are small (at most that many credits) so the balance goes below
// zero and later grants repay it; records: [min, max] records a session; projects; shuffle; duplicates (share); at: 'last' | 'years'.
export const SHAPES = {
  chrono: { grants: 0.03, provider: 0.5, records: [2, 12], projects: 24, shuffle: false, duplicates: 0, at: 'last',
    about: 'balanced mix, time order, reported at the last event' },
  shuffled: { grants: 0.03, provider: 0.5, records: [2, 12], projects: 24, shuffle: true, duplicates: 0.002, at: 'years',
    about: 'balanced mix, random order, 0.2 % exact duplicates, reported years later' },
  grants: { grants: 0.15, provider: 0.5, records: [2, 8], projects: 12, shuffle: true, duplicates: 0, at: 'years',
    overdraft: 8, about: '15 % grants of every kind, many distinct expiries, overdrafts repaid; shuffled, years later' },
  provider: { grants: 0.01, provider: 1, records: [3, 15], projects: 16, shuffle: false, duplicates: 0, at: 'last',
    about: '>= 70 % provider_usage records, all five formats, with and without cache details' },
  small: { grants: 0.02, provider: 0.4, records: [1, 2], projects: 'many', shuffle: false, duplicates: 0, at: 'last',
    about: 'many small sessions (1-2 records) in many projects' },
  long: { grants: 0.02, provider: 0.4, records: [200, 900], projects: 3, shuffle: false, duplicates: 0, at: 'years',
    about: 'few long sessions (200-900 records) in three projects, reported years later' },
  mix: { grants: 0.125, provider: 0.72, records: [1, 3], projects: 3, shuffle: true, duplicates: 0, at: 'years',
    overdraft: 4, grantSplit: [0.4, 0.4, 0.2], about: 'the hand-measured mix: 12.5 % grants, 72 % provider usage, 3 projects, shuffled, years later' },
};
export const KIND_SHAPES = ['usage-tokens', 'usage-provider', 'completion', 'cancellation', 'purchase', 'promotion', 'billing'];

/** Generates SHAPE with about n events; returns {lines, events, at, from, to, counts}. */
export function generateShape(shape, n, seed = 7) {
  if (shape.startsWith('kind-')) return generateKind(shape.slice(5), n, seed);
  const cfg = SHAPES[shape];
  if (!cfg) throw new Error(`unknown shape ${shape}`);
  const rng = sfc32(seed * 7919 + n + shape.length * 104729);
  const int = (a, b) => a + Math.floor(rng() * (b - a + 1));
  const chance = (p) => rng() < p;
  const style = () => int(0, 1023);
  const projectCount = cfg.projects === 'many' ? Math.max(50, Math.round(n / 200)) : cfg.projects;
  const projects = Array.from({ length: projectCount }, (_, i) => ({ id: `p-${(i * 7331 + 17).toString(36)}`, name: `Project ${i + 1}` }));

  const events = []; // {ms, body}; ids are given at the end
  const counts = {};
  const add = (ms, type, body) => {
    events.push({ ms, body: `"type":"${type}",${body}` });
    counts[type] = (counts[type] ?? 0) + 1;
  };
  const at = (ms) => `"at":"${instant(ms, style(), int(0, 999999))}"`;

  add(START - DAY, 'account_opened', `"at":"${instant(START - DAY, 0)}"`.slice(0));

  // Grants: their count is the shape's share of the budget, spread over the span.
  const grantCount = Math.round(n * cfg.grants);
  const [billShare, promoShare] = cfg.grantSplit ?? [0.34, 0.33];
  let nextGrant = 0;
  const grantTimes = Array.from({ length: grantCount }, () => START + Math.floor(rng() * SPAN)).sort((a, b) => a - b);

  // Usage: sessions of `records` records, one completion each (or a cancellation of the task).
  const budget = n - 1 - grantCount;
  let used = 0;
  let taskSerial = 0;
  const sessionsEstimate = Math.max(1, Math.floor(budget / ((cfg.records[0] + cfg.records[1]) / 2 + 1.2)));
  const gap = SPAN / sessionsEstimate;
  let cursor = START;
  let balance = 500 * TPC; // approximate, to make overdrafts happen and be repaid
  const emitGrant = (ms) => {
    const k = rng();
    let tokens;
    if (k < billShare) {
      const plan = chance(0.5) ? 'standard' : 'premium';
      if (chance(0.08)) {
        add(ms, 'subscription_billed', `${at(ms)},"plan":"${plan}","outcome":"failed"`);
        return;
      }
      const credits = cfg.overdraft ? int(1, cfg.overdraft) : int(50, 400);
      const explicitEnd = chance(0.5);
      const end = ms + int(28, 31) * DAY + int(0, 86399) * SEC;  // distinct expiry instants
      const period = explicitEnd ? `,"period_start":"${instant(ms, style())}","period_end":"${instant(end, style())}"` : '';
      const override = chance(cfg.overdraft ? 0.995 : 0.97) ? `,"credits":${chance(0.5) ? credits : `"${credits}.${int(1, 9999)}"`}` : '';
      add(ms, 'subscription_billed', `${at(ms)},"plan":"${plan}","outcome":"succeeded"${period}${override}`);
      tokens = override ? credits * TPC : (plan === 'standard' ? 2000 : 6000) * TPC;
    } else if (k < billShare + promoShare) {
      const credits = int(1, cfg.overdraft ? cfg.overdraft : 200);
      const expiry = chance(0.6) ? `,"expires_at":"${instant(ms + int(1, 120) * DAY + int(1, 86_399_999), style())}"` : chance(0.1) ? ',"expires_at":null' : '';
      const reason = chance(0.7) ? `,"reason":"Goodwill \\"${int(1, 999)}\\" \u00e9t\u00e9"` : '';
      add(ms, 'credits_granted', `${at(ms)},"credits":"${credits}.${int(0, 9999)}"${expiry}${reason}`);
      tokens = credits * TPC;
    } else {
      if (chance(cfg.overdraft ? 0.01 : 0.3)) {
        const pack = ['pack_500', 'pack_1000', 'pack_5000'][int(0, 2)];
        add(ms, 'credits_purchased', `${at(ms)},"credits":${pack.slice(5)},"pack":"${pack}"`);
        tokens = Number(pack.slice(5)) * TPC;
      } else {
        const credits = cfg.overdraft ? int(1, cfg.overdraft + 2) : int(100, 900);
        add(ms, 'credits_purchased', `${at(ms)},"credits":${chance(0.5) ? credits : `"${credits}.25"`}`);
        tokens = credits * TPC;
      }
    }
    // An overdraft shape keeps the balance near zero: a big grant only when deep in debt.
    if (cfg.overdraft && balance < -200 * TPC && chance(0.2)) {
      const repay = Math.ceil(-balance / TPC) + int(1, 50);
      add(ms + 1, 'credits_purchased', `${at(ms + 1)},"credits":${repay}`);
      tokens += repay * TPC;
    }
    balance += tokens;
  };

  function providerUsage(output, miss, hit, variant) {
    const format = FORMATS[variant % 5];
    const detailed = variant % 2 === 0 || hit > 0;
    let u;
    switch (format) {
      case 'openai_chat':
        u = `"prompt_tokens":${miss + hit},"completion_tokens":${output},"total_tokens":${miss + hit + output}` +
          (detailed ? `,"prompt_tokens_details":{"cached_tokens":${hit},"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":${Math.floor(output / 3)},"audio_tokens":0}` : '');
        break;
      case 'openai_responses':
        u = `"input_tokens":${miss + hit},"output_tokens":${output}` +
          (detailed ? `,"input_tokens_details":{"cached_tokens":${hit}},"output_tokens_details":{"reasoning_tokens":${Math.floor(output / 4)}}` : '') +
          `,"total_tokens":${miss + hit + output}`;
        break;
      case 'anthropic_messages': {
        const write = detailed ? Math.floor(miss / 2) : 0;
        u = `"input_tokens":${miss - write},"output_tokens":${output}` +
          (detailed ? `,"cache_creation_input_tokens":${write},"cache_read_input_tokens":${hit},"service_tier":"standard"` : '');
        break;
      }
      case 'gemini': {
        const thoughts = detailed ? Math.floor(output / 5) : 0;
        const tool = detailed ? Math.floor(miss / 10) : 0;
        u = `"promptTokenCount":${miss - tool + hit},"candidatesTokenCount":${output - thoughts}` +
          (detailed ? `,"cachedContentTokenCount":${hit},"thoughtsTokenCount":${thoughts},"toolUsePromptTokenCount":${tool}` : '') +
          `,"totalTokenCount":${miss + hit + output},"promptTokensDetails":[{"modality":"TEXT","tokenCount":${miss + hit}}]`;
        break;
      }
      default:
        u = (detailed ? `"prompt_tokens":${miss + hit},` : '') +
          `"completion_tokens":${output},"prompt_cache_hit_tokens":${hit},"prompt_cache_miss_tokens":${miss}`;
    }
    return `"provider_usage":{"format":"${format}","usage":{${u}}}`;
  }
  const tokensBody = (output, miss, hit) => {
    const parts = [`"output":${output}`];
    if (miss || chance(0.5)) parts.push(`"input_cache_miss":${miss}`);
    if (hit) parts.push(`"input_cache_hit":${hit}`);
    return `"tokens":{${parts.reverse().join(',')}}`;
  };
  const usageBody = (output, miss, hit) => {
    if (!chance(cfg.provider)) return tokensBody(output, miss, hit);
    counts.provider = (counts.provider ?? 0) + 1;
    return providerUsage(output, miss, hit, int(0, 9));
  };

  while (used < budget) {
    const records = Math.min(int(cfg.records[0], cfg.records[1]), Math.max(1, budget - used - 1));
    cursor += gap * (0.5 + rng());
    let t = Math.floor(cursor) + int(0, 999);
    const project = projects[Math.floor(rng() ** 2 * projectCount)].id;
    taskSerial += 1;
    const task = `task-${taskSerial.toString(36)}-${int(100, 999)}`;
    const session = `sess.${int(1, 9)}`;
    const head = `"project_id":"${project}","task_id":"${task}","session_id":"${session}"`;
    const model = ['m-large', 'claude-x', 'gpt-y', 'gemini-z', 'ds-chat'][int(0, 4)];
    let charged = 0;
    for (let r = 0; r < records && used < budget; r++) {
      while (nextGrant < grantCount && grantTimes[nextGrant] <= t) emitGrant(grantTimes[nextGrant++]);
      const output = int(50, 9000), miss = int(0, 30000), hit = r === 0 || chance(0.2) ? 0 : int(1000, 150000);
      const service = chance(0.9) ? 'agent_chat' : 'summarization';
      add(t, 'usage', `${at(t)},${head},"service":"${service}"${chance(0.8) ? `,"model":"${model}"` : ''},${usageBody(output, miss, hit)}`);
      if (service === 'agent_chat') charged += output + miss;
      used += 1;
      t += int(5, 600) * SEC + int(0, 999);
      if (chance(0.02) && used < budget) {  // another service of the project, no session
        add(t, 'usage', `${at(t)},"project_id":"${project}","service":"${['build', 'deploy', 'hosting'][int(0, 2)]}",${usageBody(int(10, 900), int(100, 9000), 0)}`);
        used += 1;
      }
    }
    if (used >= budget) break;
    const fate = rng();
    if (fate < 0.15) {
      const c = t - int(1, 4) * SEC;
      add(c, 'task_cancelled', `${at(c)},"project_id":"${project}","task_id":"${task}"${chance(0.5) ? ',"reason":"stopped"' : ''}`);
      used += 1;
    } else if (fate < 0.95) {
      const c = t + int(1, 90) * SEC;
      add(c, 'session_completed', `${at(c)},${head}`);
      used += 1;
      balance -= charged;
    }  // else: still in progress
    cursor = Math.max(cursor, t - gap);
  }
  while (nextGrant < grantCount) emitGrant(grantTimes[nextGrant++]);

  const lastMs = events.reduce((m, e) => Math.max(m, e.ms), 0);
  return finish(events, cfg, rng, projects, counts, lastMs + 1000, shape);
}

// One kind per ledger, with what it needs: a completion needs its session's usage, so the
// completion ledger's per-event cost is found by difference from usage-tokens (scripts/bench).
function generateKind(kind, n, seed) {
  if (!KIND_SHAPES.includes(kind)) throw new Error(`unknown kind ${kind}`);
  const rng = sfc32(seed * 31 + n + kind.length);
  const int = (a, b) => a + Math.floor(rng() * (b - a + 1));
  const projects = [{ id: 'p1', name: 'One' }, { id: 'p2', name: 'Two' }, { id: 'p3', name: 'Three' }];
  const events = [];
  const counts = {};
  const add = (ms, type, body) => {
    events.push({ ms, body: `"type":"${type}",${body}` });
    counts[type] = (counts[type] ?? 0) + 1;
  };
  const at = (ms) => `"at":"${instant(ms, int(0, 1023), int(0, 999999))}"`;
  add(START - DAY, 'account_opened', `"at":"${instant(START - DAY, 0)}"`);
  const step = Math.floor(SPAN / n);
  // usage-tokens, usage-provider and completion: one record per session. The completion ledger
  // is the usage-tokens ledger plus one completion per session (n/2 sessions, n events).
  const sessions = kind === 'completion' || kind === 'cancellation' ? Math.floor((n - 1) / 2) : n - 1;
  for (let i = 0; i < sessions; i++) {
    const t = START + i * step + int(0, step - 2000);
    const head = `"project_id":"p${1 + (i % 3)}","task_id":"t${i.toString(36)}","session_id":"s"`;
    const output = int(50, 9000), miss = int(0, 30000), hit = int(0, 100000);
    switch (kind) {
      case 'usage-tokens':
      case 'completion':
      case 'cancellation':
        add(t, 'usage', `${at(t)},${head},"service":"agent_chat","tokens":{"output":${output},"input_cache_miss":${miss},"input_cache_hit":${hit}}`);
        if (kind === 'completion') add(t + 1000, 'session_completed', `${at(t + 1000)},${head}`);
        if (kind === 'cancellation') add(t + 1000, 'task_cancelled', `${at(t + 1000)},"project_id":"p${1 + (i % 3)}","task_id":"t${i.toString(36)}"`);
        break;
      case 'usage-provider':
        add(t, 'usage', `${at(t)},${head},"service":"agent_chat","provider_usage":{"format":"openai_chat","usage":{"prompt_tokens":${miss + hit},"completion_tokens":${output},"prompt_tokens_details":{"cached_tokens":${hit}}}}`);
        break;
      case 'purchase':
        add(t, 'credits_purchased', `${at(t)},"credits":${int(1, 900)}`);
        break;
      case 'promotion':
        add(t, 'credits_granted', `${at(t)},"credits":"${int(1, 90)}.5","expires_at":"${instant(t + int(1, 90) * DAY + int(0, 86_399_999), int(0, 1023))}"`);
        break;
      case 'billing':
        add(t, 'subscription_billed', `${at(t)},"plan":"standard","outcome":"succeeded","credits":${int(1, 90)}`);
        break;
      default: throw new Error(kind);
    }
  }
  const lastMs = events.reduce((m, e) => Math.max(m, e.ms), 0);
  return finish(events, { shuffle: false, duplicates: 0, at: 'last' }, rng, projects, counts, lastMs + 1000, `kind-${kind}`);
}

function finish(events, cfg, rng, projects, counts, lastMs, shape) {
  // Ids: random-looking, of varying length, so their byte order is not the time order.
  const ids = new Set();
  for (const e of events) {
    let id;
    do id = `ev_${Math.floor(rng() * 2 ** 32).toString(36)}${rng() < 0.3 ? `-${Math.floor(rng() * 1e6).toString(16)}` : ''}`;
    while (ids.has(id));
    ids.add(id);
    e.id = id;
  }
  const order = events.map((e) => e);
  if (cfg.shuffle) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
  } else {
    order.sort((a, b) => a.ms - b.ms);
  }
  const lines = [];
  for (const e of order) {
    lines.push(`{"id":"${e.id}",${e.body}}`);
    if (cfg.duplicates && rng() < cfg.duplicates) lines.push(`{${e.body},"id":"${e.id}"}`);  // same value, members reordered
  }
  const head = `{"format":"easycoda.ledger/1","account":{"id":"acct-${shape}","utc_offset":"-03:30"},"projects":${JSON.stringify(projects)},"events":[`;
  const last = new Date(lastMs).toISOString().replace('.000Z', 'Z');
  const at = cfg.at === 'years' ? YEARS_LATER : last;
  // The re-run range: the middle of the activity, a month long.
  const middle = START + Math.floor((lastMs - START) / 2);
  const from = new Date(middle).toISOString();
  const to = new Date(Math.min(middle + 30 * DAY, lastMs)).toISOString();
  return { head, lines, events: lines.length, at, from, to, counts };
}

/** Writes SHAPE with about n events to `path`; resolves to {events, bytes, at, from, to, counts}. */
export async function writeShape(shape, n, path) {
  const { head, lines, events, at, from, to, counts } = generateShape(shape, n);
  const out = createWriteStream(path);
  let bytes = 0;
  let chunk = `${head}\n`;
  for (let i = 0; i < lines.length; i++) {
    chunk += lines[i] + (i + 1 < lines.length ? ',\n' : '\n');
    if (chunk.length > 1 << 20) {
      bytes += Buffer.byteLength(chunk);
      if (!out.write(chunk)) await new Promise((r) => out.once('drain', r));
      chunk = '';
    }
  }
  chunk += ']}\n';
  bytes += Buffer.byteLength(chunk);
  out.end(chunk);
  await new Promise((resolve, reject) => { out.on('finish', resolve); out.on('error', reject); });
  return { events, bytes, at, from, to, counts };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.argv[2] === '--list') {
    for (const [name, cfg] of Object.entries(SHAPES)) console.log(`${name}\t${cfg.about}`);
    for (const k of KIND_SHAPES) console.log(`kind-${k}\tone event kind`);
    process.exit(0);
  }
  const [shape, n, path] = [process.argv[2], Number(process.argv[3]), process.argv[4]];
  if (!shape || !Number.isInteger(n) || n < 100 || !path) {
    console.error('usage: make-shapes.mjs SHAPE N OUT.json   (make-shapes.mjs --list for the shapes)');
    process.exit(2);
  }
  const r = await writeShape(shape, n, path);
  console.log(JSON.stringify({ path, ...r }));
}
