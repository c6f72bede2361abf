// The EasyCoda credit engine for JavaScript: a small layer over the Embind
// module (dist/credits_core.mjs, built from wasm/bindings.cpp) that parses the
// JSON answers, throws CreditDocumentError for rejections and owns handles.
// Types: credits.d.ts. Every figure is computed by the C++ core.
import createCreditsModule from './dist/credits_core.mjs';

/** A rejected document or question: `.errors` is the spec §13 error list. */
export class CreditDocumentError extends Error {
  constructor(errors, json) {
    const first = errors[0];
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
    super(first ? `${first.code}: ${first.message}${more}` : 'The document was rejected.');
    this.name = 'CreditDocumentError';
    this.errors = errors;
    /** The exact {"errors": [...]} text the core wrote (the native CLI prints the same bytes). */
    this.json = json ?? JSON.stringify({ errors });
  }
}

const isNode = typeof process === 'object' && typeof process.versions === 'object' && !!process.versions.node;

async function readWasmInNode() {
  // A computed specifier keeps bundlers from pulling node:fs into browser builds.
  const fsModule = 'node:fs/promises';
  const { readFile } = await import(/* @vite-ignore */ fsModule);
  return readFile(new URL('./dist/credits_core.wasm', import.meta.url));
}

function documentText(value, name) {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'object') return JSON.stringify(value);
  throw new TypeError(`${name} must be JSON text or an object`);
}

function instantText(value, name, required) {
  if (value === undefined || value === null || value === '') {
    if (required) throw new TypeError(`${name} is required (an RFC 3339 instant such as "2026-12-01T00:00:00Z")`);
    return '';
  }
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'string') return value;
  throw new TypeError(`${name} must be an RFC 3339 string or a Date`);
}

function offsetText(value) {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new TypeError('utc_offset must be a string such as "+00:00"');
  return value;
}

// A zone's offsets over time, as the core reads them: "+01:00" (in force
// before the first change), then ",INSTANT=OFFSET" per change. Given as that
// text or as [{from: null, offset}, {from, offset}, ...]; only the shape is
// checked here, the core validates the content (order, range, bound).
function zoneText(value) {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (!Array.isArray(value) || value.length === 0) {
    throw new TypeError('utc_offsets must be a non-empty array of {from, offset} or a string such as "+01:00,2026-03-29T01:00:00Z=+02:00"');
  }
  return value.map((change, index) => {
    if (!change || typeof change !== 'object' || typeof change.offset !== 'string') {
      throw new TypeError(`utc_offsets[${index}] must be {from, offset} with offset a string such as "+02:00"`);
    }
    const from = change.from instanceof Date ? change.from.toISOString() : change.from;
    if (from !== undefined && from !== null && typeof from !== 'string') {
      throw new TypeError(`utc_offsets[${index}].from must be an RFC 3339 string, a Date or null`);
    }
    // Commas and equals signs separate items in the text form: inside an item they would move the others.
    if (/[,=]/.test(change.offset) || (from && /[,=]/.test(from))) {
      throw new TypeError(`utc_offsets[${index}] must not contain "," or "="`);
    }
    return from ? `${from}=${change.offset}` : change.offset;
  }).join(',');
}

const decoder = new TextDecoder();

// Whether `bytes` hold `,"usage":{` at `offset` (where the report's range-dependent part begins).
const usageKey = new TextEncoder().encode(',"usage":{');
function usageAt(bytes, offset) {
  if (offset + usageKey.length > bytes.length) return false;
  for (let i = 0; i < usageKey.length; i++) if (bytes[offset + i] !== usageKey[i]) return false;
  return true;
}

// Parsed JSON frozen through and through (objects and arrays only: what JSON.parse makes).
function deepFreeze(value) {
  if (value !== null && typeof value === 'object') {
    for (const key of Object.keys(value)) deepFreeze(value[key]);
    Object.freeze(value);
  }
  return value;
}

// Reports, projects, forecasts and quotes stay in the WASM heap until read:
// `ok` is what the call returned, the text is decoded straight from the heap.
function take(native, ok) {
  const json = decoder.decode(native.answerBytes());
  native.clearAnswer();
  if (!ok) throw new CreditDocumentError(JSON.parse(json).errors, json);
  return json;
}

// The text of a getter (summary, catalog): its bytes decoded and parsed; an error
// document (out of memory) is thrown as a CreditDocumentError.
function parseText(bytes) {
  const json = decoder.decode(bytes);
  const value = JSON.parse(json);
  if (Array.isArray(value.errors)) throw new CreditDocumentError(value.errors, json);
  return value;
}

// An answer of a free function is {ok, json}: json the bytes of the answer's text,
// or of {"errors": [...]}, in the heap until the next call.
function unwrap(answer) {
  const json = decoder.decode(answer.json);
  if (!answer.ok) throw new CreditDocumentError(JSON.parse(json).errors, json);
  return json;
}

class Ledger {
  #module;
  #native;
  #summary;
  #grants = null;   // {generation, text}: the last report's grants[] array, decoded
  #entries = null;  // {generation, text}: the last report's ledger[] array, decoded

  constructor(module, native) {
    this.#module = module;
    this.#native = native;
    this.#summary = parseText(native.summaryJson());
  }

  get accountId() { return this.#summary.account_id; }
  get utcOffset() { return this.#summary.utc_offset; }
  get openedAt() { return this.#summary.opened_at; }
  get lastEventAt() { return this.#summary.last_event_at; }
  get eventCount() { return this.#summary.events; }
  get projects() { return this.#summary.projects.map((p) => ({ ...p })); }

  #live() {
    if (!this.#native) throw new Error('This ledger was deleted; load it again.');
    return this.#native;
  }

  // The account report as text pieces: [before grants[], after it up to
  // ledger[] (or to the end without entries), after ledger[]], with the
  // grants[] and ledger[] texts cached (decoded) for the current generation.
  #reportPieces(q) {
    const native = this.#live();
    // entries: false leaves ledger[] out ("ledger_entries" counts it): entries() pages through it.
    const withEntries = q.entries !== false;
    const ok = native.report(instantText(q.at, 'at', true), instantText(q.from, 'from'), instantText(q.to, 'to'),
      offsetText(q.utc_offset), zoneText(q.utc_offsets), withEntries);
    if (!ok) take(native, false);  // throws the errors
    // The report comes without its grants[] and ledger[] arrays, which are the
    // same for every range at one instant and most of the report: each is
    // decoded once and reused while its generation holds, then put where it belongs.
    const generation = native.partsGeneration();
    if (this.#grants?.generation !== generation) {
      this.#grants = { generation, text: decoder.decode(native.grantsBytes()), value: null,
        billingsText: null, billingsBytes: 0, billings: null };
    }
    if (withEntries && this.#entries?.generation !== generation) {
      this.#entries = { generation, text: decoder.decode(native.entriesBytes()) };
    }
    const rest = native.answerBytes();
    const g = native.grantsOffset();
    const e = withEntries ? native.entriesOffset() : rest.length;
    // failed_billings and billing_period come right after grants[] and depend on the
    // instant alone (a failed billing per month, the period's grant ids: the account's
    // size): decoded once per generation too, and their bytes skipped afterwards.
    const cache = this.#grants;
    let billings = cache.billingsText;
    if (billings === null || !usageAt(rest, g + cache.billingsBytes)) {
      const middle = decoder.decode(rest.subarray(g, e));
      // `,"usage":{` ends them: no string holds an unescaped quote, and no member before it is named "usage".
      const usage = middle.startsWith(',"failed_billings":') ? middle.indexOf(',"usage":{') : -1;
      billings = usage < 0 ? '' : middle.slice(0, usage);
      cache.billingsText = billings;
      cache.billingsBytes = encoder.encode(billings).length;
      cache.billings = null;
    }
    const pieces = [decoder.decode(rest.subarray(0, g)), billings, decoder.decode(rest.subarray(g + cache.billingsBytes, e)),
      withEntries ? decoder.decode(rest.subarray(e)) : null];
    native.clearAnswer();
    return pieces;
  }

  reportJson(query) {
    const q = query ?? {};
    const [head, billings, middle, tail] = this.#reportPieces(q);
    return head + this.#grants.text + billings + middle + (tail === null ? '' : this.#entries.text + tail);
  }
  /**
   * The report as an object. What depends only on the instant -- grants[], failed_billings[] and
   * billing_period -- is parsed once per instant and shared between the reports at that instant,
   * frozen (deeply: no caller's change can show in another report); the rest is the caller's own.
   * Copying the shared arrays for each report cost more than the rest of a re-run at 1M events
   * (121k grants: about 7 of 14 ms).
   */
  report(query) {
    const q = query ?? {};
    const [head, billings, middle, tail] = this.#reportPieces(q);
    const grants = this.#grants;
    if (grants.value === null) grants.value = deepFreeze(JSON.parse(grants.text));
    if (billings === '') {
      const report = JSON.parse(head + '[]' + middle + (tail === null ? '' : this.#entries.text + tail));
      report.grants = grants.value;  // the key keeps its place in the object
      return report;
    }
    // Parsed once per generation as well, shared and frozen the same way.
    if (grants.billings === null) grants.billings = deepFreeze(JSON.parse(`{${billings.slice(1)}}`));
    const report = JSON.parse(`${head}[],"failed_billings":[],"billing_period":null${middle}${
      tail === null ? '' : this.#entries.text + tail}`);
    report.grants = grants.value;  // the keys keep their places in the object
    report.failed_billings = grants.billings.failed_billings;
    report.billing_period = grants.billings.billing_period;
    return report;
  }
  projectJson(projectId, query) {
    if (typeof projectId !== 'string') throw new TypeError('projectId must be a string');
    const q = query ?? {};
    const native = this.#live();
    return take(native, native.project(projectId, instantText(q.at, 'at', true), instantText(q.from, 'from'),
      instantText(q.to, 'to'), offsetText(q.utc_offset), zoneText(q.utc_offsets)));
  }
  forecastJson(query) {
    const native = this.#live();
    return take(native, native.forecast(instantText((query ?? {}).at, 'at', true)));
  }
  /**
   * The checkpointed document at `at` (docs/checkpoint-format.md): the account's state before it and
   * the events from it on, as ledger document text that load() accepts. A string, not an object: it is
   * meant to be stored or sent, and its bytes are the native CLI's.
   */
  checkpoint(query) {
    const native = this.#live();
    return take(native, native.checkpoint(instantText((query ?? {}).at, 'at', true)));
  }
  /**
   * A page of the report's ledger[] at `at`: {at, total, offset, entries}. `kind` is one entry kind or
   * an array of them (default: all), `order` 'oldest' (ledger[] order, the default) or 'newest'.
   */
  entriesJson(query) {
    const q = query ?? {};
    const offset = q.offset ?? 0;
    const limit = q.limit ?? 40;
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(limit)) {
      throw new TypeError('offset and limit must be whole numbers');
    }
    const kinds = q.kind === undefined || q.kind === null ? '' : Array.isArray(q.kind) ? q.kind.join(',') : q.kind;
    if (typeof kinds !== 'string') throw new TypeError('kind must be an entry kind or an array of them');
    const order = q.order ?? '';
    if (typeof order !== 'string') throw new TypeError("order must be 'oldest' or 'newest'");
    const native = this.#live();
    return take(native, native.entries(instantText(q.at, 'at', true), offset, limit, kinds, order));
  }
  entries(query) { return JSON.parse(this.entriesJson(query)); }
  /**
   * Adds a fragment -- {format, account, projects?, events}, text or an object -- to the loaded
   * ledger, checked against everything loaded: {accepted, duplicates_ignored}. A rejected fragment
   * throws a CreditDocumentError (pointers into the fragment) and leaves the ledger as it was.
   */
  append(fragment) {
    if (typeof fragment !== 'string' && (typeof fragment !== 'object' || fragment === null)) {
      throw new TypeError('append() takes the fragment as JSON text or an object');
    }
    const native = this.#live();
    const counts = JSON.parse(take(native, native.append(documentText(fragment, 'fragment'))));
    this.#summary = parseText(native.summaryJson());
    return counts;
  }
  project(projectId, query) { return JSON.parse(this.projectJson(projectId, query)); }
  forecast(query) { return JSON.parse(this.forecastJson(query)); }

  /** Frees the ledger's memory in the WebAssembly heap. Safe to call twice. */
  delete() {
    if (this.#native) {
      this.#native.delete();
      this.#native = null;
      this.#grants = null;
      this.#entries = null;
    }
  }
}
if (typeof Symbol.dispose === 'symbol') Ledger.prototype[Symbol.dispose] = Ledger.prototype.delete;

const encoder = new TextEncoder();

class CreditEngine {
  #module;
  #native;
  #catalog;

  constructor(module, native) {
    this.#module = module;
    this.#native = native;
    this.#catalog = parseText(native.catalogJson());
  }

  get catalog() { return structuredClone(this.#catalog); }
  get signupCredits() { return this.#catalog.signup_credits; }

  /** Parses and validates a ledger once. Accepts text, bytes or an ArrayBuffer. */
  load(ledger) {
    const m = this.#module;
    if (typeof ledger === 'string') return this.#loadText(ledger);
    let bytes;
    if (ledger instanceof Uint8Array) bytes = ledger;
    else if (ledger instanceof ArrayBuffer) bytes = new Uint8Array(ledger);
    else throw new TypeError('load() takes the ledger as a string, a Uint8Array or an ArrayBuffer');
    // One copy of the document in the WASM heap: written into the string the ledger keeps.
    const document = this.#allocate(bytes.length);
    try {
      m.HEAPU8.set(bytes, document.address());
      return this.#read(document, bytes.length);
    } finally {
      document.delete();
    }
  }

  // Text is encoded straight into the heap (TextEncoder.encodeInto), without
  // the intermediate Uint8Array encode() makes: the path fetch().text() takes
  // costs what bytes cost. A ledger is mostly ASCII, so room for the string's
  // length plus an eighth fits nearly always; when not, the exact worst case
  // (3 bytes a UTF-16 unit) is tried once more.
  // (The ledger keeps the room: up to an eighth more than the text's bytes.)
  #loadText(text) {
    const m = this.#module;
    for (const room of [text.length + (text.length >> 3) + 16, text.length * 3]) {
      const document = this.#allocate(room);
      try {
        const address = document.address();
        const { read, written } = encoder.encodeInto(text, m.HEAPU8.subarray(address, address + room));
        if (read === text.length) return this.#read(document, written);
      } finally {
        document.delete();
      }
    }
    throw new Error('unreachable: three bytes a UTF-16 unit always fit');
  }

  #allocate(length) {
    const document = new this.#module.Document(Math.max(length, 1));
    if (!document.ok()) {
      document.delete();
      throw new CreditDocumentError([{ code: 'out_of_memory', event_id: null, pointer: '',
        message: `The document (${length} bytes) does not fit in the WebAssembly heap.` }]);
    }
    return document;
  }

  #read(document, length) {
    const m = this.#module;
    const native = new m.Ledger(this.#native, document, length);
    if (!native.ok()) {
      const json = decoder.decode(native.errorsJson());
      native.delete();
      throw new CreditDocumentError(JSON.parse(json).errors, json);
    }
    return new Ledger(m, native);
  }

  quoteJson(input) {
    return take(this.#native, this.#native.quote(documentText(input, 'input')));
  }
  quote(input) { return JSON.parse(this.quoteJson(input)); }

  tokensToCredits(tokens) {
    if (typeof tokens !== 'number') throw new TypeError('tokens must be a number');
    return JSON.parse(unwrap(this.#module.tokensToCredits(tokens)));
  }
  creditsToTokens(credits) {
    const text = typeof credits === 'number' && Number.isSafeInteger(credits) ? String(credits) : credits;
    if (typeof text !== 'string') throw new TypeError('credits must be a decimal string such as "12.5" or a whole number');
    return JSON.parse(unwrap(this.#module.creditsToTokens(text)));
  }

  /** Bytes held by the WASM allocator for live objects (for leak checks). */
  heapBytes() { return this.#module.heapUsedBytes(); }
  /** Size of the WebAssembly memory (it grows, never shrinks). */
  memoryBytes() { return this.#module.HEAPU8.length; }

  delete() {
    if (this.#native) {
      this.#native.delete();
      this.#native = null;
    }
  }
}

/**
 * Loads the WebAssembly module once and reads the rule set and catalog
 * (the shipped defaults when omitted).
 */
export async function createCreditEngine(options = {}) {
  const moduleOptions = {};
  if (options.locateFile) moduleOptions.locateFile = options.locateFile;
  if (options.wasmBinary) moduleOptions.wasmBinary = options.wasmBinary;
  else if (isNode && !options.locateFile) moduleOptions.wasmBinary = await readWasmInNode();
  const m = await createCreditsModule(moduleOptions);
  const native = new m.Engine(documentText(options.rules, 'rules'), documentText(options.catalog, 'catalog'));
  if (!native.ok()) {
    const json = decoder.decode(native.errorsJson());
    native.delete();
    throw new CreditDocumentError(JSON.parse(json).errors, json);
  }
  return new CreditEngine(m, native);
}
