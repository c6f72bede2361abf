// The WASM module under Node (scripts/bench): prints one JSON object on stdout.
//   node tests/bench/bench-node.mjs --runs N --at T --from T --to T FILE...
//   node tests/bench/bench-node.mjs --quote
import { readFileSync } from 'node:fs';

import { createCreditEngine } from '../../wasm/credits.js';
import { benchDocument, benchQuote } from './wasm-bench.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const [value] = args.splice(i, 2).slice(1);
  return value;
};
const quote = args.includes('--quote');
const api = args.includes('--api');
const runs = Number(option('--runs', '3'));
const parseRuns = Number(option('--parse-runs', String(runs)));
const at = option('--at');
const from = option('--from');
const to = option('--to');
const files = args.filter((a) => !a.startsWith('--'));

const result = { node: process.versions.node, v8: process.versions.v8, documents: {} };
if (quote) Object.assign(result, await benchQuote(createCreditEngine));
for (const file of files) {
  const bytes = new Uint8Array(readFileSync(file));
  const doc = await benchDocument(createCreditEngine, bytes, { at, from, to, runs, parseRuns, api });
  // Loading from a JS string as well (UTF-8 encoding by TextEncoder included).
  const text = new TextDecoder().decode(bytes);
  const engine = await createCreditEngine();
  const t = performance.now();
  engine.load(text).delete();
  doc.load_from_string_ms = performance.now() - t;
  engine.delete();
  result.documents[file] = doc;
}
process.stdout.write(JSON.stringify(result) + '\n');
