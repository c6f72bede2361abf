// The credit engine in a Web Worker (@easycoda/credits/worker): large ledger files are read and
// answered there, so the page keeps answering clicks while a 100,000-event document loads.
//
// The page's Content-Security-Policy requires Trusted Types for script URLs (a Worker's too):
// the worker is started through the "easycoda-worker" policy, which passes the bundled worker's
// own URL and nothing else.
import workerUrl from '@easycoda/credits/credits-worker.js?worker&url';
import { createCreditWorker, type CreditWorker } from '@easycoda/credits/worker';

interface ScriptUrlPolicy { createScriptURL(url: string): unknown }
interface TrustedTypesFactory { createPolicy(name: string, rules: { createScriptURL(url: string): string }): ScriptUrlPolicy }

let policy: ScriptUrlPolicy | null = null;

function workerScriptUrl(): string {
  const factory = (globalThis as { trustedTypes?: TrustedTypesFactory }).trustedTypes;
  if (!factory) return workerUrl;
  policy ??= factory.createPolicy('easycoda-worker', {
    createScriptURL(url: string): string {
      if (url !== workerUrl) throw new TypeError(`Not the credit worker's script: ${url}`);
      return url;
    },
  });
  // A TrustedScriptURL, which the Worker constructor takes where the DOM types say string.
  return policy.createScriptURL(workerUrl) as string;
}

/** Starts a worker with its own instance of the credit module (the same WebAssembly as the page's). */
export function startCreditWorker(): Promise<CreditWorker> {
  const worker = new Worker(workerScriptUrl(), { type: 'module', name: 'credit-engine' });
  return createCreditWorker({ worker });
}
