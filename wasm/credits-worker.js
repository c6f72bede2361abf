// Web Worker entry: runs the credit engine off the page's main thread, so a
// 100,000-event ledger is read without freezing the page. Spoken to by
// createCreditWorker() in worker-client.js; messages are {id, op, args}.
import { createCreditEngine, CreditDocumentError } from './credits.js';

let engine = null;
const ledgers = new Map();
let nextHandle = 1;

function ledgerOf(handle) {
  const ledger = ledgers.get(handle);
  if (!ledger) throw new Error(`No ledger with handle ${handle}; it was deleted.`);
  return ledger;
}

function summaryOf(ledger) {
  return { accountId: ledger.accountId, utcOffset: ledger.utcOffset, openedAt: ledger.openedAt,
    lastEventAt: ledger.lastEventAt, eventCount: ledger.eventCount, projects: ledger.projects };
}

const operations = {
  async init(options) {
    engine = await createCreditEngine(options ?? {});
    return { catalog: engine.catalog };
  },
  load(document) {
    const ledger = engine.load(document);
    const handle = nextHandle++;
    ledgers.set(handle, ledger);
    return { handle, ...summaryOf(ledger) };
  },
  // The page's copy of the summary changes with the ledger: it is sent back with the result.
  append(handle, fragment) {
    const ledger = ledgerOf(handle);
    const result = ledger.append(fragment);
    return { result, summary: summaryOf(ledger) };
  },
  checkpoint(handle, query) { return ledgerOf(handle).checkpoint(query); },
  report(handle, query) { return ledgerOf(handle).report(query); },
  reportJson(handle, query) { return ledgerOf(handle).reportJson(query); },
  entries(handle, query) { return ledgerOf(handle).entries(query); },
  project(handle, projectId, query) { return ledgerOf(handle).project(projectId, query); },
  forecast(handle, query) { return ledgerOf(handle).forecast(query); },
  delete(handle) {
    ledgers.get(handle)?.delete();
    ledgers.delete(handle);
    return null;
  },
  quote(input) { return engine.quote(input); },
  tokensToCredits(tokens) { return engine.tokensToCredits(tokens); },
  creditsToTokens(credits) { return engine.creditsToTokens(credits); },
};

self.onmessage = async (event) => {
  const { id, op, args } = event.data;
  try {
    if (!Object.hasOwn(operations, op)) throw new Error(`Unknown operation ${op}`);
    if (op !== 'init' && !engine) throw new Error('The engine is not initialised.');
    const result = await operations[op](...(args ?? []));
    self.postMessage({ id, ok: true, result });
  } catch (error) {
    const errors = error instanceof CreditDocumentError ? error.errors : null;
    self.postMessage({ id, ok: false, error: { name: error.name, message: error.message, errors } });
  }
};
