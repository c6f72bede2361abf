// The WebAssembly module's JS API, mirroring the C++ suites: parity with the
// native CLI on every vector, each function of credits.d.ts, error objects,
// handle lifetime and heap stability. Run: node --test tests/js/
import test from 'node:test';
import assert from 'node:assert/strict';

import { createCreditEngine, CreditDocumentError } from '../../wasm/credits.js';
import { answerVector } from './answer.mjs';
import { loadVectors, read } from './vectors.mjs';

const engine = await createCreditEngine();
const demoText = read('web/public/demo/ledger.json');

test('§14 parity: the WASM module answers every vector with the native CLI bytes', () => {
  const vectors = loadVectors();
  assert.ok(vectors.length >= 20, `only ${vectors.length} vectors`);
  const documents = new Proxy({}, { get: (_, path) => read(path) });
  for (const c of vectors) {
    const got = answerVector(engine, CreditDocumentError, c, documents);
    assert.equal(got.ok, c.ok, `${c.name}: ok`);
    if (c.command === 'check' && c.ok) {
      const expected = JSON.parse(c.expected);
      const ledger = engine.load(documents[c.ledger]);
      assert.equal(ledger.accountId, expected.account_id, c.name);
      assert.equal(ledger.eventCount, expected.events, c.name);
      assert.deepEqual(ledger.projects, expected.projects, c.name);
      ledger.delete();
      continue;
    }
    assert.equal(got.json, c.expected, `${c.name}: bytes differ from the native CLI`);
  }
});

test('load() parses once; report(), project() and forecast() answer many questions', () => {
  const ledger = engine.load(demoText);
  assert.equal(ledger.accountId, 'acct_demo');
  assert.equal(ledger.utcOffset, '+08:00');
  assert.equal(ledger.projects.length, 5);
  const december = ledger.report({ at: '2026-12-01T00:00:00Z' });
  assert.equal(december.kind, 'account');
  assert.equal(typeof december.balance_tokens, 'number');
  assert.equal(december.balance_credits, engine.tokensToCredits(december.balance_tokens));
  // A new range at the same instant: same balance, usage of the range only.
  const november = ledger.report({ at: '2026-12-01T00:00:00Z', from: '2026-11-01T00:00:00Z' });
  assert.equal(november.balance_tokens, december.balance_tokens);
  assert.ok(november.usage.total_tokens < december.usage.total_tokens);
  // Dates are accepted too.
  const viaDate = ledger.report({ at: new Date('2026-12-01T00:00:00Z') });
  assert.equal(viaDate.balance_tokens, december.balance_tokens);
  const project = ledger.project('prj_shop', { at: '2026-12-01T00:00:00Z' });
  assert.equal(project.project.id, 'prj_shop');
  const forecast = ledger.forecast({ at: '2026-12-01T00:00:00Z' });
  assert.equal(forecast.kind, 'forecast');
  ledger.delete();
});

test('daily rows drawn in another offset add up to the same totals', () => {
  const ledger = engine.load(demoText);
  const local = ledger.report({ at: '2026-12-01T00:00:00Z' });
  const utc = ledger.report({ at: '2026-12-01T00:00:00Z', utc_offset: '+00:00' });
  assert.equal(local.utc_offset, '+08:00');
  assert.equal(utc.utc_offset, '+00:00');
  const sum = (rows, key) => rows.reduce((total, row) => total + row[key], 0);
  for (const key of ['charged_tokens', 'free_tokens', 'total_tokens']) {
    assert.equal(sum(local.daily, key), local.usage[key], key);
    assert.equal(sum(utc.daily, key), local.usage[key], key);
  }
  assert.notDeepEqual(utc.daily.map((d) => d.date), local.daily.map((d) => d.date));
  assert.throws(() => ledger.report({ at: '2026-12-01T00:00:00Z', utc_offset: 'UTC' }), CreditDocumentError);
  ledger.delete();
});

test('utc_offsets: the array form and the text form ask the core the same question', () => {
  const dst = read('tests/vectors/zones/dst-2026.json');
  const ledger = engine.load(dst);
  const at = '2026-12-01T00:00:00Z';
  const text = '+01:00,2026-03-29T01:00:00Z=+02:00,2026-10-25T01:00:00Z=+01:00';
  const array = [
    { from: null, offset: '+01:00' },
    { from: new Date('2026-03-29T01:00:00Z'), offset: '+02:00' },
    { from: '2026-10-25T01:00:00Z', offset: '+01:00' },
  ];
  const byText = ledger.reportJson({ at, utc_offsets: text });
  assert.equal(ledger.reportJson({ at, utc_offsets: array }), byText);
  const report = JSON.parse(byText);
  assert.deepEqual(report.utc_offsets.map((c) => c.offset), ['+01:00', '+02:00', '+01:00']);
  // 2026-07-10T22:30Z is 00:30 CEST on July 11; one offset (+01:00) would say July 10.
  assert.ok(report.daily.some((d) => d.date === '2026-07-11'));
  assert.ok(ledger.report({ at, utc_offset: '+01:00' }).daily.some((d) => d.date === '2026-07-10'));
  assert.equal(ledger.project('p1', { at, utc_offsets: array }).daily.length, report.daily.length);
  // The core validates the content; item N of the array is /utc_offsets/N.
  const rejected = (utc_offsets) => {
    try { ledger.report({ at, utc_offsets }); } catch (e) { if (e instanceof CreditDocumentError) return e.errors[0]; throw e; }
    assert.fail('expected a rejection');
  };
  assert.deepEqual(
    [rejected([array[0], array[2], array[1]])].map((e) => [e.code, e.pointer]), [['utc_offsets_unsorted', '/utc_offsets/2/from']]);
  assert.equal(rejected([{ from: '2026-01-01T00:00:00Z', offset: '+01:00' }]).pointer, '/utc_offsets/0/from');
  assert.equal(rejected([array[0], { offset: '+02:00' }]).code, 'invalid_utc_offsets');
  assert.equal(rejected([{ offset: '+14:30' }]).code, 'invalid_offset');
  // Shapes the text form cannot carry are the caller's mistake.
  assert.throws(() => ledger.report({ at, utc_offsets: [] }), TypeError);
  assert.throws(() => ledger.report({ at, utc_offsets: [{ offset: 1 }] }), TypeError);
  assert.throws(() => ledger.report({ at, utc_offsets: [{ offset: '+01:00,2026-03-29T01:00:00Z=+02:00' }] }), TypeError);
  ledger.delete();
});

test('§14 conservation holds in the report the module returns', () => {
  const ledger = engine.load(demoText);
  const report = ledger.report({ at: '2026-12-01T00:00:00Z' });
  let used = 0;
  for (const g of report.grants) {
    assert.equal(g.granted_tokens, g.used_tokens + g.expired_tokens + g.remaining_tokens, g.id);
    used += g.used_tokens;
  }
  assert.equal(used + report.overdraft_tokens, report.lifetime_charged_tokens);
  ledger.delete();
});

test('an invalid document throws CreditDocumentError with the §13 error list; nothing is half-loaded', () => {
  const before = engine.heapBytes();
  assert.throws(() => engine.load('{"format": "easycoda.ledger/1", "account": {"id": "a"}, "events": [}'), (error) => {
    assert.ok(error instanceof CreditDocumentError);
    assert.equal(error.errors[0].code, 'invalid_json');
    assert.equal(typeof error.errors[0].message, 'string');
    assert.ok('event_id' in error.errors[0] && 'pointer' in error.errors[0]);
    assert.deepEqual(JSON.parse(error.json).errors, error.errors);
    return true;
  });
  assert.equal(engine.heapBytes(), before);
});

test('a question the core rejects throws too (to later than at)', () => {
  const ledger = engine.load(demoText);
  assert.throws(() => ledger.report({ at: '2026-11-01T00:00:00Z', to: '2026-11-02T00:00:00Z' }),
    (error) => error instanceof CreditDocumentError && error.errors[0].code === 'invalid_query');
  assert.throws(() => ledger.report({}), TypeError);
  assert.throws(() => ledger.project('nope', { at: '2026-12-01T00:00:00Z' }),
    (error) => error.errors[0].code === 'unknown_project');
  ledger.delete();
});

test('hostile question text is answered with valid JSON, quoting at most 100 bytes of it', () => {
  const ledger = engine.load(demoText);
  const huge = '\u00e9'.repeat(50000);
  const cases = [
    [() => ledger.report({ at: huge }), '/at'], [() => ledger.report({ at: '2026-12-01T00:00:00Z', utc_offset: huge }), '/utc_offset'],
    [() => ledger.report({ at: '\ud800' }), '/at'], [() => ledger.forecast({ at: '\udfff\u0000' }), '/at'],
    [() => ledger.project(huge, { at: '2026-12-01T00:00:00Z' }), '/project_id'],
  ];
  for (const [ask, pointer] of cases) {
    assert.throws(ask, (error) => {
      assert.ok(error instanceof CreditDocumentError);
      assert.equal(error.errors[0].pointer, pointer);
      assert.ok(error.errors[0].message.length < 300, error.errors[0].message.slice(0, 80));
      return true;
    });
  }
  assert.ok(engine.catalog.plans.length > 0, 'the catalog still reads (a Uint8Array view, decoded)');
  ledger.delete();
});

test('tokensToCredits and creditsToTokens convert exactly, both ways', () => {
  assert.equal(engine.tokensToCredits(4200), '0.4200');
  assert.equal(engine.tokensToCredits(0), '0.0000');
  assert.equal(engine.tokensToCredits(-4200), '-0.4200');
  assert.equal(engine.tokensToCredits(Number.MAX_SAFE_INTEGER), '900719925474.0991');
  assert.equal(engine.creditsToTokens('12.5'), 125000);
  assert.equal(engine.creditsToTokens('0.0001'), 1);
  assert.equal(engine.creditsToTokens(500), 5000000);
  for (const bad of ['1.23456', '-1', '01', '1e3', '', ' 1', 'NaN']) {
    assert.throws(() => engine.creditsToTokens(bad), CreditDocumentError, bad);
  }
  for (const bad of [0.5, NaN, Infinity, 2 ** 53]) {
    assert.throws(() => engine.tokensToCredits(bad), CreditDocumentError, String(bad));
  }
  for (let tokens = 0; tokens < 20000; tokens += 7) {
    assert.equal(engine.creditsToTokens(engine.tokensToCredits(tokens)), tokens);
  }
});

test('quote() answers the calculator; amounts are exact Numbers', () => {
  const quote = engine.quote({ output_tokens: 1_000_000, input_tokens: 10_000_000, cache_hit_rate_bp: 9000 });
  assert.equal(quote.input_cache_hit_tokens, 9_000_000);
  assert.equal(quote.input_cache_miss_tokens, 1_000_000);
  assert.equal(quote.needed_tokens, 2_000_000);
  assert.equal(quote.recommended, 'free');
  for (const option of quote.options) assert.ok(Number.isSafeInteger(option.monthly_cost_minor));
  assert.throws(() => engine.quote({ output_tokens: -1, input_tokens: 0, cache_hit_rate_bp: 0 }), CreditDocumentError);
});

test('rules and catalog can be given as objects; invalid ones are rejected', async () => {
  const custom = await createCreditEngine({
    rules: { format: 'easycoda.rules/1', tokens_per_credit: 10000, signup_credits: 0 },
    catalog: { format: 'easycoda.catalog/1', currency: 'EUR', plans: [], packs: [{ id: 'p', credits: 10, price_minor: 100 }] },
  });
  assert.equal(custom.catalog.currency, 'EUR');
  assert.equal(custom.signupCredits, '0.0000');
  const quote = custom.quote({ output_tokens: 250000, input_tokens: 0, cache_hit_rate_bp: 0 });
  assert.equal(quote.recommended, 'packs');
  assert.deepEqual(quote.options[1].packs.map((p) => [p.id, p.count]), [['p', 3]]);
  custom.delete();
  await assert.rejects(createCreditEngine({ rules: { format: 'easycoda.rules/1', tokens_per_credit: 100, signup_credits: 1 } }),
    (error) => error instanceof CreditDocumentError && error.errors[0].pointer === '/rules/tokens_per_credit');
});

test('handles: delete() frees, use after delete is a clear error, delete twice is safe', () => {
  const ledger = engine.load(demoText);
  ledger.delete();
  ledger.delete();
  assert.throws(() => ledger.report({ at: '2026-12-01T00:00:00Z' }), /deleted/);
  if (typeof Symbol.dispose === 'symbol') {
    const other = engine.load(demoText);
    other[Symbol.dispose]();
    assert.throws(() => other.report({ at: '2026-12-01T00:00:00Z' }), /deleted/);
  }
});

test('10,000 load/report/delete cycles leave the WASM heap where it started', () => {
  const small = JSON.stringify({
    format: 'easycoda.ledger/1', account: { id: 'a' }, projects: [{ id: 'p', name: 'P' }],
    events: [
      { id: 'o', type: 'account_opened', at: '2026-01-01T00:00:00Z' },
      { id: 'u', type: 'usage', at: '2026-01-02T00:00:00Z', project_id: 'p', task_id: 't', session_id: 's',
        service: 'agent_chat', tokens: { output: 5, input_cache_miss: 7, input_cache_hit: 11 } },
      { id: 'c', type: 'session_completed', at: '2026-01-02T00:01:00Z', project_id: 'p', task_id: 't', session_id: 's' },
    ],
  });
  // Warm up once so one-time allocations (e.g. the allocator's own) are not counted.
  engine.load(small).delete();
  const before = engine.heapBytes();
  for (let i = 0; i < 10_000; i++) {
    const ledger = engine.load(small);
    const report = ledger.report({ at: '2026-02-01T00:00:00Z' });
    if (report.usage.charged_tokens !== 12) assert.fail(`cycle ${i}: charged ${report.usage.charged_tokens}`);
    ledger.delete();
    if (i % 1000 === 0) assert.throws(() => engine.load('{'), CreditDocumentError);
  }
  assert.equal(engine.heapBytes(), before);
});

test('report({entries: false}) is the report without ledger[], which entries() gives a page at a time', () => {
  const ledger = engine.load(demoText);
  const at = '2026-12-01T00:00:00Z';
  const whole = ledger.report({ at });
  const summary = ledger.report({ at, entries: false });
  assert.equal(summary.ledger, undefined);
  assert.equal(summary.ledger_entries, whole.ledger.length);
  const { ledger: all, ...rest } = whole;
  const { ledger_entries: count, ...summaryRest } = summary;
  assert.deepEqual(summaryRest, rest);
  assert.ok(count > 40);

  const joined = [];
  for (let offset = 0; offset < all.length; offset += 40) {
    const page = ledger.entries({ at, offset, limit: 40 });
    assert.equal(page.total, all.length);
    assert.equal(page.offset, offset);
    joined.push(...page.entries);
  }
  assert.deepEqual(joined, all);
  assert.deepEqual(ledger.entries({ at, limit: 10000, order: 'newest' }).entries, [...all].reverse());
  const kinds = ['grant', 'repayment', 'expiry', 'billing_failed'];
  const grants = ledger.entries({ at, kind: kinds, limit: 10000 });
  assert.deepEqual(grants.entries, all.filter((e) => kinds.includes(e.kind)));
  assert.equal(ledger.entries({ at, kind: 'charge' }).total, all.filter((e) => e.kind === 'charge').length);
  assert.deepEqual(ledger.entries({ at, offset: all.length + 5 }).entries, []);
  ledger.delete();
});

test('report() reuses the parsed grants[] per instant: same object as the text says, and no caller change leaks', () => {
  const ledger = engine.load(demoText);
  // Instants and ranges in an order that goes back and forth, so the cached parts change and return.
  const questions = [
    { at: '2026-12-01T00:00:00Z' },
    { at: '2026-12-01T00:00:00Z', from: '2026-11-01T00:00:00Z', to: '2026-11-15T00:00:00Z' },
    { at: '2026-11-20T00:00:00Z', entries: false },
    { at: '2026-12-01T00:00:00Z', from: '2026-11-10T00:00:00Z', entries: false },
    { at: '2026-11-20T00:00:00Z', from: '2026-11-01T00:00:00Z' },
  ];
  for (const q of questions) {
    const report = ledger.report(q);
    const expected = JSON.parse(ledger.reportJson(q));
    assert.deepEqual(report, expected, JSON.stringify(q));
    assert.deepEqual(Object.keys(report), Object.keys(expected), 'members in the core\'s order');
    assert.ok(report.grants.length > 0);
    // What depends only on the instant is shared by the reports at it and frozen, deeply: no
    // caller's change can show in another report; the rest is the caller's own.
    assert.throws(() => { report.grants.length = 0; }, TypeError);
    assert.throws(() => { report.grants[0].remaining_tokens = 1; }, TypeError);
    assert.throws(() => { report.failed_billings.push({}); }, TypeError);
    assert.throws(() => { report.billing_period.grant_ids.push('x'); }, TypeError);
    assert.throws(() => { report.billing_period.used_tokens = 1; }, TypeError);
    report.usage.charged_tokens = -1;
    report.daily.length = 0;
    assert.deepEqual(ledger.report(q), expected);
  }
  ledger.delete();
});

test('entries() rejects a bad page with the core\'s errors, and bad argument types with TypeError', () => {
  const ledger = engine.load(demoText);
  const at = '2026-12-01T00:00:00Z';
  assert.throws(() => ledger.entries({ at, limit: 0 }), (e) => e instanceof CreditDocumentError && e.errors[0].pointer === '/limit');
  assert.throws(() => ledger.entries({ at, kind: ['charge', 'refund'] }), (e) => e instanceof CreditDocumentError && e.errors[0].pointer === '/kind');
  assert.throws(() => ledger.entries({ at, order: 'latest' }), (e) => e instanceof CreditDocumentError && e.errors[0].pointer === '/order');
  assert.throws(() => ledger.entries({ at, offset: 1.5 }), TypeError);
  assert.throws(() => ledger.entries({ at, limit: '40' }), TypeError);
  assert.throws(() => ledger.entries({}), TypeError);
  ledger.delete();
});

test('load(text) and load(bytes) read the same document, also when the text is not ASCII', () => {
  const at = '2026-12-01T00:00:00Z';
  const bytes = new TextEncoder().encode(demoText);
  const fromText = engine.load(demoText);
  const fromBytes = engine.load(bytes);
  assert.equal(fromText.reportJson({ at }), fromBytes.reportJson({ at }));
  fromText.delete();
  fromBytes.delete();
  // Project names of CJK characters (3 UTF-8 bytes a UTF-16 unit: more than the first guess of room) and an emoji.
  const doc = {
    format: 'easycoda.ledger/1', account: { id: 'acct_cjk' },
    projects: Array.from({ length: 300 }, (_, i) => ({ id: `p${i}`, name: `${'项目'.repeat(40)} ${i} 🚀` })),
    events: [{ id: 'e1', type: 'account_opened', at: '2026-01-01T00:00:00Z' }],
  };
  const text = JSON.stringify(doc);
  assert.ok(new TextEncoder().encode(text).length > text.length * 1.5, 'the text needs the second try');
  const a = engine.load(text);
  const b = engine.load(new TextEncoder().encode(text));
  assert.deepEqual(a.projects, b.projects);
  assert.ok(a.projects.some((p) => p.name === doc.projects[7].name));
  assert.equal(a.reportJson({ at }), b.reportJson({ at }));
  a.delete();
  b.delete();
  const before = engine.heapBytes();
  for (let i = 0; i < 50; i++) engine.load(text).delete();
  assert.equal(engine.heapBytes(), before);
});

// A vector's ledger as a prefix (its opening first) and the rest of its
// events in two fragments, appended in reverse order.
function splitLedger(text) {
  const doc = JSON.parse(text);
  const events = [...doc.events];
  const opening = events.findIndex((e) => e.type === 'account_opened');
  events.unshift(...events.splice(opening, 1));
  const cut = Math.max(1, Math.floor(events.length / 2));
  const rest = events.slice(cut);
  const half = Math.floor(rest.length / 2);
  const header = { format: doc.format, account: { id: doc.account.id } };
  return {
    prefix: JSON.stringify({ ...doc, events: events.slice(0, cut) }),
    fragments: [rest.slice(half), rest.slice(0, half)].map((list) => JSON.stringify({ ...header, events: list })),
  };
}

test('append(): a prefix plus appended fragments answers with the native CLI bytes of the whole ledger', () => {
  const documents = new Proxy({}, { get: (_, path) => read(path) });
  const vectors = loadVectors().filter((c) => c.ok && ['report', 'project', 'forecast'].includes(c.command) &&
    !JSON.parse(documents[c.ledger]).checkpoint && JSON.parse(documents[c.ledger]).events.length >= 3);
  assert.ok(vectors.length >= 5, `only ${vectors.length} vectors to split`);
  for (const c of vectors.slice(0, 12)) {
    const { prefix, fragments } = splitLedger(documents[c.ledger]);
    const ledger = engine.load(prefix);
    let accepted = 0;
    for (const fragment of fragments) accepted += ledger.append(fragment).accepted;
    const whole = engine.load(documents[c.ledger]);
    assert.equal(ledger.eventCount, whole.eventCount, `${c.name}: events`);
    assert.ok(accepted > 0 || fragments.every((f) => JSON.parse(f).events.length === 0), c.name);
    whole.delete();
    // Ask the split ledger the vector's question (answerVector loads a document; this one is built by appends).
    const query = { at: c.at, from: c.from, to: c.to, utc_offset: c.utc_offset, utc_offsets: c.utc_offsets };
    const got = c.command === 'report' ? ledger.reportJson(c.without_entries ? { ...query, entries: false } : query)
      : c.command === 'project' ? ledger.projectJson(c.project, query) : ledger.forecastJson(query);
    assert.equal(got, c.expected, `${c.name}: appended bytes differ from the native CLI's whole-ledger bytes`);
    ledger.delete();
  }
});

test('append(): a rejected fragment throws with pointers into it and leaves the ledger as it was', () => {
  const ledger = engine.load(demoText);
  const at = '2026-12-01T00:00:00Z';
  const before = [ledger.reportJson({ at }), ledger.forecastJson({ at }), ledger.eventCount];
  const account = { id: ledger.accountId };
  const good = { id: 'append-js-1', type: 'credits_granted', at: '2026-11-30T00:00:00Z', credits: 5 };
  const bad = { id: 'append-js-2', type: 'usage', at: '2026-11-30T00:00:00Z', project_id: 'no-such-project', service: 'other', tokens: {} };
  assert.throws(() => ledger.append({ format: 'easycoda.ledger/1', account, events: [good, bad] }), (error) => {
    assert.ok(error instanceof CreditDocumentError);
    assert.equal(error.errors[0].code, 'unknown_project');
    assert.equal(error.errors[0].pointer, '/events/1/project_id');
    return true;
  });
  assert.deepEqual([ledger.reportJson({ at }), ledger.forecastJson({ at }), ledger.eventCount], before);
  // The good event alone is accepted, and a repeat of it is ignored.
  assert.deepEqual(ledger.append({ format: 'easycoda.ledger/1', account, events: [good] }), { accepted: 1, duplicates_ignored: 0 });
  assert.deepEqual(ledger.append(JSON.stringify({ format: 'easycoda.ledger/1', account, events: [good] })),
    { accepted: 0, duplicates_ignored: 1 });
  assert.equal(ledger.eventCount, before[2] + 1);
  const doc = JSON.parse(demoText);
  doc.events.push(good, good);  // the repeat is counted in both
  const whole = engine.load(JSON.stringify(doc));
  assert.equal(ledger.reportJson({ at }), whole.reportJson({ at }));
  whole.delete();
  assert.throws(() => ledger.append(42), TypeError);
  ledger.delete();
});

test('checkpoint() gives the native CLI bytes as a string, which load() accepts and which answers like the whole history', () => {
  const cases = loadVectors().filter((c) => c.command === 'checkpoint');
  assert.ok(cases.length >= 5, `only ${cases.length} checkpoint vectors`);
  for (const c of cases) {
    const ledger = engine.load(read(c.ledger));
    try {
      if (c.ok) {
        const text = ledger.checkpoint({ at: c.at });
        assert.equal(typeof text, 'string');
        assert.equal(text, c.expected, `${c.name}: bytes differ from the native CLI`);
        const checkpointed = engine.load(text);
        assert.equal(checkpointed.accountId, ledger.accountId, c.name);
        checkpointed.delete();
      } else {
        assert.throws(() => ledger.checkpoint({ at: c.at }), (e) => e instanceof CreditDocumentError && e.json === c.expected, c.name);
      }
    } finally {
      ledger.delete();
    }
  }
  // A Date works like its text; a missing instant is a TypeError, as for every question.
  const demo = engine.load(demoText);
  const checkpointed = engine.load(demo.checkpoint({ at: new Date('2026-10-31T16:00:00Z') }));
  const at = '2026-12-01T00:00:00Z';
  assert.equal(checkpointed.forecastJson({ at }), demo.forecastJson({ at }));
  assert.equal(checkpointed.report({ at }).balance_tokens, demo.report({ at }).balance_tokens);
  assert.throws(() => demo.checkpoint({}), TypeError);
  checkpointed.delete();
  demo.delete();
});
