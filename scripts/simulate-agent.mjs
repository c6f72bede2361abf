#!/usr/bin/env node
// Plays an agent at work on the demo account, through the server's API (POST /v1/ledger), so a
// person watching the console sees the balance fall and a session go from in progress to charged.
// Every few seconds: an agent_chat usage (DeepSeek's shape, as the demo's), now and then a
// summarization (free), and after a few turns a session_completed, which charges the session.
// Ids are unique per run (the run's start in ms), instants are now, projects are the demo's.
//
//   node scripts/simulate-agent.mjs --url http://127.0.0.1:8787 --token TOKEN [--account acct_demo]
//        [--every-ms 3000] [--steps N]   (N: stop after N posts; default: until stopped)
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
};
const url = arg('url', 'http://127.0.0.1:8787').replace(/\/$/, '');
const token = arg('token', process.env.CREDITS_TOKEN ?? '');
const account = arg('account', 'acct_demo');
const everyMs = Math.max(200, Number(arg('every-ms', '3000')));
const steps = Number(arg('steps', '0'));
if (!token) {
  console.error('usage: simulate-agent.mjs --url URL --token SERVICE_TOKEN [--account ID] [--every-ms MS] [--steps N]');
  process.exit(2);
}

const PROJECTS = ['prj_shop', 'prj_mobile', 'prj_docs', 'prj_pipeline', 'prj_landing'];
const run = Date.now().toString(36);
let counter = 0;
let session = null;

// A deterministic spread of sizes (no Math.random, so a run can be reproduced from its counter).
const spread = (n, low, high) => low + ((n * 7919) % (high - low + 1));

function newSession() {
  const n = counter;
  return { project_id: PROJECTS[n % PROJECTS.length], task_id: `sim-${run}-t${n}`, session_id: `sim-${run}-s${n}`, turns: 0,
    length: 3 + (n % 3) };
}

function usage(kind) {
  counter += 1;
  const at = new Date().toISOString();
  const common = { id: `sim-${run}-e${counter}`, type: 'usage', at, project_id: session.project_id,
    task_id: session.task_id, session_id: session.session_id };
  if (kind === 'summarization') {
    const prompt = spread(counter, 12000, 30000);
    const completion = spread(counter, 800, 2000);
    return { ...common, service: 'summarization', model: 'gpt-4.1-mini', provider_usage: { format: 'openai_chat',
      usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion,
        prompt_tokens_details: { cached_tokens: 0 } } } };
  }
  const hit = spread(counter, 20000, 160000);
  const miss = spread(counter, 2000, 12000);
  const completion = spread(counter, 1500, 9000);
  return { ...common, service: 'agent_chat', model: 'deepseek-chat', provider_usage: { format: 'deepseek',
    usage: { prompt_tokens: hit + miss, completion_tokens: completion, total_tokens: hit + miss + completion,
      prompt_tokens_details: { cached_tokens: hit }, prompt_cache_hit_tokens: hit, prompt_cache_miss_tokens: miss } } };
}

function nextEvent() {
  session ??= newSession();
  session.turns += 1;
  if (session.turns > session.length) {
    counter += 1;
    const done = { id: `sim-${run}-e${counter}`, type: 'session_completed', at: new Date().toISOString(),
      project_id: session.project_id, task_id: session.task_id, session_id: session.session_id };
    session = null;
    return done;
  }
  return usage(session.turns % 3 === 0 ? 'summarization' : 'agent_chat');
}

async function post(event) {
  const body = JSON.stringify({ format: 'easycoda.ledger/1', account: { id: account }, events: [event] });
  const response = await fetch(`${url}/v1/ledger`, { method: 'POST', body, signal: AbortSignal.timeout(10000),
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' } });
  const text = await response.text();
  const what = event.type === 'usage' ? `${event.service} in ${event.project_id}` : `${event.type} (${event.session_id})`;
  console.log(`agent: ${what} -> HTTP ${response.status}${response.ok ? '' : ` ${text.slice(0, 300)}`}`);
}

for (let step = 1; steps === 0 || step <= steps; step++) {
  try {
    await post(nextEvent());
  } catch (error) {
    console.log(`agent: the server did not answer (${error.message}); trying again`);
  }
  await new Promise((resolve) => setTimeout(resolve, everyMs));
}
