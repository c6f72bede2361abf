// The server's API against its contract (docs/server.md), on SQLite and on PostgreSQL: what is
// stored is what was posted (all or nothing, duplicates counted, conflicts rejected with the
// core's codes, across batches), and every report route answers the bytes the CLI prints for
// the document the server exports (/document) and for the checkpointed one (/console-ledger).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import { generateLedgerLines } from '../bench/make-ledger.mjs';
import {
  DEMO_PATH, ROOT, SERVER_BIN, cli, cliAnswer, client, databaseKinds, documentOf, etagOf, gunzip, makeToken,
  request, sleep, startServer, withoutNewline,
} from './harness.mjs';

const demoText = readFileSync(DEMO_PATH, 'utf8');
const demo = JSON.parse(demoText);
const ACCOUNT = demo.account.id;
const DAY_MS = 86_400_000;
const CHECKPOINT_EVENTS_MIN = 100;

/** A generated year of activity (tests/bench/make-ledger.mjs) under another account id. */
function generated(n, accountId) {
  const doc = JSON.parse(generateLedgerLines(n).lines.join('\n'));
  doc.account.id = accountId;
  return doc;
}

/** The instant a checkpoint is kept at: the start of the month before the newest event's (in the account's offset). */
function expectedCheckpointMs(doc) {
  const [, sign, hh, mm] = /^([+-])(\d\d):(\d\d)$/.exec(doc.account.utc_offset ?? '+00:00');
  const offsetMs = (sign === '-' ? -1 : 1) * (Number(hh) * 60 + Number(mm)) * 60_000;
  const newest = Math.max(...doc.events.map((e) => Date.parse(e.at)));
  const local = new Date(newest + offsetMs);
  return Date.UTC(local.getUTCFullYear(), local.getUTCMonth() - 1, 1) - offsetMs;
}

/** The report with what a checkpoint summarizes taken out: equal for the whole and the checkpointed history. */
function figures(reportBytes) {
  const r = JSON.parse(reportBytes.toString('utf8'));
  // duplicates_ignored has its own test ("exact repeats change no report"), so that one figure
  // does not hide the others here.
  const { ledger, checkpoint_at: _s, duplicates_ignored: _d, ...rest } = r;
  return { rest, detail: ledger.filter((e) => e.kind !== 'opening') };
}

function assertSameFigures(serverBytes, fullBytes, what) {
  const a = figures(serverBytes);
  const b = figures(fullBytes);
  assert.deepEqual(a.rest, b.rest, `${what}: figures differ from the whole history's`);
  assert.ok(a.detail.length <= b.detail.length, `${what}: more ledger entries than the whole history`);
  assert.deepEqual(a.detail, b.detail.slice(b.detail.length - a.detail.length), `${what}: ledger entries after the checkpoint differ`);
}

const q = (params) => {
  const s = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined)).toString();
  return s ? `?${s}` : '';
};

/** Every report question asked of an account, as a server path and the CLI's arguments. */
function questions(accountId, projects, at, { from, to } = {}) {
  const base = `/v1/accounts/${accountId}`;
  const list = [
    { path: `${base}/report${q({ at })}`, args: ['report', '--at', at] },
    { path: `${base}/forecast${q({ at })}`, args: ['forecast', '--at', at], exact: true },
    // Daily rows in another zone than the account's: a checkpoint's day of history goes on the date
    // of its earliest record there, so only the bytes of /console-ledger are promised (zone: true).
    { path: `${base}/report${q({ at, utc_offset: '+00:00' })}`, args: ['report', '--at', at, '--utc-offset', '+00:00'], zone: true },
    { path: `${base}/report${q({ at, utc_offsets: '+01:00,2026-03-29T01:00:00Z=+02:00,2026-10-25T01:00:00Z=+01:00' })}`,
      args: ['report', '--at', at, '--utc-offsets', '+01:00,2026-03-29T01:00:00Z=+02:00,2026-10-25T01:00:00Z=+01:00'], zone: true },
  ];
  if (from && to) list.push({ path: `${base}/report${q({ at, from, to })}`, args: ['report', '--at', at, '--from', from, '--to', to] });
  for (const p of projects) {
    list.push({ path: `${base}/projects/${p}/report${q({ at })}`, args: ['project', p, '--at', at], project: true });
  }
  return list;
}

/** A fresh new event for the demo account (unique id, a project it has). */
const buildUsage = (id, at, project = 'prj_shop') => ({
  id, type: 'usage', at, project_id: project, service: 'build', tokens: { output: 120, input_cache_miss: 800 },
});
const fragment = (events, extra = {}) => ({ format: 'easycoda.ledger/1', account: demo.account, events, ...extra });

for (const kind of databaseKinds()) {
  describe(`credits-server API on ${kind.name}`, { timeout: 240_000 }, () => {
    let backend;
    let s;
    let svc;
    const cursorOf = async (accountId) => {
      const r = await svc.get(`/v1/accounts/${accountId}/changes?after=0&wait=0`);
      if (r.status === 204) return 0;
      assert.equal(r.status, 200, r.text);
      assert.notEqual(r.headers['credits-more'], 'true', 'the test accounts hold fewer than one page of changes');
      return Number(r.headers['credits-cursor']);
    };
    const documentBytes = async (accountId) => {
      const r = await svc.get(`/v1/accounts/${accountId}/document`);
      assert.equal(r.status, 200, r.text);
      return r.body;
    };

    before(async () => {
      backend = await kind.open();
      // The demo's 481 events are fewer than the default --checkpoint-events-min (1,000): a lower
      // one gives it a checkpoint, so the checkpointed paths run on the demo too.
      s = await startServer(backend, { args: ['--checkpoint-events-min', String(CHECKPOINT_EVENTS_MIN)] });
      svc = client(s.base, s.service);
    });
    after(async () => {
      try {
        await s?.close();
      } finally {
        backend?.close();
      }
    });

    test('/healthz answers ok with the schema version, without a token', async () => {
      const r = await request(s.base, '/healthz');
      assert.equal(r.status, 200);
      assert.match(r.headers['content-type'], /^application\/json/);
      const body = r.json();
      assert.equal(body.status, 'ok');
      assert.ok(Number.isInteger(body.schema_version) && body.schema_version >= 1, r.text);
    });

    test('the command line: migrate prints the schema version, a wrong command exits 2, a taken port exits 1', async () => {
      const migrate = spawnSync(SERVER_BIN, ['migrate', '--database', s.database], { encoding: 'utf8', timeout: 30_000 });
      assert.equal(migrate.status, 0, migrate.stderr);
      const version = (await request(s.base, '/healthz')).json().schema_version;
      assert.match(migrate.stdout, new RegExp(`\\b${version}\\b`));
      for (const wrong of [['bogus'], ['serve', '--listen'], ['token', '--database', s.database], ['serve', '--no-such-flag']]) {
        const r = spawnSync(SERVER_BIN, wrong, { encoding: 'utf8', timeout: 30_000 });
        assert.equal(r.status, 2, `credits-server ${wrong.join(' ')}: ${r.stderr}`);
      }
      // (A server that binds the port anyway is still serving after 5 s: spawnSync's SIGTERM ends it.)
      const taken = spawnSync(SERVER_BIN, ['serve', '--database', s.database, '--listen', `127.0.0.1:${s.server.port}`], { encoding: 'utf8', timeout: 5000 });
      assert.equal(taken.status, 1, `a port in use: ${taken.stderr}`);
    });

    test('the demo ledger is accepted whole; posting it again stores nothing and counts every event a duplicate', async () => {
      const first = await svc.ingest(demoText);
      assert.equal(first.status, 200, first.text);
      assert.match(first.headers['content-type'], /^application\/json/);
      assert.deepEqual(first.json(), { accepted: demo.events.length, duplicates_ignored: 0, cursor: demo.events.length });
      const again = await svc.ingest(demoText);
      assert.equal(again.status, 200, again.text);
      assert.deepEqual(again.json(), { accepted: 0, duplicates_ignored: demo.events.length, cursor: demo.events.length });
      assert.equal(await cursorOf(ACCOUNT), demo.events.length);
    });

    test('/document exports the stored history: the same events in arrival order, the same reports as the file', async () => {
      const exported = JSON.parse((await documentBytes(ACCOUNT)).toString('utf8'));
      assert.equal(exported.format, 'easycoda.ledger/1');
      assert.deepEqual(exported.account, demo.account);
      const byId = (a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
      assert.deepEqual([...exported.projects].sort(byId), [...demo.projects].sort(byId));
      assert.deepEqual(exported.events, demo.events);
      for (const at of ['2026-12-01T00:00:00Z', '2026-10-15T12:00:00Z']) {
        assert.equal(cliAnswer(['report', '--at', at], exported).toString(), cliAnswer(['report', '--at', at], demoText).toString(), at);
      }
    });

    test('the demo account keeps a checkpoint at the start of the month before its newest event\'s', async () => {
      const r = await svc.get(`/v1/accounts/${ACCOUNT}/console-ledger`);
      assert.equal(r.status, 200, r.text);
      const consoleLedger = r.json();
      assert.ok(consoleLedger.checkpoint, 'the demo spans three months: its console ledger is checkpointed');
      assert.equal(Date.parse(consoleLedger.checkpoint.at), expectedCheckpointMs(demo));
      // The console ledger is a document the core reads, and it holds only the events from the checkpoint on.
      const S = Date.parse(consoleLedger.checkpoint.at);
      assert.ok(consoleLedger.events.every((e) => Date.parse(e.at) >= S));
      assert.deepEqual(consoleLedger.events.map((e) => e.id), demo.events.filter((e) => Date.parse(e.at) >= S).map((e) => e.id));
    });

    test('every report route answers the CLI bytes for /console-ledger, the whole history\'s figures for /document', async () => {
      const consoleLedger = (await svc.get(`/v1/accounts/${ACCOUNT}/console-ledger`)).body;
      const exported = await documentBytes(ACCOUNT);
      const S = Date.parse(JSON.parse(consoleLedger).checkpoint.at);
      const projects = demo.projects.map((p) => p.id);
      for (const at of ['2026-12-01T00:00:00Z', '2026-11-20T08:30:00+08:00', '2027-02-01T00:00:00Z']) {
        for (const question of questions(ACCOUNT, projects, at, { from: '2026-10-01T00:00:00+08:00', to: '2026-11-15T00:00:00+08:00' })) {
          const r = await svc.get(question.path);
          assert.equal(r.status, 200, `${question.path}: ${r.text}`);
          assert.match(r.headers['content-type'], /^application\/json/);
          assert.equal(r.text, cliAnswer(question.args, consoleLedger).toString(), `${question.path} vs credits ${question.args.join(' ')} console-ledger`);
          const full = cliAnswer(question.args, exported);
          if (question.exact) assert.equal(r.text, full.toString(), `${question.path} vs the whole history`);
          else if (!question.project && !question.zone) assertSameFigures(r.body, full, question.path);
        }
      }
      // Before the checkpoint the server answers from the whole stored history: the /document bytes.
      const early = new Date(S - 12 * DAY_MS).toISOString();
      for (const question of questions(ACCOUNT, projects, early)) {
        const r = await svc.get(question.path);
        assert.equal(r.status, 200, `${question.path}: ${r.text}`);
        assert.equal(r.text, cliAnswer(question.args, exported).toString(), `${question.path} (before the checkpoint) vs /document`);
      }
    });

    test('a report without `at` answers at the server\'s clock and says so', async () => {
      const t0 = Math.floor(Date.now() / 1000) * 1000;
      const r = await svc.get(`/v1/accounts/${ACCOUNT}/report`);
      assert.equal(r.status, 200, r.text);
      const at = Date.parse(r.json().at);
      assert.ok(at >= t0 - 1000 && at <= Date.now() + 1000, `at ${r.json().at} is not now`);
      assert.equal(at % 1000, 0, 'whole seconds');
      const consoleLedger = (await svc.get(`/v1/accounts/${ACCOUNT}/console-ledger`)).body;
      assert.equal(r.text, cliAnswer(['report', '--at', r.json().at], consoleLedger).toString());
    });

    test('questions the core rejects are 422 with its errors; bad query parameters are 400', async () => {
      const cases = [
        [`/v1/accounts/${ACCOUNT}/report?at=yesterday`, 422, 'invalid_query'],
        [`/v1/accounts/${ACCOUNT}/report?at=2026-12-01T00:00:00Z&utc_offset=%2B15:00`, 422, 'invalid_query'],
        [`/v1/accounts/${ACCOUNT}/projects/prj_nope/report?at=2026-12-01T00:00:00Z`, 422, 'unknown_project'],
        [`/v1/accounts/${ACCOUNT}/report?at=2026-12-01T00:00:00Z&at=2026-12-02T00:00:00Z`, 400, 'bad_request'],
        [`/v1/accounts/${ACCOUNT}/report?at=2026-12-01T00:00:00Z&colour=red`, 400, 'bad_request'],
        [`/v1/accounts/${ACCOUNT}/changes?after=abc&wait=0`, 400, 'bad_request'],
        [`/v1/accounts/${ACCOUNT}/changes?after=0&wait=31`, 400, 'bad_request'],
        [`/v1/accounts/${ACCOUNT}/changes?after=-1&wait=0`, 400, 'bad_request'],
        // An empty value is not a parameter left out: every one of them is refused.
        [`/v1/accounts/${ACCOUNT}/report?at=`, 400, 'bad_request'],
        [`/v1/accounts/${ACCOUNT}/report?at=2026-12-01T00:00:00Z&from=`, 400, 'bad_request'],
        [`/v1/accounts/${ACCOUNT}/report?at=2026-12-01T00:00:00Z&to=`, 400, 'bad_request'],
        [`/v1/accounts/${ACCOUNT}/report?at=2026-12-01T00:00:00Z&utc_offset=`, 400, 'bad_request'],
        [`/v1/accounts/${ACCOUNT}/report?at=2026-12-01T00:00:00Z&utc_offsets=`, 400, 'bad_request'],
        [`/v1/accounts/${ACCOUNT}/report?at=2026-12-01T00:00:00Z&from`, 400, 'bad_request'],
        [`/v1/accounts/${ACCOUNT}/projects/prj_nope/report?at=2026-12-01T00:00:00Z&to=`, 400, 'bad_request'],
        [`/v1/accounts/${ACCOUNT}/forecast?at=`, 400, 'bad_request'],
        [`/v1/accounts/${ACCOUNT}/changes?after=&wait=0`, 400, 'bad_request'],
        [`/v1/accounts/${ACCOUNT}/changes?after=0&wait=`, 400, 'bad_request'],
        ['/v1/accounts/acct_missing/report?at=2026-12-01T00:00:00Z', 404, 'account_not_found'],
        ['/v1/nothing', 404, 'not_found'],
      ];
      for (const [path, status, code] of cases) {
        const r = await svc.get(path);
        assert.equal(r.status, status, `${path}: ${r.status} ${r.text}`);
        assert.match(r.headers['content-type'], /^application\/json/, path);
        const errors = r.json().errors;
        assert.ok(Array.isArray(errors) && errors.length >= 1, `${path}: ${r.text}`);
        assert.equal(errors[0].code, code, `${path}: ${r.text}`);
        for (const e of errors) assert.deepEqual(Object.keys(e).sort(), ['code', 'event_id', 'message', 'pointer'], path);
      }
      const r = await svc.post(`/v1/accounts/${ACCOUNT}/report?at=2026-12-01T00:00:00Z`, '{}');
      assert.equal(r.status, 405, r.text);
      assert.equal(r.json().errors[0].code, 'method_not_allowed');
    });

    test('POST /v1/quote answers the bytes of `credits quote`, rejections with the core\'s errors, without a token', async () => {
      const dir = join(ROOT, 'tests/vectors/quotes');
      let answered = 0;
      for (const name of readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) {
        const body = readFileSync(join(dir, name));
        const expected = cli(['quote'], body);
        const r = await request(s.base, '/v1/quote', { method: 'POST', body, headers: { 'Content-Type': 'application/json' } });
        if (expected.status === 0) {
          answered += 1;
          assert.equal(r.status, 200, `${name}: ${r.text}`);
          assert.equal(r.text, withoutNewline(expected.stdout).toString(), name);
        } else {
          assert.equal(r.status, 422, `${name}: ${r.text}`);
          assert.deepEqual(r.json(), JSON.parse(expected.stdout.toString()), name);
        }
      }
      assert.ok(answered >= 5, 'most quote vectors are answered');
    });

    test('report answers carry the documented ETag; If-None-Match answers 304 until the account changes', async () => {
      const path = `/v1/accounts/${ACCOUNT}/report?at=2026-12-01T00:00:00Z`;
      const r = await svc.get(path);
      assert.equal(r.status, 200);
      assert.equal(r.headers.etag, etagOf(r.body));
      const same = await svc.get(path, { headers: { 'If-None-Match': r.headers.etag } });
      assert.equal(same.status, 304);
      assert.equal(same.body.length, 0);
      const other = await svc.get(path, { headers: { 'If-None-Match': '"sha256:00000000000000000000000000000000"' } });
      assert.equal(other.status, 200);
      assert.equal(other.text, r.text);
      for (const p of [`/v1/accounts/${ACCOUNT}/forecast?at=2026-12-01T00:00:00Z`, `/v1/accounts/${ACCOUNT}/projects/prj_shop/report?at=2026-12-01T00:00:00Z`]) {
        const a = await svc.get(p);
        assert.equal(a.headers.etag, etagOf(a.body), p);
        assert.equal((await svc.get(p, { headers: { 'If-None-Match': a.headers.etag } })).status, 304, p);
      }
      // A new event in the range changes the report: the old ETag no longer matches.
      const posted = await svc.ingest(fragment([buildUsage('etag_1', '2026-11-30T10:00:00Z')]));
      assert.equal(posted.status, 200, posted.text);
      const changed = await svc.get(path, { headers: { 'If-None-Match': r.headers.etag } });
      assert.equal(changed.status, 200);
      assert.notEqual(changed.headers.etag, r.headers.etag);
      assert.equal(changed.headers.etag, etagOf(changed.body));
    });

    test('a Range header is ignored: every answer is whole (reports, errors, the document)', async () => {
      const report = `/v1/accounts/${ACCOUNT}/report?at=2026-12-01T00:00:00Z`;
      const cases = [
        [report, 200],
        [`/v1/accounts/${ACCOUNT}/document`, 200],
        ['/v1/accounts/acct_missing/report?at=2026-12-01T00:00:00Z', 404],
        ['/v1/nothing', 404],
        [`/v1/accounts/${ACCOUNT}/report?at=`, 400],
      ];
      for (const [path, status] of cases) {
        const whole = await svc.get(path);
        assert.equal(whole.status, status, `${path}: ${whole.text}`);
        for (const range of ['bytes=0-20', 'bytes=5-', 'bytes=-3', 'bytes=0-1,4-9', 'bytes=999999999-']) {
          const r = await svc.get(path, { headers: { Range: range } });
          assert.equal(r.status, status, `${path} ${range}: ${r.status} ${r.text.slice(0, 200)}`);
          assert.equal(r.headers['content-range'], undefined, `${path} ${range}`);
          assert.equal(r.text, whole.text, `${path} ${range}: not the whole answer`);
          JSON.parse(r.text);
          if (status === 200 && path === report) assert.equal(r.headers.etag, etagOf(r.body));
        }
      }
    });

    test('large answers are gzipped when the client accepts gzip, and inflate to the same bytes', async () => {
      for (const path of [`/v1/accounts/${ACCOUNT}/report?at=2026-12-01T00:00:00Z`, `/v1/accounts/${ACCOUNT}/document`,
        `/v1/accounts/${ACCOUNT}/console-ledger`]) {
        const plain = await svc.get(path);
        assert.equal(plain.status, 200);
        assert.equal(plain.headers['content-encoding'], undefined, `${path}: compressed without being asked`);
        const zipped = await svc.get(path, { headers: { 'Accept-Encoding': 'gzip' } });
        assert.equal(zipped.status, 200);
        assert.equal(zipped.headers['content-encoding'], 'gzip', path);
        assert.ok(zipped.body.length < plain.body.length / 2, `${path}: gzip should shrink JSON (${zipped.body.length} vs ${plain.body.length})`);
        assert.equal(gunzip(zipped.body).toString(), plain.text, path);
        if (zipped.headers.etag) assert.equal(zipped.headers.etag, etagOf(plain.body), `${path}: the ETag names the uncompressed bytes`);
      }
    });

    test('conflicts with stored events are 422 with the core\'s codes, and store nothing', async () => {
      const before = await documentBytes(ACCOUNT);
      const cursor = await cursorOf(ACCOUNT);
      const usage = demo.events.find((e) => e.type === 'usage' && e.service === 'agent_chat' && Date.parse(e.at) < Date.parse('2026-09-30T00:00:00Z'));
      const completed = demo.events.find((e) => e.type === 'session_completed' && e.project_id === usage.project_id &&
        e.task_id === usage.task_id && e.session_id === usage.session_id);
      assert.ok(completed, 'the demo completes the session of its first agent_chat record');
      const cases = [
        // An id the account holds (a September usage record, before the checkpoint) with other content.
        ['duplicate_id_conflict', fragment([{ ...usage, model: 'another-model' }])],
        // A grant id from before the checkpoint, reused.
        ['duplicate_id_conflict', fragment([{ ...buildUsage(demo.events.find((e) => e.type === 'credits_purchased').id, '2026-11-30T11:00:00Z') }])],
        // agent_chat usage for a session completed in September.
        ['usage_after_completion', fragment([{ ...usage, id: 'late_chat_1', at: '2026-11-30T12:00:00Z' }])],
        ['duplicate_completion', fragment([{ ...completed, id: 'late_completion_1', at: '2026-11-30T12:00:00Z' }])],
        ['duplicate_account_opened', fragment([{ id: 'reopen_1', type: 'account_opened', at: '2026-11-30T12:00:00Z' }])],
        ['account_mismatch', { ...fragment([buildUsage('mismatch_1', '2026-11-30T12:00:00Z')]), account: { ...demo.account, utc_offset: '+01:00' } }],
        ['duplicate_project', fragment([buildUsage('rename_1', '2026-11-30T12:00:00Z')], { projects: [{ id: 'prj_shop', name: 'Renamed' }] })],
        ['unknown_project', fragment([buildUsage('nowhere_1', '2026-11-30T12:00:00Z', 'prj_nowhere')])],
      ];
      for (const [code, body] of cases) {
        const r = await svc.ingest(body);
        assert.equal(r.status, 422, `${code}: ${r.status} ${r.text}`);
        const errors = r.json().errors;
        assert.ok(errors.some((e) => e.code === code), `${code} expected: ${r.text}`);
        for (const e of errors) assert.match(e.pointer, /^\/(events|account|projects)(\/|$)/, r.text);
      }
      // A first document for a new account must open it.
      const unopened = await svc.ingest({ format: 'easycoda.ledger/1', account: { id: 'acct_unopened', utc_offset: '+00:00' },
        projects: [{ id: 'p', name: 'P' }], events: [buildUsage('u1', '2026-11-30T12:00:00Z', 'p')] });
      assert.equal(unopened.status, 422, unopened.text);
      assert.ok(unopened.json().errors.some((e) => e.code === 'missing_account_opened'), unopened.text);
      assert.equal((await svc.get('/v1/accounts/acct_unopened/document')).status, 404, 'a rejected first document creates no account');
      assert.equal(await cursorOf(ACCOUNT), cursor);
      assert.ok((await documentBytes(ACCOUNT)).equals(before), 'no rejected batch changed /document');
      // Exact repeats of events from before the checkpoint are duplicates, not conflicts.
      const repeat = await svc.ingest(fragment([usage, completed]));
      assert.equal(repeat.status, 200, repeat.text);
      assert.deepEqual(repeat.json(), { accepted: 0, duplicates_ignored: 2, cursor });
    });

    test('all or nothing: a batch with one bad event stores none of its good ones', async () => {
      const before = await documentBytes(ACCOUNT);
      const cursor = await cursorOf(ACCOUNT);
      const good = Array.from({ length: 5 }, (_, i) => buildUsage(`aon_${i}`, `2026-11-30T13:0${i}:00Z`));
      const bad = [...good.slice(0, 3), { ...buildUsage('aon_bad', '2026-11-30T13:30:00Z'), tokens: { output: -1 } }, ...good.slice(3)];
      const r = await svc.ingest(fragment(bad));
      assert.equal(r.status, 422, r.text);
      const errors = r.json().errors;
      assert.ok(errors.some((e) => e.event_id === 'aon_bad' && e.pointer.startsWith('/events/3')), r.text);
      assert.equal(await cursorOf(ACCOUNT), cursor);
      assert.ok((await documentBytes(ACCOUNT)).equals(before));
      // The good events alone are accepted: none of them was kept from the rejected batch.
      const ok = await svc.ingest(fragment(good));
      assert.equal(ok.status, 200, ok.text);
      assert.deepEqual(ok.json(), { accepted: 5, duplicates_ignored: 0, cursor: cursor + 5 });
      // A duplicate inside one body is ignored and counted.
      const twice = await svc.ingest(fragment([buildUsage('aon_twice', '2026-11-30T14:00:00Z'), buildUsage('aon_twice', '2026-11-30T14:00:00Z')]));
      assert.equal(twice.status, 200, twice.text);
      assert.deepEqual(twice.json(), { accepted: 1, duplicates_ignored: 1, cursor: cursor + 6 });
    });

    test('a late event dated before the checkpoint is accepted and the checkpoint re-derived: figures follow it', async () => {
      const late = { id: 'late_grant_1', type: 'credits_granted', at: '2026-09-15T03:00:00Z', credits: '77.7', reason: 'Late goodwill' };
      const r = await svc.ingest(fragment([late]));
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json().accepted, 1);
      const exported = await documentBytes(ACCOUNT);
      const consoleLedger = (await svc.get(`/v1/accounts/${ACCOUNT}/console-ledger`)).body;
      const ck = JSON.parse(consoleLedger).checkpoint;
      assert.ok(ck.grants.some((g) => g.id === 'late_grant_1'), 'the re-derived checkpoint holds the late grant');
      const at = '2026-12-01T00:00:00Z';
      const report = await svc.get(`/v1/accounts/${ACCOUNT}/report?at=${at}`);
      assert.equal(report.status, 200);
      assert.equal(report.text, cliAnswer(['report', '--at', at], consoleLedger).toString());
      assertSameFigures(report.body, cliAnswer(['report', '--at', at], exported), 'after a late grant');
      const withoutLate = JSON.parse(exported);
      withoutLate.events = withoutLate.events.filter((e) => e.id !== 'late_grant_1');
      const without = JSON.parse(cliAnswer(['report', '--at', at], withoutLate));
      // 77.7 credits that never expire: the balance is theirs higher, the charges unchanged.
      assert.equal(JSON.parse(report.text).balance_tokens, without.balance_tokens + 777_000);
      assert.equal(JSON.parse(report.text).lifetime_charged_tokens, without.lifetime_charged_tokens);
    });

    test('fragments in several batches store what one document stores (a generated year of activity)', async () => {
      const one = generated(3000, 'acct_gen_one');
      const split = generated(3000, 'acct_gen_split');
      const r1 = await svc.ingest(one);
      assert.equal(r1.status, 200, r1.text);
      assert.deepEqual(r1.json(), { accepted: one.events.length, duplicates_ignored: 0, cursor: one.events.length });
      const sizes = [1, 499, 700, 1, 900];
      let offset = 0;
      let cursor = 0;
      for (let i = 0; offset < split.events.length; i++) {
        const n = sizes[i] ?? 1000;
        const events = split.events.slice(offset, offset + n);
        const body = { format: split.format, account: split.account, events };
        if (i === 0) body.projects = split.projects;  // later fragments name stored projects only
        const r = await svc.ingest(body);
        assert.equal(r.status, 200, `batch ${i}: ${r.text}`);
        cursor += events.length;
        assert.deepEqual(r.json(), { accepted: events.length, duplicates_ignored: 0, cursor });
        offset += n;
      }
      const d1 = JSON.parse((await documentBytes('acct_gen_one')).toString());
      const d2 = JSON.parse((await documentBytes('acct_gen_split')).toString());
      assert.deepEqual(d2.events, d1.events);
      assert.deepEqual(d2.projects, d1.projects);
      assert.equal(d1.events.length, one.events.length);
      const at = '2026-01-01T00:00:00Z';
      const c1 = (await svc.get('/v1/accounts/acct_gen_one/console-ledger')).body;
      for (const question of questions('acct_gen_one', ['prj_0000', 'prj_0003'], at, { from: '2025-12-01T00:00:00+08:00', to: '2025-12-20T00:00:00+08:00' })) {
        const a = await svc.get(question.path);
        const b = await svc.get(question.path.replace('acct_gen_one', 'acct_gen_split'));
        assert.equal(a.status, 200, `${question.path}: ${a.text}`);
        assert.equal(b.text, a.text.replaceAll('"acct_gen_one"', '"acct_gen_split"'), question.path);
        assert.equal(a.text, cliAnswer(question.args, c1).toString(), question.path);
        const full = cliAnswer(question.args, one);
        if (question.exact) assert.equal(a.text, full.toString(), question.path);
        else if (!question.project && !question.zone) assertSameFigures(a.body, full, question.path);
      }
    });

    test('exact repeats change no report: the figures are the stored history\'s, whatever was posted twice', async () => {
      const paths = [`/v1/accounts/${ACCOUNT}/report?at=2026-12-01T00:00:00Z`, `/v1/accounts/${ACCOUNT}/forecast?at=2026-12-01T00:00:00Z`];
      const before = await Promise.all(paths.map((p) => svc.get(p)));
      const again = await svc.ingest(demoText);
      assert.equal(again.status, 200, again.text);
      assert.equal(again.json().accepted, 0);
      for (const [i, p] of paths.entries()) {
        const after = await svc.get(p);
        assert.equal(after.text, before[i].text, `${p} changed after posting stored events again`);
      }
      const exported = await documentBytes(ACCOUNT);
      const report = await svc.get(paths[0]);
      assert.equal(JSON.parse(report.text).duplicates_ignored,
        JSON.parse(cliAnswer(['report', '--at', '2026-12-01T00:00:00Z'], exported)).duplicates_ignored,
        'duplicates_ignored: the whole history\'s (/document\'s)');
    });

    test('an account with no events before last month has no checkpoint: reports are the bytes of /document', async () => {
      const opened = '2026-11-03T09:00:00Z';
      const doc = {
        format: 'easycoda.ledger/1', account: { id: 'acct_young', utc_offset: '-05:00' }, projects: [{ id: 'p1', name: 'One' }],
        events: [
          { id: 'o', type: 'account_opened', at: opened },
          { id: 'u1', type: 'usage', at: '2026-11-04T10:00:00Z', project_id: 'p1', service: 'agent_chat', task_id: 't', session_id: 's',
            model: 'm', tokens: { output: 5000, input_cache_miss: 20000 } },
          { id: 'c1', type: 'session_completed', at: '2026-11-04T11:00:00Z', project_id: 'p1', task_id: 't', session_id: 's' },
          { id: 'b1', type: 'subscription_billed', at: '2026-11-05T00:00:00Z', plan: 'standard', outcome: 'succeeded' },
        ],
      };
      const r = await svc.ingest(doc);
      assert.equal(r.status, 200, r.text);
      // Posted twice, as a retrying client would: the second post stores nothing.
      const again = await svc.ingest(doc);
      assert.deepEqual(again.json(), { accepted: 0, duplicates_ignored: doc.events.length, cursor: doc.events.length });
      const exported = await documentBytes('acct_young');
      const consoleLedger = (await svc.get('/v1/accounts/acct_young/console-ledger')).json();
      assert.equal(consoleLedger.checkpoint, undefined, 'no checkpoint yet');
      for (const question of questions('acct_young', ['p1'], '2026-12-01T00:00:00Z', { from: '2026-11-04T00:00:00Z', to: '2026-11-30T00:00:00Z' })) {
        const a = await svc.get(question.path);
        assert.equal(a.status, 200, a.text);
        assert.equal(a.text, cliAnswer(question.args, exported).toString(), question.path);
      }
    });

    test('/changes answers at once when events follow the cursor, with a fragment the account\'s events continue', async () => {
      const all = JSON.parse((await documentBytes(ACCOUNT)).toString());
      const t0 = performance.now();
      const r = await svc.get(`/v1/accounts/${ACCOUNT}/changes?after=470&wait=25`);
      assert.ok(performance.now() - t0 < 5000, 'answered without waiting');
      assert.equal(r.status, 200, r.text);
      assert.equal(Number(r.headers['credits-cursor']), all.events.length);
      const body = r.json();
      assert.equal(body.format, 'easycoda.ledger/1');
      assert.deepEqual(body.account, demo.account);
      assert.deepEqual(body.events, all.events.slice(470));
      assert.equal(body.projects.length, demo.projects.length);
      // The stored events up to 470 followed by the fragment are the account's whole history.
      const head = { ...all, events: all.events.slice(0, 470) };
      const rebuilt = { ...all, events: [...head.events, ...body.events] };
      assert.equal(cliAnswer(['report', '--at', '2026-12-01T00:00:00Z'], rebuilt).toString(),
        cliAnswer(['report', '--at', '2026-12-01T00:00:00Z'], all).toString());
    });

    test('/changes waits for an event posted during the wait and answers within a second of it', async () => {
      const cursor = await cursorOf(ACCOUNT);
      const waiting = svc.get(`/v1/accounts/${ACCOUNT}/changes?after=${cursor}&wait=10`, { timeoutMs: 15_000 });
      await sleep(600);
      const event = buildUsage('during_wait_1', '2026-11-30T15:00:00Z');
      const posted = await svc.ingest(fragment([event]));
      assert.equal(posted.status, 200, posted.text);
      const postedAt = performance.now();
      const r = await waiting;
      const latency = performance.now() - postedAt;
      assert.equal(r.status, 200, r.text);
      assert.ok(latency < 1000, `the waiting long-poll answered ${latency.toFixed(0)} ms after the event was accepted`);
      assert.equal(Number(r.headers['credits-cursor']), cursor + 1);
      assert.deepEqual(r.json().events, [event]);
    });

    test('/changes answers 204 with the same cursor when nothing arrives in `wait` seconds', async () => {
      const cursor = await cursorOf(ACCOUNT);
      const t0 = performance.now();
      const r = await svc.get(`/v1/accounts/${ACCOUNT}/changes?after=${cursor}&wait=1`);
      const ms = performance.now() - t0;
      assert.equal(r.status, 204, r.text);
      assert.equal(Number(r.headers['credits-cursor']), cursor);
      assert.equal(r.body.length, 0);
      assert.ok(ms >= 900 && ms < 5000, `waited ${ms.toFixed(0)} ms for wait=1`);
      const zero = await svc.get(`/v1/accounts/${ACCOUNT}/changes?after=${cursor}&wait=0`);
      assert.equal(zero.status, 204);
    });

    test('/changes: beyond --waiters-max (32) waiting long-polls the next is 429 too_many_waiters with Retry-After', async () => {
      const cursor = await cursorOf(ACCOUNT);
      const waiting = Array.from({ length: 32 }, () => svc.get(`/v1/accounts/${ACCOUNT}/changes?after=${cursor}&wait=4`));
      await sleep(1500);  // every one of them connected and waiting
      const extra = await svc.get(`/v1/accounts/${ACCOUNT}/changes?after=${cursor}&wait=4`);
      assert.equal(extra.status, 429, extra.text);
      assert.equal(extra.json().errors[0].code, 'too_many_waiters');
      assert.equal(extra.headers['retry-after'], '1');
      const answers = await Promise.all(waiting);
      assert.deepEqual(answers.map((r) => r.status), Array(32).fill(204));
      // Once they are answered, a long-poll is taken again.
      assert.equal((await svc.get(`/v1/accounts/${ACCOUNT}/changes?after=${cursor}&wait=0`)).status, 204);
    });

    test('/changes pages more than 10,000 events with Credits-More', async () => {
      const doc = generated(12_000, 'acct_pages');
      let cursor = 0;
      for (let offset = 0; offset < doc.events.length; offset += 6000) {
        const body = { format: doc.format, account: doc.account, projects: doc.projects, events: doc.events.slice(offset, offset + 6000) };
        const r = await svc.ingest(body);
        assert.equal(r.status, 200, r.text);
        cursor = r.json().cursor;
      }
      assert.equal(cursor, doc.events.length);
      const first = await svc.get('/v1/accounts/acct_pages/changes?after=0&wait=0');
      assert.equal(first.status, 200);
      assert.equal(first.headers['credits-more'], 'true');
      assert.equal(Number(first.headers['credits-cursor']), 10_000);
      assert.equal(first.json().events.length, 10_000);
      const second = await svc.get('/v1/accounts/acct_pages/changes?after=10000&wait=0');
      assert.equal(second.status, 200);
      assert.notEqual(second.headers['credits-more'], 'true');
      assert.equal(Number(second.headers['credits-cursor']), doc.events.length);
      assert.deepEqual([...first.json().events, ...second.json().events].map((e) => e.id), doc.events.map((e) => e.id));
    });

    test('/metrics is Prometheus text that counts requests, ingests and rejections', async () => {
      const scrape = async () => {
        const r = await request(s.base, '/metrics');
        assert.equal(r.status, 200);
        assert.match(r.headers['content-type'], /^text\/plain/);
        const series = new Map();
        for (const line of r.text.split('\n')) {
          if (!line || line.startsWith('#')) {
            if (line) assert.match(line, /^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* /, line);
            continue;
          }
          const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (-?[0-9.e+-]+|NaN|\+Inf|-Inf)$/.exec(line);
          assert.ok(m, `not a Prometheus sample line: ${line}`);
          series.set(m[1] + (m[2] ?? ''), Number(m[3]));
        }
        return { text: r.text, series };
      };
      const sum = (series, pattern) => [...series].filter(([k]) => pattern.test(k)).reduce((acc, [, v]) => acc + v, 0);
      const a = await scrape();
      for (const [name, type] of [['credits_http_requests_total', 'counter'], ['credits_http_request_duration_seconds', 'histogram'],
        ['credits_ingest_events_total', 'counter'], ['credits_ingest_batches_total', 'counter'], ['credits_longpoll_waiters', 'gauge'],
        ['credits_checkpoints_written_total', 'counter'], ['credits_cached_accounts', 'gauge']]) {
        assert.match(a.text, new RegExp(`^# TYPE ${name} ${type}$`, 'm'), `${name} (${type}) is documented`);
      }
      assert.ok(sum(a.series, /^credits_checkpoints_written_total$/) >= 1, 'the demo\'s checkpoint was written');
      await svc.get(`/v1/accounts/${ACCOUNT}/report?at=2026-12-01T00:00:00Z`);
      const ok = await svc.ingest(fragment([buildUsage('metrics_1', '2026-11-30T16:00:00Z'), buildUsage('metrics_1', '2026-11-30T16:00:00Z')]));
      assert.equal(ok.status, 200);
      const bad = await svc.ingest(fragment([buildUsage('metrics_2', '2026-11-30T16:00:00Z', 'prj_none')]));
      assert.equal(bad.status, 422);
      const b = await scrape();
      const delta = (pattern) => sum(b.series, pattern) - sum(a.series, pattern);
      assert.equal(delta(/^credits_http_requests_total\{.*route="\/v1\/accounts\/\{id\}\/report".*status="200"/), 1, b.text);
      assert.equal(delta(/^credits_http_requests_total\{.*route="\/v1\/ledger".*status="422"/), 1, b.text);
      assert.equal(delta(/^credits_ingest_events_total\{result="accepted"\}/), 1);
      assert.equal(delta(/^credits_ingest_events_total\{result="duplicate"\}/), 1);
      assert.equal(delta(/^credits_ingest_batches_total\{result="accepted"\}/), 1);
      assert.equal(delta(/^credits_ingest_batches_total\{result="rejected"\}/), 1);
      assert.ok(delta(/^credits_http_request_duration_seconds_count\{.*route="\/v1\/ledger"/) >= 2, 'latencies are counted per route');
      for (const key of b.series.keys()) assert.ok(!key.includes('acct_demo'), `labels are routes, not paths: ${key}`);
    });

    test('an account token reads its own account and nothing else; tokens are printed once in their documented shape', async () => {
      const own = makeToken(s.database, { account: ACCOUNT });
      assert.match(own, /^eca_[A-Za-z0-9_-]{43}$/);
      assert.match(s.service, /^ecs_[A-Za-z0-9_-]{43}$/);
      assert.notEqual(makeToken(s.database, { account: ACCOUNT }), own, 'every token is new');
      const mine = client(s.base, own);
      const r = await mine.get(`/v1/accounts/${ACCOUNT}/report?at=2026-12-01T00:00:00Z`);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.text, (await svc.get(`/v1/accounts/${ACCOUNT}/report?at=2026-12-01T00:00:00Z`)).text);
      assert.equal((await mine.get('/v1/accounts/acct_gen_one/report?at=2026-12-01T00:00:00Z')).status, 404);
    });

    test('a log line per request', async () => {
      await sleep(100);
      const count = () => s.server.stderr.split('\n').filter((l) => l.includes('/forecast')).length;
      const before = count();
      for (let i = 0; i < 3; i++) await svc.get(`/v1/accounts/${ACCOUNT}/forecast?at=2026-12-01T00:00:00Z`);
      await sleep(200);
      assert.equal(count(), before + 3, `three requests, three log lines naming their route:\n${s.server.stderr.slice(-2000)}`);
    });
  });
}
