// Runs inside Chromium under a strict CSP (no 'unsafe-eval', no inline code):
// imports the module, answers every parity vector on the main thread and the
// demo report in a Web Worker, and leaves the results for the test to read.
import { createCreditEngine, CreditDocumentError } from '/wasm/credits.js';
import { createCreditWorker } from '/wasm/worker-client.js';
import { answerVector } from '/tests/js/answer.mjs';

const violations = [];
document.addEventListener('securitypolicyviolation', (e) => violations.push(`${e.violatedDirective}: ${e.blockedURI}`));

async function text(path) {
  const response = await fetch(`/${path}`);
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  return response.text();
}

async function run() {
  const index = JSON.parse(await text('tests/vectors/expected/index.json'));
  const documents = {};
  const results = [];
  for (const c of Object.values(index)) {
    for (const path of [c.ledger, c.input]) if (path && !(path in documents)) documents[path] = await text(path);
  }
  const started = performance.now();
  const engine = await createCreditEngine();
  const startup_ms = performance.now() - started;
  for (const [name, c] of Object.entries(index)) {
    if (c.command === 'check' && c.ok) continue;
    const got = answerVector(engine, CreditDocumentError, c, documents);
    results.push({ name, ok: got.ok, json: got.json });
  }
  const worker = await createCreditWorker();
  const remote = await worker.load(documents['web/public/demo/ledger.json']);
  const workerReport = await remote.report({ at: '2026-12-01T00:00:00Z' });
  // The report's exact text from the worker (the console digests it for the server's ETag).
  const workerReportText = await remote.reportJson({ at: '2026-12-01T00:00:00Z' });
  // append and checkpoint in the worker: a checkpoint of the demo reports what the demo does,
  // and an appended purchase moves the balance and the summary the page holds.
  const checkpointed = await worker.load(await remote.checkpoint({ at: '2026-11-01T00:00:00Z' }));
  const checkpointReport = await checkpointed.report({ at: '2026-12-01T00:00:00Z', entries: false });
  const eventsBefore = checkpointed.eventCount;
  const appended = await checkpointed.append({ format: 'easycoda.ledger/1', account: { id: remote.accountId },
    events: [{ id: 'worker-buy', type: 'credits_purchased', at: '2026-11-30T00:00:00Z', credits: 100 }] });
  const afterAppend = await checkpointed.report({ at: '2026-12-01T00:00:00Z', entries: false });
  const workerAppend = { appended, eventsBefore, eventsAfter: checkpointed.eventCount,
    checkpointBalance: checkpointReport.balance_tokens, balanceAfter: afterAppend.balance_tokens };
  await checkpointed.delete();
  await remote.delete();
  let workerError = null;
  try {
    await worker.load('{"format": 1}');
  } catch (error) {
    workerError = { isCreditError: error instanceof CreditDocumentError, code: error.errors?.[0]?.code };
  }
  worker.terminate();
  return { results, workerReport, workerReportText, workerAppend, workerError, violations, startup_ms };
}

run().then(
  (value) => { window.__done = { value }; document.getElementById('status').textContent = 'done'; },
  (error) => { window.__done = { error: String(error && error.stack || error) }; },
);
