// The page's side of the credit engine worker: the same questions as
// credits.js, answered asynchronously by credits-worker.js.
import { CreditDocumentError } from './credits.js';

export async function createCreditWorker(options = {}) {
  const worker = options.worker ?? new Worker(new URL('./credits-worker.js', import.meta.url), { type: 'module' });
  const pending = new Map();
  let nextId = 1;
  worker.onmessage = (event) => {
    const { id, ok, result, error } = event.data;
    const call = pending.get(id);
    if (!call) return;
    pending.delete(id);
    if (ok) call.resolve(result);
    else if (error.errors) call.reject(new CreditDocumentError(error.errors));
    else call.reject(Object.assign(new Error(error.message), { name: error.name }));
  };
  worker.onerror = (event) => {
    for (const call of pending.values()) call.reject(new Error(`The credit worker failed: ${event.message ?? 'unknown error'}`));
    pending.clear();
  };
  const call = (op, args = [], transfer = []) => new Promise((resolve, reject) => {
    const id = nextId++;
    pending.set(id, { resolve, reject });
    worker.postMessage({ id, op, args }, transfer);
  });

  const { wasmBinary, locateFile, worker: _ignored, ...documents } = options;
  const { catalog } = await call('init', [{ ...documents, ...(wasmBinary ? { wasmBinary } : {}) }]);

  return {
    catalog,
    async load(document) {
      // Bytes are transferred, not copied, to the worker.
      const transfer = document instanceof ArrayBuffer ? [document] : [];
      const info = await call('load', [document], transfer);
      const { handle, ...summary } = info;
      const remote = {
        ...summary,
        async append(fragment) {
          const { result, summary: after } = await call('append', [handle, fragment]);
          Object.assign(remote, after);  // eventCount, lastEventAt, projects follow the ledger
          return result;
        },
        checkpoint: (query) => call('checkpoint', [handle, query]),
        report: (query) => call('report', [handle, query]),
        reportJson: (query) => call('reportJson', [handle, query]),
        entries: (query) => call('entries', [handle, query]),
        project: (projectId, query) => call('project', [handle, projectId, query]),
        forecast: (query) => call('forecast', [handle, query]),
        delete: () => call('delete', [handle]),
      };
      return remote;
    },
    quote: (input) => call('quote', [input]),
    tokensToCredits: (tokens) => call('tokensToCredits', [tokens]),
    creditsToTokens: (credits) => call('creditsToTokens', [credits]),
    terminate() {
      worker.terminate();
      for (const p of pending.values()) p.reject(new Error('The credit worker was terminated.'));
      pending.clear();
    },
  };
}
