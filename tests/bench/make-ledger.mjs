#!/usr/bin/env node
// Deterministic generator of realistic benchmark ledgers (docs/benchmarks.md).
//
//   node tests/bench/make-ledger.mjs N OUT.json     # N events (e.g. 10000, 100000, 1000000)
//
// One account ("acct_bench", utc_offset +08:00) over the year 2025, reported at
// 2026-01-01T00:00:00Z. Many projects (sqrt(N)/4, at least 8), tasks of 1-4
// sessions, sessions of 2-10 agent_chat records, summarizations (during and
// after sessions), other services (build, deploy, hosting), every grant kind
// (signup, monthly plan billing with a failed renewal retried, purchases with
// and without a pack, integer and decimal credits, promotions with and without
// an expiry), cancelled tasks (mid-session, with late in-flight records),
// sessions still in progress, instants written with and without offsets and
// fractions, and provider usage objects of all five formats next to
// normalized `tokens`. About 250 bytes an event, compact JSON, one event per line.
// The same N always gives the same bytes (a seeded PRNG, no clock).
import { createWriteStream } from 'node:fs';
import { pathToFileURL } from 'node:url';

export const REPORT_AT = '2026-01-01T00:00:00Z';
// A second question on the loaded ledger: same instant, another range.
export const RANGE = { from: '2025-11-01T00:00:00Z', to: '2025-12-01T00:00:00Z' };

const TPC = 10000;
const MIN = 60_000, HOUR = 60 * MIN, DAY = 24 * HOUR;
const START = Date.UTC(2025, 0, 1, 1, 0, 0);
const END = Date.UTC(2025, 11, 31, 23, 0, 0);

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pad = (n, w = 2) => String(n).padStart(w, '0');
function fmtZ(ms) {
  const d = new Date(ms);
  const frac = ms % 1000 ? '.' + pad(ms % 1000, 3) : '';
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}${frac}Z`;
}
function fmtOffset(ms, offMin) {
  const d = new Date(ms + offMin * MIN);
  const a = Math.abs(offMin);
  const frac = ms % 1000 ? '.' + pad(ms % 1000, 3) : '';
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}${frac}${offMin < 0 ? '-' : '+'}${pad(Math.floor(a / 60))}:${pad(a % 60)}`;
}

const MODELS = [
  { model: 'claude-sonnet-4-5', format: 'anthropic_messages', weight: 3 },
  { model: 'gpt-5', format: 'openai_responses', weight: 2 },
  { model: 'gpt-4.1', format: 'openai_chat', weight: 1.2 },
  { model: 'gemini-2.5-pro', format: 'gemini', weight: 1.5 },
  { model: 'deepseek-chat', format: 'deepseek', weight: 1 },
  { model: 'easycoda-agent-1', format: null, weight: 6 },
];
const SUMMARIZERS = [
  { model: 'gpt-4.1-mini', format: 'openai_chat', weight: 1 },
  { model: 'easycoda-summarizer-1', format: null, weight: 3 },
];
const PROJECT_WORDS = ['Shop', 'Mobile', 'Docs', 'Pipeline', 'Landing', 'Billing', 'Search', 'Infra', 'Admin', 'Analytics',
  'Auth', 'Chat', 'Maps', 'Media', 'Payments', 'Reports'];

export function generateLedgerLines(n, seed = 20250101) {
  const rng = mulberry32(seed ^ n);
  const uni = (a, b) => a + (b - a) * rng();
  const int = (a, b) => a + Math.floor(rng() * (b - a + 1));
  const chance = (p) => rng() < p;
  const pickWeighted = (items) => {
    const total = items.reduce((s, x) => s + x.weight, 0);
    let r = rng() * total;
    for (const x of items) if ((r -= x.weight) < 0) return x;
    return items[items.length - 1];
  };
  // An instant as the server might write it: mostly UTC with milliseconds, sometimes in +08:00.
  const at = (ms) => (chance(0.1) ? fmtOffset(ms, 480) : fmtZ(ms));

  const projectCount = Math.max(8, Math.round(Math.sqrt(n) / 4));
  const projects = Array.from({ length: projectCount }, (_, i) => ({
    id: `prj_${pad(i, 4)}`,
    name: `${PROJECT_WORDS[i % PROJECT_WORDS.length]} ${Math.floor(i / PROJECT_WORDS.length) + 1}${i % 7 === 3 ? ' — "beta"' : ''}`,
    weight: 1 / (1 + i * 0.05),
  }));

  const raw = []; // {ms, body} with body the event's members after "id", without braces
  const add = (ms, body) => raw.push({ ms, body });

  function usageBody(m, output, miss, hit) {
    if (!m.format) {
      let t = `"output":${output}`;
      if (miss) t += `,"input_cache_miss":${miss}`;
      if (hit) t += `,"input_cache_hit":${hit}`;
      return `"tokens":{${t}}`;
    }
    let u;
    switch (m.format) {
      case 'openai_chat': u = `"prompt_tokens":${miss + hit},"completion_tokens":${output},"prompt_tokens_details":{"cached_tokens":${hit}}`; break;
      case 'openai_responses': u = `"input_tokens":${miss + hit},"input_tokens_details":{"cached_tokens":${hit}},"output_tokens":${output}`; break;
      case 'anthropic_messages': {
        const uncached = Math.min(miss, int(3, 60));
        u = `"input_tokens":${uncached},"cache_creation_input_tokens":${miss - uncached},"cache_read_input_tokens":${hit},"output_tokens":${output}`;
        break;
      }
      case 'gemini': u = `"promptTokenCount":${miss + hit},"candidatesTokenCount":${output},"cachedContentTokenCount":${hit}`; break;
      case 'deepseek': u = `"prompt_tokens":${miss + hit},"completion_tokens":${output},"prompt_cache_hit_tokens":${hit},"prompt_cache_miss_tokens":${miss}`; break;
      default: throw new Error(m.format);
    }
    return `"provider_usage":{"format":"${m.format}","usage":{${u}}}`;
  }

  let charged = 0; // tokens charged so far (approximately, by completion time order of generation)
  let granted = 0;
  // Grants: signup, monthly plan billing (one failed renewal retried two days later), promotions.
  add(START, `"type":"account_opened","at":"${fmtZ(START)}"`);
  granted += 500 * TPC;
  for (let month = 0; month < 12; month++) {
    const billed = Date.UTC(2025, month, 2, 0, 0, 0);
    const plan = month < 4 ? 'standard' : 'premium';
    if (month === 6) {
      add(billed, `"type":"subscription_billed","at":"${fmtZ(billed)}","plan":"${plan}","outcome":"failed"`);
      const retry = billed + 2 * DAY;
      add(retry, `"type":"subscription_billed","at":"${fmtZ(retry)}","plan":"${plan}","outcome":"succeeded","period_start":"${fmtZ(retry)}","period_end":"${fmtZ(Date.UTC(2025, month + 1, 2))}"`);
    } else if (month % 3 === 1) {  // period_end omitted: one calendar month, written in +08:00
      add(billed, `"type":"subscription_billed","at":"${fmtOffset(billed, 480)}","plan":"${plan}","outcome":"succeeded"`);
    } else {
      add(billed, `"type":"subscription_billed","at":"${fmtZ(billed)}","plan":"${plan}","outcome":"succeeded","period_start":"${fmtZ(billed)}","period_end":"${fmtZ(Date.UTC(2025, month + 1, 2))}","credits":${plan === 'standard' ? 2000 : 6000}`);
    }
    const promo = Date.UTC(2025, month, 15, 6, 30, 0);
    const expires = month % 2 === 0 ? `,"expires_at":"${fmtZ(promo + 30 * DAY)}"` : '';
    add(promo, `"type":"credits_granted","at":"${fmtZ(promo)}","credits":"${int(10, 90)}.${int(1, 9)}"${expires},"reason":"Support goodwill ${month + 1}"`);
  }

  // Sessions until the event budget is spent. Each iteration: one session (maybe more records).
  const taskCounters = new Array(projectCount).fill(0);
  const openTasks = new Array(projectCount).fill(null);
  const budget = n - raw.length;
  let emitted = 0;
  const span = END - START;
  while (emitted < budget) {
    // Sessions start uniformly over the year (with a daily rhythm), so time grows with n.
    const day = Math.floor((emitted / budget) * (span / DAY));
    let t = START + day * DAY + int(1, 14) * HOUR + int(0, 59) * MIN + int(0, 59_999);
    const p = pickWeighted(projects);
    const pi = projects.indexOf(p);
    let task = openTasks[pi];
    if (!task || task.sessions >= task.limit || task.cancelled || chance(0.3)) {
      taskCounters[pi] += 1;
      task = { id: `t_${taskCounters[pi].toString(36).padStart(5, '0')}`, sessions: 0, limit: int(1, 4), cancelled: false, last: 0 };
      openTasks[pi] = task;
    }
    // A task's sessions follow each other (a cancellation must not precede an earlier session's completion).
    t = Math.max(t, task.last + int(1, 30) * MIN);
    task.sessions += 1;
    const sid = `s${task.sessions}`;
    const model = pickWeighted(MODELS);
    const records = int(2, 10);
    const head = `"project_id":"${p.id}","task_id":"${task.id}","session_id":"${sid}"`;
    let sessionCharged = 0;
    const fate = rng(); // < 0.05 cancelled, < 0.09 still in progress, else completed
    for (let r = 0; r < records; r++) {
      const output = int(200, 6000);
      const miss = int(500, 20000);
      const hit = r === 0 ? 0 : int(5000, 120000);
      sessionCharged += output + miss;
      add(t, `"type":"usage","at":"${at(t)}",${head},"service":"agent_chat","model":"${model.model}",${usageBody(model, output, miss, hit)}`);
      emitted += 1;
      if (r === Math.floor(records / 2) && chance(0.3)) {
        const s = pickWeighted(SUMMARIZERS);
        add(t + 7_003, `"type":"usage","at":"${at(t + 7_003)}",${head},"service":"summarization","model":"${s.model}",${usageBody(s, int(600, 2400), int(15000, 90000), 0)}`);
        emitted += 1;
      }
      t += int(60, 900) * 1000 + int(1, 999);
    }
    task.last = t;
    if (fate < 0.05) {
      // Cancelled mid-session: the task's other sessions of the future are cancelled too.
      const cancelAt = t - int(30, 50) * 1000;  // the last record was in flight
      add(cancelAt, `"type":"task_cancelled","at":"${at(cancelAt)}","project_id":"${p.id}","task_id":"${task.id}","reason":"Cancelled by user"`);
      task.cancelled = true;
      task.last = t;
      emitted += 1;
    } else if (fate >= 0.09) {
      const done = t + int(30, 300) * 1000;
      add(done, `"type":"session_completed","at":"${at(done)}",${head}`);
      emitted += 1;
      charged += sessionCharged;
      task.last = done;
      if (chance(0.3)) {
        const b = done + int(1, 20) * MIN + 11;
        add(b, `"type":"usage","at":"${at(b)}","project_id":"${p.id}","service":"${chance(0.8) ? 'build' : 'deploy'}","tokens":{"output":${int(100, 1500)},"input_cache_miss":${int(1000, 12000)}}`);
        emitted += 1;
      }
      if (chance(0.05)) {
        const h = done + int(1, 3) * HOUR;
        add(h, `"type":"usage","at":"${at(h)}","project_id":"${p.id}","service":"hosting","tokens":{"output":${int(3000, 20000)},"input_cache_miss":${int(8000, 40000)},"input_cache_hit":${int(20000, 150000)}}`);
        emitted += 1;
      }
      // Buy credits when the paid-for balance runs low, as a customer would (sometimes too late: overdraft).
      if (charged > granted - 2000 * TPC && chance(0.9)) {
        const when = done + int(1, 60) * MIN;
        if (chance(0.5)) {
          add(when, `"type":"credits_purchased","at":"${at(when)}","credits":5000,"pack":"pack_5000"`);
          granted += 5000 * TPC;
        } else {
          const credits = int(1000, 20000);
          add(when, `"type":"credits_purchased","at":"${at(when)}","credits":"${credits}.5"`);
          granted += credits * TPC + 5000;
        }
        emitted += 1;
      }
    }
  }

  raw.sort((a, b) => a.ms - b.ms);
  const digits = Math.max(7, String(raw.length).length);
  const head = JSON.stringify({ format: 'easycoda.ledger/1', account: { id: 'acct_bench', utc_offset: '+08:00' },
    projects: projects.map(({ id, name }) => ({ id, name })) }).slice(0, -1);
  const lines = [`${head},"events":[`];
  for (let i = 0; i < raw.length; i++) {
    lines.push(`{"id":"e${pad(i + 1, digits)}",${raw[i].body}}${i + 1 < raw.length ? ',' : ''}`);
  }
  lines.push(']}');
  return { lines, events: raw.length };
}

/** Writes the ledger to `path`; resolves to {events, bytes}. */
export async function writeLedger(n, path) {
  const { lines, events } = generateLedgerLines(n);
  const out = createWriteStream(path);
  let bytes = 0;
  let chunk = '';
  for (const line of lines) {
    chunk += line + '\n';
    if (chunk.length > 1 << 20) {
      bytes += Buffer.byteLength(chunk);
      if (!out.write(chunk)) await new Promise((r) => out.once('drain', r));
      chunk = '';
    }
  }
  bytes += Buffer.byteLength(chunk);
  out.end(chunk);
  await new Promise((resolve, reject) => { out.on('finish', resolve); out.on('error', reject); });
  return { events, bytes };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [n, path] = [Number(process.argv[2]), process.argv[3]];
  if (!Number.isInteger(n) || n < 100 || !path) {
    console.error('usage: make-ledger.mjs N OUT.json');
    process.exit(2);
  }
  const { events, bytes } = await writeLedger(n, path);
  console.log(`${path}: ${events} events, ${bytes} bytes (${(bytes / events).toFixed(0)} bytes/event)`);
}
