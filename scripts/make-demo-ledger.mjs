#!/usr/bin/env node
// Writes web/public/demo/ledger.json: the demo account "acct_demo" (utc_offset +08:00),
// about three months of activity (2026-09-01 .. 2026-11-30), meant to be reported at
// 2026-12-01T00:00:00Z. Deterministic: a seeded PRNG, no clock, no dependencies.
//
//   node scripts/make-demo-ledger.mjs            # write the ledger, check it, print a summary
//   node scripts/make-demo-ledger.mjs --check    # check the checked-in ledger only
//
// The self-check asserts the ledger's constraints (spec credit-rules.md §2-§4, §8, §10) and runs a
// small burn-down model of its own (§5-§6) to confirm the story: the September plan grant and the
// 25.5-credit promotion expire with credits unused, nothing overdraws, and the account ends with a
// healthy balance. That model is this script's estimate, not the core's report.

import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const OUT = resolve(HERE, '../web/public/demo/ledger.json');
const CATALOG = resolve(HERE, '../core/data/catalog.example.json');
const RULES = resolve(HERE, '../core/data/rules.default.json');

const ACCOUNT = 'acct_demo';
const OFFSET_MIN = 8 * 60; // +08:00
const REPORT_AT = Date.UTC(2026, 11, 1, 0, 0, 0); // 2026-12-01T00:00:00Z
const TPC = 10000; // tokens per credit

// ---------------------------------------------------------------- PRNG
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
const rng = mulberry32(20260901);
const uni = (a, b) => a + (b - a) * rng();
const int = (a, b) => a + Math.floor(rng() * (b - a + 1));
const chance = (p) => rng() < p;
const pick = (arr) => arr[Math.floor(rng() * arr.length)];
function pickWeighted(items) {
  const total = items.reduce((s, x) => s + x.weight, 0);
  let r = rng() * total;
  for (const x of items) { if ((r -= x.weight) < 0) return x; }
  return items[items.length - 1];
}

// ---------------------------------------------------------------- time
const MIN = 60_000, HOUR = 60 * MIN, DAY = 24 * HOUR;
// A local (+08:00) wall-clock time as epoch ms.
const local = (y, mo, d, h = 0, mi = 0, s = 0, ms = 0) => Date.UTC(y, mo - 1, d, h, mi, s, ms) - OFFSET_MIN * MIN;
const pad = (n, w = 2) => String(n).padStart(w, '0');
function fmtZ(ms) {
  const d = new Date(ms);
  const frac = ms % 1000 ? '.' + pad(ms % 1000, 3) : '';
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}${frac}Z`;
}
function fmtOffset(ms, offMin) {
  const d = new Date(ms + offMin * MIN);
  const sign = offMin < 0 ? '-' : '+';
  const a = Math.abs(offMin);
  const frac = ms % 1000 ? '.' + pad(ms % 1000, 3) : '';
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}${frac}${sign}${pad(Math.floor(a / 60))}:${pad(a % 60)}`;
}
// RFC 3339 -> {ms, off} (minutes). Strict enough for what this script writes.
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;
function parseInstant(s) {
  const m = RFC3339.exec(s);
  if (!m) throw new Error(`bad instant ${s}`);
  const [, y, mo, d, h, mi, se, fr, z] = m;
  const off = /z/i.test(z) ? 0 : (z[0] === '-' ? -1 : 1) * (Number(z.slice(1, 3)) * 60 + Number(z.slice(4, 6)));
  const ms = Date.UTC(+y, +mo - 1, +d, +h, +mi, +se, fr ? Math.floor(Number(fr) * 1000) : 0) - off * MIN;
  const back = new Date(ms + off * MIN);
  if (back.getUTCDate() !== +d || back.getUTCMonth() !== +mo - 1) throw new Error(`no such date ${s}`);
  return { ms, off };
}
// One calendar month after an instant, in the offset it was written in, day clamped (spec §10).
function plusOneMonth(s) {
  const { ms, off } = parseInstant(s);
  const l = new Date(ms + off * MIN);
  let y = l.getUTCFullYear(), mo = l.getUTCMonth() + 1;
  if (mo === 12) { y += 1; mo = 0; }
  const lastDay = new Date(Date.UTC(y, mo + 1, 0)).getUTCDate();
  const day = Math.min(l.getUTCDate(), lastDay);
  return Date.UTC(y, mo, day, l.getUTCHours(), l.getUTCMinutes(), l.getUTCSeconds(), l.getUTCMilliseconds()) - off * MIN;
}

// ---------------------------------------------------------------- projects and models
const PROJECTS = [
  { id: 'prj_shop', name: 'Shop backend', weight: 3 },
  { id: 'prj_mobile', name: 'Mobile app (iOS/Android)', weight: 2.5 },
  { id: 'prj_docs', name: 'Docs & "Guides" <beta>', weight: 1.5 },
  { id: 'prj_pipeline', name: 'Data pipeline', weight: 1.5 },
  { id: 'prj_landing', name: 'Landing page — 2027 launch', weight: 1 },
];
const MODELS = [
  { model: 'claude-sonnet-4-5', format: 'anthropic_messages', weight: 3 },
  { model: 'gpt-5', format: 'openai_responses', reasoning: [0.2, 0.6], weight: 2 },
  { model: 'gpt-4.1', format: 'openai_chat', weight: 1.2 },
  { model: 'o4-mini', format: 'openai_chat', reasoning: [0.3, 0.7], weight: 0.6 },
  { model: 'gemini-2.5-pro', format: 'gemini', reasoning: [0.2, 0.5], weight: 1.5 },
  { model: 'deepseek-chat', format: 'deepseek', weight: 1 },
  { model: 'deepseek-reasoner', format: 'deepseek', reasoning: [0.3, 0.6], weight: 0.5 },
  { model: 'easycoda-agent-1', format: null, weight: 1.5 }, // normalized `tokens`
];
const SUMMARIZERS = [
  { model: 'gpt-4.1-mini', format: 'openai_chat', weight: 2 },
  { model: 'gemini-2.5-flash', format: 'gemini', reasoning: [0, 0.2], weight: 1 },
  { model: 'easycoda-summarizer-1', format: null, weight: 2 },
];

// Builds a realistic provider `usage` payload whose §3 normalization is exactly
// {output, miss, hit}. `hit` is pre-rounded by the caller to what the provider reports.
function providerUsage(m, output, miss, hit) {
  const reasoning = m.reasoning ? Math.round(output * uni(m.reasoning[0], m.reasoning[1])) : 0;
  switch (m.format) {
    case 'openai_chat': {
      const prompt = miss + hit;
      return {
        prompt_tokens: prompt,
        completion_tokens: output,
        total_tokens: prompt + output,
        prompt_tokens_details: { cached_tokens: hit, audio_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: reasoning, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
      };
    }
    case 'openai_responses': {
      const input = miss + hit;
      return {
        input_tokens: input,
        input_tokens_details: { cached_tokens: hit },
        output_tokens: output,
        output_tokens_details: { reasoning_tokens: reasoning },
        total_tokens: input + output,
      };
    }
    case 'anthropic_messages': {
      // Cache writes are misses: split the miss into the uncached tail and the cache write.
      const uncached = miss < 50 ? miss : Math.max(3, Math.round(miss * uni(0.002, 0.08)));
      const creation = miss - uncached;
      return {
        input_tokens: uncached,
        cache_creation_input_tokens: creation,
        cache_read_input_tokens: hit,
        cache_creation: { ephemeral_5m_input_tokens: creation, ephemeral_1h_input_tokens: 0 },
        output_tokens: output,
        service_tier: 'standard',
      };
    }
    case 'gemini': {
      // output = candidates + thoughts; miss = prompt - cached + toolUsePrompt.
      const thoughts = reasoning;
      const candidates = output - thoughts;
      const toolUse = chance(0.35) ? Math.min(Math.floor(miss * uni(0.05, 0.3)), miss) : 0;
      const prompt = miss - toolUse + hit;
      const u = {
        promptTokenCount: prompt,
        candidatesTokenCount: candidates,
        totalTokenCount: prompt + candidates + thoughts + toolUse,
        promptTokensDetails: [{ modality: 'TEXT', tokenCount: prompt }],
      };
      if (hit > 0) {
        u.cachedContentTokenCount = hit;
        u.cacheTokensDetails = [{ modality: 'TEXT', tokenCount: hit }];
      }
      if (thoughts > 0) u.thoughtsTokenCount = thoughts;
      if (toolUse > 0) u.toolUsePromptTokenCount = toolUse;
      return u;
    }
    case 'deepseek': {
      const u = {
        prompt_tokens: miss + hit,
        completion_tokens: output,
        total_tokens: miss + hit + output,
        prompt_tokens_details: { cached_tokens: hit },
        prompt_cache_hit_tokens: hit,
        prompt_cache_miss_tokens: miss,
      };
      if (reasoning) u.completion_tokens_details = { reasoning_tokens: reasoning };
      return u;
    }
    default:
      throw new Error(`format ${m.format}`);
  }
}
// Providers report cache hits in blocks: OpenAI 128 tokens, DeepSeek 64.
function roundHit(format, hit) {
  if (format === 'openai_chat' || format === 'openai_responses') return hit < 1024 ? 0 : Math.floor(hit / 128) * 128;
  if (format === 'deepseek') return Math.floor(hit / 64) * 64;
  return hit;
}
function usagePayload(m, output, miss, hit) {
  hit = roundHit(m.format, hit);
  if (!m.format) {
    const t = {};
    if (output) t.output = output;
    if (miss) t.input_cache_miss = miss;
    if (hit) t.input_cache_hit = hit;
    return { tokens: t };
  }
  return { provider_usage: { format: m.format, usage: providerUsage(m, output, miss, hit) } };
}

// ---------------------------------------------------------------- event collection
const raw = []; // {ms, seq, ev} — ids are assigned after sorting by time
let seq = 0;
function add(ms, ev) {
  if (!Number.isInteger(ms)) throw new Error('non-integer ms');
  raw.push({ ms, seq: seq++, ev });
}
const at = (ms) => fmtZ(ms);

// Grants and billing.
const OPENED = Date.UTC(2026, 8, 1, 2, 15, 0); // 10:15 local
add(OPENED, { type: 'account_opened', at: at(OPENED) });
add(Date.UTC(2026, 8, 3), {
  type: 'subscription_billed', at: '2026-09-03T00:00:00Z', account_id: ACCOUNT, plan: 'standard', outcome: 'succeeded',
  period_start: '2026-09-03T00:00:00Z', period_end: '2026-10-03T00:00:00Z',
});
add(Date.UTC(2026, 8, 10, 4, 12, 9), {
  type: 'credits_purchased', at: '2026-09-10T04:12:09Z', account_id: ACCOUNT, credits: 1000, pack: 'pack_1000',
});
// Written in +08:00; period_end omitted -> one calendar month in +08:00 = 2026-11-03T00:00:00Z.
add(Date.UTC(2026, 9, 3), {
  type: 'subscription_billed', at: '2026-10-03T08:00:00+08:00', account_id: ACCOUNT, plan: 'standard', outcome: 'succeeded',
  period_start: '2026-10-03T08:00:00+08:00',
});
add(Date.UTC(2026, 10, 3), {
  type: 'subscription_billed', at: '2026-11-03T00:00:00Z', account_id: ACCOUNT, plan: 'standard', outcome: 'failed',
});
const PROMO1_AT = Date.UTC(2026, 10, 3, 6, 30, 0);
const PROMO1_EXP = '2026-11-09T16:00:00Z'; // 2026-11-10 00:00 local
add(PROMO1_AT, {
  type: 'credits_granted', at: at(PROMO1_AT), credits: '25.5', expires_at: PROMO1_EXP,
  reason: 'Support goodwill: renewal card declined on Nov 3, sorry for the interruption',
});
add(Date.UTC(2026, 10, 5), {
  type: 'subscription_billed', at: '2026-11-05T00:00:00Z', account_id: ACCOUNT, plan: 'standard', outcome: 'succeeded',
  period_start: '2026-11-05T00:00:00Z', period_end: '2026-12-05T00:00:00Z', credits: 2000,
});
const PROMO2_AT = Date.UTC(2026, 10, 27, 1, 0, 0);
const PROMO2_EXP = '2026-12-03T16:00:00Z'; // 2026-12-04 00:00 local
add(PROMO2_AT, {
  type: 'credits_granted', at: at(PROMO2_AT), credits: 60, expires_at: PROMO2_EXP, reason: 'Black Friday bonus credits',
});

// ---------------------------------------------------------------- sessions
const tasks = new Map(); // `${project}/${task}` -> {project, id, sessions, closed}
const taskCounter = new Map(PROJECTS.map((p) => [p.id, 0]));
function newTask(project) {
  const n = taskCounter.get(project) + 1;
  taskCounter.set(project, n);
  const t = { project, id: `t${n}`, sessions: 0, closed: false };
  tasks.set(`${project}/${t.id}`, t);
  return t;
}
function taskFor(project) {
  const open = [...tasks.values()].filter((t) => t.project === project && !t.closed && t.sessions < 4);
  if (open.length && chance(0.45)) return open[open.length - 1];
  for (const t of open) t.closed = true; // an old task the user moved on from
  return newTask(project);
}

// Emits the agent_chat records of one session; returns the time of the last record.
// `credits` is the session's charged target (output + cache-miss input).
function sessionRecords(project, task, session, model, start, credits, opts = {}) {
  const target = Math.round(credits * TPC);
  const n = opts.records ?? Math.max(2, Math.min(10, Math.round(2 + credits / 3.5 + uni(-1, 1.5))));
  const w = Array.from({ length: n }, () => uni(0.5, 1.5));
  const ws = w.reduce((a, b) => a + b, 0);
  let t = start;
  const times = [];
  let given = 0;
  for (let i = 0; i < n; i++) {
    const charged = i === n - 1 ? target - given : Math.round((target * w[i]) / ws);
    given += charged;
    const output = Math.max(1, Math.round(charged * uni(0.22, 0.45)));
    const miss = charged - output;
    const hit = i === 0 ? Math.round(miss * uni(0, 1.5)) : Math.round(miss * uni(5, 20));
    const ev = { type: 'usage', at: at(t), project_id: project, service: 'agent_chat', task_id: task, session_id: session, model: model.model, ...usagePayload(model, output, miss, hit) };
    add(t, ev);
    times.push(t);
    t += int(90, 25 * 60) * 1000 + int(1, 999);
  }
  return times;
}
function summarization(project, task, session, t, size = 1) {
  const m = pickWeighted(SUMMARIZERS);
  const output = int(600, 2400);
  const miss = Math.round(int(15000, 90000) * size);
  const hit = chance(0.5) ? Math.round(miss * uni(0.5, 4)) : 0;
  const ev = { type: 'usage', at: at(t), project_id: project, service: 'summarization' };
  if (task) Object.assign(ev, { task_id: task, session_id: session });
  ev.model = m.model;
  Object.assign(ev, usagePayload(m, output, miss, hit));
  add(t, ev);
}
// A whole session: records, maybe summarization during/after, completion (unless pending).
function session(projectId, task, start, credits, { complete = true, model } = {}) {
  task.sessions += 1;
  const sid = `s${task.sessions}`;
  model ??= pickWeighted(MODELS);
  const times = sessionRecords(projectId, task.id, sid, model, start, credits);
  const last = times[times.length - 1];
  if (times.length >= 5 && chance(0.5)) {
    const i = int(2, times.length - 2);
    summarization(projectId, task.id, sid, times[i] + int(5, 60) * 1000 + 7);
  }
  let done = null;
  if (complete) {
    done = last + int(30, 600) * 1000 + int(1, 999);
    add(done, { type: 'session_completed', at: at(done), project_id: projectId, task_id: task.id, session_id: sid });
    if (chance(0.25)) summarization(projectId, task.id, sid, done + int(2, 50) * MIN + 3, 0.6); // after completion: allowed
    if (chance(0.3)) otherService(projectId, 'build', done + int(1, 20) * MIN + 11);
    if (chance(0.12)) otherService(projectId, 'deploy', done + int(25, 60) * MIN + 13);
  }
  return { sid, times, done };
}
function otherService(projectId, service, t) {
  const tok = {
    build: () => ({ output: int(200, 1500), input_cache_miss: int(2000, 12000) }),
    deploy: () => ({ output: int(100, 600), input_cache_miss: int(1000, 5000) }),
    hosting: () => ({ output: int(3000, 20000), input_cache_miss: int(8000, 40000), input_cache_hit: int(20000, 150000) }),
  }[service]();
  add(t, { type: 'usage', at: at(t), project_id: projectId, service, tokens: tok });
}
const logCredits = (a, b) => Math.exp(uni(Math.log(a), Math.log(b)));
const round2 = (x) => Math.round(x * 100) / 100;

// Scenarios on fixed dates, run inside the day loop so task numbers stay chronological.
const SCENARIOS = {
  // A: a task cancelled mid-session. Usage before the cancel, the cancel, and one in-flight response
  // that arrives after it. Never charged (seed: "if you cancel a task mid-session ...").
  '2026-09-22': () => {
    const task = newTask('prj_shop');
    task.closed = true;
    task.sessions = 1;
    const model = MODELS.find((m) => m.model === 'claude-sonnet-4-5');
    const times = sessionRecords('prj_shop', task.id, 's1', model, local(2026, 9, 22, 14, 0, 12, 250), 6.4, { records: 4 });
    summarization('prj_shop', task.id, 's1', times[1] + 40_000 + 9);
    const cancel = times[3] - 21_437; // the last record is a response already in flight at the cancel
    add(cancel, { type: 'task_cancelled', at: at(cancel), project_id: 'prj_shop', task_id: task.id, reason: 'Cancelled by user: wrong branch, the refactor was started on a stale checkout' });
    if (!(times[2] < cancel && cancel < times[3])) throw new Error('scenario A: the cancel must fall between the last two records');
  },
  // B: s1 completes on Oct 20 (stays charged); s2 is cancelled with its task on Oct 21.
  '2026-10-20': () => {
    const task = newTask('prj_mobile');
    task.closed = true;
    const gpt5 = MODELS.find((m) => m.model === 'gpt-5');
    task.sessions = 1;
    const t1 = sessionRecords('prj_mobile', task.id, 's1', gpt5, local(2026, 10, 20, 15, 10, 3, 400), 11.8, { records: 5 });
    const done = t1.at(-1) + 240_000 + 17;
    add(done, { type: 'session_completed', at: at(done), project_id: 'prj_mobile', task_id: task.id, session_id: 's1' });
    task.sessions = 2;
    const t2 = sessionRecords('prj_mobile', task.id, 's2', gpt5, local(2026, 10, 21, 10, 5, 44, 80), 7.3, { records: 3 });
    const cancel = t2.at(-1) + 300_000;
    add(cancel, { type: 'task_cancelled', at: at(cancel), project_id: 'prj_mobile', task_id: task.id, reason: 'Requirements changed: push notifications moved to next quarter' });
  },
  // C: sessions still in progress at 2026-12-01T00:00:00Z (pending, not charged yet).
  '2026-11-29': () => {
    const t = newTask('prj_docs');
    t.closed = true;
    session('prj_docs', t, local(2026, 11, 29, 20, 14, 9, 500), 4.2, { complete: false, model: MODELS.find((m) => m.model === 'gemini-2.5-pro') });
  },
  '2026-11-30': () => {
    const u = newTask('prj_pipeline');
    u.closed = true;
    // Late-night session: its last records fall on 2026-12-01 in +08:00, still before the report instant.
    const { times } = session('prj_pipeline', u, local(2026, 11, 30, 23, 20, 31, 120), 9.6, { complete: false, model: MODELS.find((m) => m.model === 'deepseek-chat') });
    if (!(times.at(-1) < REPORT_AT)) throw new Error('scenario C: pending usage must precede the report instant');
  },
};

// Day-by-day activity, 2026-09-01 .. 2026-11-30 (local dates).
for (let day = Date.UTC(2026, 8, 1); day <= Date.UTC(2026, 10, 30); day += DAY) {
  const d = new Date(day);
  const y = d.getUTCFullYear(), mo = d.getUTCMonth() + 1, dd = d.getUTCDate();
  const key = `${y}-${pad(mo)}-${pad(dd)}`;
  const weekend = d.getUTCDay() === 0 || d.getUTCDay() === 6;
  let count = weekend ? (chance(0.45) ? 1 : 0) : pick([0, 1, 1, 1, 2, 2]);
  let range = [0.6, 28];
  const quietWeek = day >= Date.UTC(2026, 10, 3) && day <= Date.UTC(2026, 10, 9); // card declined, promo active
  const blackFriday = day >= Date.UTC(2026, 10, 27);
  if (quietWeek) { count = Math.min(count, 1); range = [0.5, 2.5]; }
  if (blackFriday) { count = Math.min(count, 1); range = [1, 9]; }
  if (SCENARIOS[key]) { SCENARIOS[key](); count = Math.min(count, 1); }
  if (key === '2026-10-21') count = Math.min(count, 1);
  let hour = int(9, 12);
  for (let i = 0; i < count; i++) {
    const start = local(y, mo, dd, hour, int(0, 59), int(0, 59), int(0, 999));
    if (start <= OPENED + 30 * MIN) continue;
    const project = pickWeighted(PROJECTS).id;
    const { times, done } = session(project, taskFor(project), start, round2(logCredits(range[0], range[1])));
    hour = Math.min(23, new Date((done ?? times.at(-1)) + OFFSET_MIN * MIN).getUTCHours() + int(1, 3));
    if (hour >= 23) break;
  }
}

// Hosting: the shop backend and the landing page are deployed; metered hosting reports weekly (Mondays 00:30 local).
for (let day = local(2026, 9, 7, 0, 30); day < REPORT_AT; day += 7 * DAY) {
  otherService('prj_shop', 'hosting', day);
  if (day >= local(2026, 10, 12)) otherService('prj_landing', 'hosting', day + 5 * MIN);
}
// A deploy of the docs site on the day it went public.
otherService('prj_docs', 'deploy', local(2026, 10, 15, 18, 42, 5));

// ---------------------------------------------------------------- assemble
raw.sort((a, b) => a.ms - b.ms || a.seq - b.seq);
const events = raw.map((r, i) => {
  const { type, ...rest } = r.ev;
  return { id: `e${pad(i + 1, 4)}`, type, ...rest };
});
const ledger = {
  format: 'easycoda.ledger/1',
  account: { id: ACCOUNT, utc_offset: '+08:00' },
  projects: PROJECTS.map(({ id, name }) => ({ id, name })),
  events,
};

const checkOnly = process.argv.includes('--check');
if (!checkOnly) {
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, JSON.stringify(ledger, null, 2) + '\n');
}
selfCheck(checkOnly ? JSON.parse(readFileSync(OUT, 'utf8')) : ledger);

// ---------------------------------------------------------------- self-check
function selfCheck(doc) {
  const problems = [];
  const fail = (msg) => problems.push(msg);
  const catalog = JSON.parse(readFileSync(CATALOG, 'utf8'));
  const rules = JSON.parse(readFileSync(RULES, 'utf8'));

  const ALLOWED = {
    account_opened: [[], []],
    subscription_billed: [['plan', 'outcome'], ['period_start', 'period_end', 'credits']],
    credits_purchased: [['credits'], ['pack']],
    credits_granted: [['credits'], ['expires_at', 'reason']],
    usage: [['project_id', 'service'], ['tokens', 'provider_usage', 'task_id', 'session_id', 'model']],
    session_completed: [['project_id', 'task_id', 'session_id'], []],
    task_cancelled: [['project_id', 'task_id'], ['reason']],
  };
  const INT = (v) => Number.isSafeInteger(v) && v >= 0;
  const CREDITS = (v) => (Number.isSafeInteger(v) && v > 0) || (typeof v === 'string' && /^(0|[1-9][0-9]*)(\.[0-9]{1,4})?$/.test(v) && Number(v) > 0);
  const creditsToTokens = (v) => {
    const [w, f = ''] = String(v).split('.');
    return Number(w) * TPC + Number((f + '0000').slice(0, 4));
  };

  if (doc.format !== 'easycoda.ledger/1') fail('format');
  if (doc.account?.id !== ACCOUNT || doc.account?.utc_offset !== '+08:00') fail('account');
  const projectIds = new Set(doc.projects.map((p) => p.id));
  if (projectIds.size !== doc.projects.length) fail('duplicate project id');
  if (!doc.projects.some((p) => /[&"<>]/.test(p.name))) fail('no project name needing HTML escaping');

  const ids = new Set();
  const opened = doc.events.filter((e) => e.type === 'account_opened');
  if (opened.length !== 1) fail('exactly one account_opened');
  const openMs = parseInstant(opened[0].at).ms;
  const T = (e) => parseInstant(e.at).ms;
  const counts = {}, formats = {}, services = {};
  const sessions = new Map(); // key -> {usage: [ms], completed, charged}
  const cancels = new Map(); // project/task -> earliest ms
  const key3 = (e) => `${e.project_id}/${e.task_id}/${e.session_id}`;
  const key2 = (e) => `${e.project_id}/${e.task_id}`;
  const norm = (e) => {
    if (e.tokens) {
      for (const [k, v] of Object.entries(e.tokens)) {
        if (!['output', 'input_cache_miss', 'input_cache_hit'].includes(k)) fail(`${e.id}: tokens.${k}`);
        if (!INT(v)) fail(`${e.id}: tokens.${k} not a token count`);
      }
      return { out: e.tokens.output ?? 0, miss: e.tokens.input_cache_miss ?? 0, hit: e.tokens.input_cache_hit ?? 0 };
    }
    const { format, usage: u } = e.provider_usage;
    formats[format] = (formats[format] ?? 0) + 1;
    const n = (v) => v ?? 0;
    let r;
    switch (format) {
      case 'openai_chat': {
        const c = n(u.prompt_tokens_details?.cached_tokens);
        if (c > u.prompt_tokens) fail(`${e.id}: cached above prompt`);
        if (u.total_tokens !== u.prompt_tokens + u.completion_tokens) fail(`${e.id}: openai total`);
        if (n(u.completion_tokens_details?.reasoning_tokens) > u.completion_tokens) fail(`${e.id}: reasoning above completion`);
        r = { out: n(u.completion_tokens), miss: n(u.prompt_tokens) - c, hit: c };
        break;
      }
      case 'openai_responses': {
        const c = n(u.input_tokens_details?.cached_tokens);
        if (c > u.input_tokens) fail(`${e.id}: cached above input`);
        if (u.total_tokens !== u.input_tokens + u.output_tokens) fail(`${e.id}: responses total`);
        if (n(u.output_tokens_details?.reasoning_tokens) > u.output_tokens) fail(`${e.id}: reasoning above output`);
        r = { out: n(u.output_tokens), miss: n(u.input_tokens) - c, hit: c };
        break;
      }
      case 'anthropic_messages':
        r = { out: n(u.output_tokens), miss: n(u.input_tokens) + n(u.cache_creation_input_tokens), hit: n(u.cache_read_input_tokens) };
        break;
      case 'gemini': {
        const c = n(u.cachedContentTokenCount);
        if (c > u.promptTokenCount) fail(`${e.id}: gemini cached above prompt`);
        const total = n(u.promptTokenCount) + n(u.candidatesTokenCount) + n(u.thoughtsTokenCount) + n(u.toolUsePromptTokenCount);
        if (u.totalTokenCount !== total) fail(`${e.id}: gemini total`);
        r = { out: n(u.candidatesTokenCount) + n(u.thoughtsTokenCount), miss: n(u.promptTokenCount) - c + n(u.toolUsePromptTokenCount), hit: c };
        break;
      }
      case 'deepseek':
        if (u.prompt_cache_hit_tokens + u.prompt_cache_miss_tokens !== u.prompt_tokens) fail(`${e.id}: deepseek hit+miss != prompt`);
        if (u.total_tokens !== u.prompt_tokens + u.completion_tokens) fail(`${e.id}: deepseek total`);
        r = { out: n(u.completion_tokens), miss: n(u.prompt_cache_miss_tokens), hit: n(u.prompt_cache_hit_tokens) };
        break;
      default:
        fail(`${e.id}: unknown provider format ${format}`);
        return { out: 0, miss: 0, hit: 0 };
    }
    for (const [k, v] of Object.entries(r)) if (!INT(v)) fail(`${e.id}: ${format} normalizes to bad ${k}=${v}`);
    return r;
  };

  let prevMs = -Infinity;
  const grants = [];
  let planBillings = 0;
  for (const e of doc.events) {
    counts[e.type] = (counts[e.type] ?? 0) + 1;
    if (ids.has(e.id)) fail(`duplicate id ${e.id}`);
    ids.add(e.id);
    if (!/^e\d{4}$/.test(e.id)) fail(`id ${e.id}`);
    const spec = ALLOWED[e.type];
    if (!spec) { fail(`${e.id}: unknown type ${e.type}`); continue; }
    const [req, opt] = spec;
    for (const f of Object.keys(e)) if (!['id', 'type', 'at', 'account_id', ...req, ...opt].includes(f)) fail(`${e.id}: unknown field ${f}`);
    for (const f of req) if (e[f] === undefined) fail(`${e.id}: missing ${f}`);
    if (e.account_id !== undefined && e.account_id !== doc.account.id) fail(`${e.id}: account_id`);
    const ms = T(e);
    if (ms < prevMs) fail(`${e.id}: events not listed in time order`);
    prevMs = ms;
    if (e.type !== 'account_opened' && !(ms > openMs)) fail(`${e.id}: not after account_opened`);
    if (!(ms < REPORT_AT)) fail(`${e.id}: not before the report instant`);
    if (e.project_id !== undefined && !projectIds.has(e.project_id)) fail(`${e.id}: project ${e.project_id} not listed`);
    for (const f of ['expires_at', 'period_end']) if (e[f] !== undefined && !(parseInstant(e[f]).ms > ms)) fail(`${e.id}: ${f} not after at`);

    switch (e.type) {
      case 'account_opened':
        grants.push({ id: e.id, source: 'signup', at: ms, exp: null, tokens: rules.signup_credits * TPC });
        break;
      case 'subscription_billed': {
        const plan = catalog.plans.find((p) => p.id === e.plan);
        if (!plan) fail(`${e.id}: unknown plan`);
        if (!['succeeded', 'failed'].includes(e.outcome)) fail(`${e.id}: outcome`);
        if (e.outcome === 'succeeded') {
          planBillings++;
          const exp = e.period_end ? parseInstant(e.period_end).ms : plusOneMonth(e.period_start ?? e.at);
          grants.push({ id: e.id, source: 'plan', at: ms, exp, tokens: (e.credits ?? plan.monthly_credits) * TPC });
        }
        break;
      }
      case 'credits_purchased':
        if (!CREDITS(e.credits)) fail(`${e.id}: credits`);
        if (e.pack && !catalog.packs.some((p) => p.id === e.pack)) fail(`${e.id}: unknown pack`);
        grants.push({ id: e.id, source: 'purchase', at: ms, exp: null, tokens: creditsToTokens(e.credits) });
        break;
      case 'credits_granted':
        if (!CREDITS(e.credits)) fail(`${e.id}: credits`);
        grants.push({ id: e.id, source: 'promotion', at: ms, exp: e.expires_at ? parseInstant(e.expires_at).ms : null, tokens: creditsToTokens(e.credits) });
        break;
      case 'usage': {
        if (!!e.tokens === !!e.provider_usage) fail(`${e.id}: exactly one of tokens / provider_usage`);
        const r = norm(e);
        services[e.service] = (services[e.service] ?? 0) + 1;
        if (e.service === 'agent_chat') {
          if (!e.task_id || !e.session_id) fail(`${e.id}: agent_chat needs task_id and session_id`);
          const k = key3(e);
          const s = sessions.get(k) ?? { usage: [], completed: null, charged: 0, hit: 0, records: 0 };
          sessions.set(k, s);
          if (s.completed !== null) fail(`${e.id}: agent_chat usage after its session completed`);
          s.usage.push(ms);
          s.charged += r.out + r.miss;
          s.hit += r.hit;
          s.records += 1;
        } else if (e.service !== 'summarization' && (e.task_id || e.session_id)) {
          fail(`${e.id}: other services carry no task/session in this demo`);
        }
        break;
      }
      case 'session_completed': {
        const k = key3(e);
        const s = sessions.get(k);
        if (!s) fail(`${e.id}: completion of a session without usage`);
        else if (s.completed !== null) fail(`${e.id}: session completes twice`);
        else s.completed = ms;
        if (cancels.has(key2(e))) fail(`${e.id}: completion after its task was cancelled`);
        break;
      }
      case 'task_cancelled':
        if (!cancels.has(key2(e))) cancels.set(key2(e), ms);
        break;
    }
  }
  const n = doc.events.length;
  if (n < 300 || n > 600) fail(`event count ${n} outside 300..600`);
  for (const f of ['openai_chat', 'openai_responses', 'anthropic_messages', 'gemini', 'deepseek']) if (!formats[f]) fail(`no ${f} record`);
  for (const s of ['agent_chat', 'summarization', 'build', 'deploy', 'hosting']) if (!services[s]) fail(`no ${s} record`);
  if (planBillings !== 3 || counts.subscription_billed !== 4) fail('billing story');

  // Session fates at the report instant.
  const fate = new Map();
  for (const [k, s] of sessions) {
    const task = k.split('/').slice(0, 2).join('/');
    const c = cancels.get(task);
    if (s.completed !== null && (c === undefined || s.completed <= c)) fate.set(k, 'completed');
    else if (c !== undefined) fate.set(k, 'cancelled');
    else fate.set(k, 'pending');
  }
  const byFate = (f) => [...fate].filter(([, v]) => v === f).map(([k]) => k);
  if (byFate('pending').length < 2) fail('need at least two sessions in progress at the report instant');
  const cancelled = byFate('cancelled');
  if (!cancelled.some((k) => { const s = sessions.get(k); const c = cancels.get(k.split('/').slice(0, 2).join('/')); return s.usage.some((u) => u < c) && s.usage.some((u) => u > c); }))
    fail('need a session cancelled mid-session with usage before and after the cancel');
  if (![...cancels].some(([task]) => byFate('completed').some((k) => k.startsWith(task + '/'))))
    fail('need a cancelled task with an already-completed session');
  for (const k of byFate('completed')) {
    const s = sessions.get(k);
    const c = s.charged / TPC;
    if (c < 0.5 || c > 30) fail(`session ${k} costs ${c} credits, outside 0.5..30`);
    if (s.usage.some((u) => !(u < s.completed))) fail(`session ${k}: usage not before completion`);
  }

  // Burn-down model (§5-§7): charge completed sessions at completion; apply expiries.
  const ledgerEvents = [];
  for (const g of grants) {
    g.used = 0; g.expired = 0; g.remaining = 0; g.live = false;
    ledgerEvents.push({ ms: g.at, kind: 1, g });
    if (g.exp !== null) ledgerEvents.push({ ms: g.exp, kind: 0, g });
  }
  for (const k of byFate('completed')) ledgerEvents.push({ ms: sessions.get(k).completed, kind: 2, k });
  ledgerEvents.sort((a, b) => a.ms - b.ms || a.kind - b.kind);
  const free = (g) => (g.source === 'signup' || g.source === 'promotion' ? 0 : 1);
  const order = (a, b) => (a.exp ?? Infinity) - (b.exp ?? Infinity) || free(a) - free(b) || a.at - b.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  let overdraft = 0, charged = 0;
  for (const le of ledgerEvents) {
    if (le.ms > REPORT_AT) continue; // events at T itself still apply
    if (le.kind === 0 && le.g.live) { le.g.expired = le.g.remaining; le.g.remaining = 0; le.g.live = false; }
    if (le.kind === 1) { le.g.live = true; le.g.remaining = le.g.tokens; }
    if (le.kind === 2) {
      let need = sessions.get(le.k).charged;
      charged += need;
      for (const g of grants.filter((g) => g.live).sort(order)) {
        const take = Math.min(need, g.remaining);
        g.remaining -= take; g.used += take; need -= take;
      }
      overdraft += need;
    }
  }
  const balance = grants.reduce((s, g) => s + (g.live ? g.remaining : 0), 0) - overdraft;
  const byId = (src, i = 0) => grants.filter((g) => g.source === src)[i];
  if (overdraft) fail('the demo overdraws');
  if (!(byId('plan', 0).expired > 0)) fail('September plan grant should expire with credits unused');
  if (!(byId('promotion', 0).expired > 0)) fail('the 25.5-credit promotion should expire with credits unused');
  if (!(byId('promotion', 1).remaining > 0)) fail('the second promotion should still have credits at the report instant');
  if (!(byId('signup').used > 0)) fail('the signup grant should pay for something');
  if (!(balance > 1000 * TPC)) fail('the balance at the report instant should be healthy');

  // Summary.
  const cr = (t) => (t / TPC).toFixed(4);
  console.log(`ledger: ${checkOnly ? 'checked' : 'wrote'} ${OUT}`);
  console.log(`events: ${n}`);
  console.log('per type:     ', JSON.stringify(counts));
  console.log('per service:  ', JSON.stringify(services));
  console.log('per format:   ', JSON.stringify({ ...formats, tokens: doc.events.filter((e) => e.tokens).length }));
  console.log(`sessions: ${sessions.size} (completed ${byFate('completed').length}, cancelled ${cancelled.length}, pending ${byFate('pending').length}); cancellations: ${counts.task_cancelled ?? 0}`);
  const sumHit = [...sessions.values()].reduce((s, x) => s + x.hit, 0);
  const sumMiss = [...sessions.values()].reduce((s, x) => s + x.charged, 0);
  console.log(`agent_chat: output+miss ${cr(sumMiss)} credits, cache hits ${cr(sumHit)} credits`);
  console.log(`burn-down estimate at ${fmtZ(REPORT_AT)} (this script's model, not the core's report):`);
  for (const g of grants) {
    console.log(`  ${g.id} ${g.source.padEnd(9)} at ${fmtZ(g.at)} expires ${g.exp === null ? 'never               ' : fmtZ(g.exp)}  granted ${cr(g.tokens).padStart(10)}  used ${cr(g.used).padStart(10)}  expired ${cr(g.expired).padStart(10)}  remaining ${cr(g.remaining).padStart(10)}`);
  }
  const next = grants.filter((g) => g.live && g.remaining > 0 && g.exp !== null && g.exp > REPORT_AT).sort((a, b) => a.exp - b.exp);
  const nextAt = next.length ? next[0].exp : null;
  console.log(`  charged ${cr(charged)}  overdraft ${cr(overdraft)}  balance ${cr(balance)} credits`);
  console.log(`  expires next: ${nextAt === null ? 'nothing' : `${cr(next.filter((g) => g.exp === nextAt).reduce((s, g) => s + g.remaining, 0))} credits at ${fmtZ(nextAt)}`}`);
  if (problems.length) {
    console.error(`SELF-CHECK FAILED (${problems.length}):\n  ` + problems.join('\n  '));
    process.exit(1);
  }
  console.log('self-check: ok');
}
