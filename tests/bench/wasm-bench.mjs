// The WebAssembly side of scripts/bench (docs/benchmarks.md), shared by Node
// (bench-node.mjs) and Chromium (bench-page.js): the same code times the JS
// API of wasm/credits.js in both, with performance.now().
//   load    engine.load(bytes): copy into the WASM heap + parse + validate + index
//   report  ledger.reportJson({at}) on a fresh ledger: simulation + report JSON,
//           handed to JS as a string (what a page gets)
//   rerun   ledger.reportJson({at, from, to}) again on the loaded ledger
//   parse   JSON.parse of the same document (already decoded to a string): the
//           floor for reading JSON in this JS engine
//   quote   engine.quote(input) (object in, object out), 100 batches of 100
//           calls, median of the batches' per-call time (browsers coarsen
//           performance.now(), so single calls are not timed one by one)

export const QUOTE_INPUT = { output_tokens: 4000000, input_tokens: 40000000, cache_hit_rate_bp: 9000 };

const now = () => performance.now();

export function fnv1a(bytes) {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i];
    h = Math.imul(h, 16777619);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** Times one document. `bytes` is a Uint8Array of UTF-8 JSON. */
// With `api`, also the paths the README shows a page (tests/bench/shapes.mjs): load(text) from a
// string, report({at}) as an object (its ledger[] parsed into JS), and the popup's questions on a
// fresh load: report({at, entries: false}) plus a page of 40 entries, then another range.
export async function benchDocument(createCreditEngine, bytes, { at, from, to, runs = 3, parseRuns = runs, reruns = 3, api = false }) {
  // A fresh module per document, so memoryBytes() is this document's figure
  // (WebAssembly memory grows and never shrinks).
  let t = now();
  const engine = await createCreditEngine();
  const startup_ms = now() - t;
  const out = { startup_ms, load_ms: [], report_ms: [], rerun_ms: [], parse_ms: [],
    text_load_ms: [], report_object_ms: [], popup_ms: [], popup_rerun_ms: [] };
  const text = api ? new TextDecoder().decode(bytes) : null;
  // Run 0 warms up and is reported apart (cold_*): a fresh module's code is
  // V8's baseline compile until the hot functions are tiered up.
  for (let run = 0; run <= runs; run++) {
    t = now();
    const ledger = engine.load(bytes);
    const load_ms = now() - t;
    if (run === 0) {
      out.memory_bytes_after_load = engine.memoryBytes();
      out.heap_bytes_after_load = engine.heapBytes();
      out.events = ledger.eventCount;
    }
    t = now();
    const report = ledger.reportJson({ at });
    const report_ms = now() - t;
    if (run === 0) {
      out.cold_load_ms = load_ms;
      out.cold_report_ms = report_ms;
    } else {
      out.load_ms.push(load_ms);
      out.report_ms.push(report_ms);
    }
    let rerun;
    for (let k = 0; k < reruns; k++) {
      t = now();
      rerun = ledger.reportJson({ at, from, to });
      if (run > 0) out.rerun_ms.push(now() - t);
    }
    if (run === 0) {
      const encoder = new TextEncoder();
      const reportBytes = encoder.encode(report);
      const rerunBytes = encoder.encode(rerun);
      Object.assign(out, {
        report_bytes: reportBytes.length, report_fnv: fnv1a(reportBytes),
        rerun_bytes: rerunBytes.length, rerun_fnv: fnv1a(rerunBytes),
      });
    }
    if (api && run > 0) {
      t = now();
      ledger.report({ at });
      out.report_object_ms.push(now() - t);
      t = now();
      const fresh = engine.load(text);
      out.text_load_ms.push(now() - t);
      t = now();
      const summary = fresh.report({ at, entries: false });
      const page = fresh.entries({ at, limit: 40, order: 'newest' });
      out.popup_ms.push(now() - t);
      if (page.total !== summary.ledger_entries) throw new Error('entries() and the summary report disagree');
      t = now();
      fresh.report({ at, from, to, entries: false });
      out.popup_rerun_ms.push(now() - t);
      fresh.delete();
    }
    ledger.delete();
  }
  out.memory_bytes_end = engine.memoryBytes();
  engine.delete();
  if (parseRuns > 0) {
    t = now();
    let text = new TextDecoder().decode(bytes);
    out.decode_ms = now() - t;
    for (let run = 0; run < parseRuns; run++) {
      t = now();
      const value = JSON.parse(text);
      out.parse_ms.push(now() - t);
      if (value.events.length !== out.events) out.parse_events = value.events.length;
    }
    text = null;
  }
  return out;
}

/** quote() latency: 100 batches of 100 calls; per-call median of the batches, in µs. */
export async function benchQuote(createCreditEngine, { batches = 100, perBatch = 100 } = {}) {
  const engine = await createCreditEngine();
  for (let i = 0; i < 500; i++) engine.quote(QUOTE_INPUT);  // warm up the JIT
  const perCall = [];
  for (let b = 0; b < batches; b++) {
    const t = now();
    for (let i = 0; i < perBatch; i++) engine.quote(QUOTE_INPUT);
    perCall.push(((now() - t) * 1000) / perBatch);
  }
  const t = now();
  for (let i = 0; i < 1000; i++) engine.quoteJson(QUOTE_INPUT);
  const quote_json_us = (now() - t);  // ms for 1000 calls = µs per call
  engine.delete();
  perCall.sort((a, b) => a - b);
  return { quote_us_median: perCall[perCall.length >> 1], quote_calls: batches * perBatch, quote_json_us };
}

/**
 * append(): `prefix` (bytes) loaded untimed, then each fragment (text) appended in turn and timed;
 * the first append builds the indexes (one pass over the loaded ledger), the others are the steady
 * state; then the report after the last one (the burn-down runs again). Same files as the native run.
 */
export async function benchAppend(createCreditEngine, prefix, fragments, { at, runs = 5 }) {
  const engine = await createCreditEngine();
  const out = { first_append_ms: [], append_ms: [], report_after_ms: [] };
  for (let run = 0; run <= runs; run++) {
    const ledger = engine.load(prefix);
    ledger.reportJson({ at });
    for (const [f, fragment] of fragments.entries()) {
      const t = now();
      const counts = ledger.append(fragment);
      const ms = now() - t;
      if (counts.accepted + counts.duplicates_ignored === 0) throw new Error('a fragment added nothing');
      if (run > 0) (f === 0 ? out.first_append_ms : out.append_ms).push(ms);
    }
    const t = now();
    const report = ledger.reportJson({ at });
    if (run > 0) out.report_after_ms.push(now() - t);
    out.report_fnv = fnv1a(new TextEncoder().encode(report));
    out.events = ledger.eventCount;
    ledger.delete();
  }
  engine.delete();
  return out;
}
