// Runs inside Chromium under the console's strict CSP (so timings are the console's): the driver
// (bench-chromium.mjs) calls window.benchDocument / window.benchQuote through
// page.evaluate, one document at a time; timings are taken inside the page.
import { createCreditEngine } from '/wasm/credits.js';
import { benchAppend, benchDocument, benchQuote } from '/tests/bench/wasm-bench.mjs';

const violations = [];
document.addEventListener('securitypolicyviolation', (e) => violations.push(`${e.violatedDirective}: ${e.blockedURI}`));

window.benchDocument = async (url, options) => {
  let t = performance.now();
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  const fetch_ms = performance.now() - t;
  const result = await benchDocument(createCreditEngine, bytes, options);
  return { ...result, fetch_ms, document_bytes: bytes.length };
};
window.benchQuote = () => benchQuote(createCreditEngine);
window.benchAppend = async (prefixUrl, fragmentUrls, options) => {
  const get = async (url) => {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`${url}: ${response.status}`);
    return response;
  };
  const prefix = new Uint8Array(await (await get(prefixUrl)).arrayBuffer());
  const fragments = [];
  for (const url of fragmentUrls) fragments.push(await (await get(url)).text());
  return benchAppend(createCreditEngine, prefix, fragments, options);
};
window.benchInfo = () => ({ userAgent: navigator.userAgent, crossOriginIsolated, violations });
window.__ready = true;
document.getElementById('status').textContent = 'ready';
