// Crash safety, on SQLite and on PostgreSQL: clients post random batches of valid events while
// the server is SIGKILLed at random moments and restarted, again and again. A batch whose 200
// answer arrived is acknowledged; one that got no answer may or may not be stored. Afterwards
// every acknowledged batch is stored whole, no batch is stored in part, and the account's report
// is the CLI's report of exactly the stored batches. And SIGTERM lets an in-flight ingest finish.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';

import {
  DEMO_PATH, HOST, ServerProcess, cliAnswer, client, databaseKinds, documentOf, generateBatches, makeToken, prng, request, sleep,
} from './harness.mjs';

const demo = JSON.parse(readFileSync(DEMO_PATH, 'utf8'));
const opening = demo.events.find((e) => e.type === 'account_opened');
const PROJECTS = demo.projects.map((p) => p.id);
// Every generated event lies after the opening and before November, so the account never has
// events before the month before its newest one: no checkpoint, and its report is exactly the
// CLI's report of the whole stored history.
const START_MS = Date.parse('2026-09-02T00:00:00Z');
const END_MS = Date.parse('2026-10-30T00:00:00Z');
const REPORT_AT = '2026-11-01T00:00:00Z';

const SEED = Number(process.env.CRASH_SEED ?? (Date.now() % 1_000_000));
const KILLS = 15;
const BATCHES = 2400;           // more than the clients get through: they stop when the killing ends
const EVENTS_PER_BATCH = 100;
const POSTERS = 2;
const TIME_BUDGET_MS = 60_000;

for (const kind of databaseKinds()) {
  describe(`credits-server crash safety on ${kind.name} (seed ${SEED})`, { timeout: 180_000 }, () => {
    let backend;
    const servers = [];  // killed after the tests, whatever they found, so no server outlives them
    before(async () => { backend = await kind.open(); });
    after(async () => {
      for (const server of servers) await server.kill();
      backend?.close();
    });

    test(`${KILLS} SIGKILLs while clients post batches: acknowledged batches whole, none in part, the report the CLI's`, async (t) => {
      const rng = prng(SEED);
      const database = backend.newDatabase();
      const token = makeToken(database);
      const server = new ServerProcess(database);
      servers.push(server);
      await server.start();
      const api = () => client(server.base, token);

      // The opening, acknowledged before the killing starts.
      const head = { format: 'easycoda.ledger/1', account: demo.account, projects: demo.projects };
      const first = await api().ingest({ ...head, events: [opening] });
      assert.equal(first.status, 200, first.text);

      const batches = generateBatches({ seed: SEED, batches: BATCHES, eventsPerBatch: EVENTS_PER_BATCH, projects: PROJECTS,
        startMs: START_MS, endMs: END_MS, idPrefix: `k${kind.name[0]}` });
      const acknowledged = new Set();
      const unanswered = new Set();
      const rejected = [];
      let next = 0;
      let killing = true;
      const t0 = Date.now();

      async function poster() {
        while (killing && next < batches.length && Date.now() - t0 < TIME_BUDGET_MS) {
          const batch = batches[next++];
          // Fragments name the projects sometimes, and sometimes rely on the stored ones.
          const body = rng() < 0.5 ? { ...head, events: batch.events } : { format: head.format, account: head.account, events: batch.events };
          try {
            const r = await request(server.base, '/v1/ledger', { method: 'POST', body: JSON.stringify(body), timeoutMs: 10_000,
              headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` } });
            if (r.status === 200) {
              const answer = r.json();
              assert.equal(answer.accepted + answer.duplicates_ignored, batch.events.length, r.text);
              acknowledged.add(batch.index);
            } else if (r.status === 503) {
              unanswered.add(batch.index);  // the database went away under it: not acknowledged
            } else {
              rejected.push(`${batch.index}: ${r.status} ${r.text.slice(0, 300)}`);
            }
          } catch {
            unanswered.add(batch.index);
            await sleep(50);  // the server is down: give it a moment to come back
          }
        }
      }

      async function killer() {
        try {
          for (let k = 0; k < KILLS && Date.now() - t0 < TIME_BUDGET_MS; k++) {
            await sleep(150 + rng() * 600);
            await server.kill();
            await sleep(rng() * 100);
            await server.start();
          }
        } finally {
          killing = false;
        }
      }

      await Promise.all([killer(), ...Array.from({ length: POSTERS }, poster)]);
      assert.deepEqual(rejected, [], 'every batch is valid: none may be rejected');
      const kills = server.exits.filter((e) => e.signal === 'SIGKILL').length;
      assert.equal(kills, KILLS, `${kills} kills within the time budget`);
      assert.ok(acknowledged.size >= KILLS, `only ${acknowledged.size} batches acknowledged`);

      // Restart once more, cleanly, so nothing is cached from before the last kill.
      await server.stop();
      await server.start();
      const exported = await api().get('/v1/accounts/acct_demo/document');
      assert.equal(exported.status, 200, exported.text);
      const storedEvents = exported.json().events;
      const stored = new Map(storedEvents.map((e) => [e.id, e]));
      assert.equal(stored.size, storedEvents.length, 'no event stored twice');
      const storedBatches = [];
      let partial = [];
      for (const batch of batches) {
        const present = batch.events.filter((e) => stored.has(e.id)).length;
        if (present === 0) {
          assert.ok(!acknowledged.has(batch.index), `acknowledged batch ${batch.index} was lost`);
          continue;
        }
        if (present !== batch.events.length) partial.push(`${batch.index}: ${present}/${batch.events.length}`);
        storedBatches.push(batch);
        for (const e of batch.events) assert.deepEqual(stored.get(e.id), e, `event ${e.id} stored as posted`);
      }
      assert.deepEqual(partial, [], 'batches stored in part');
      partial = null;
      const expectedCount = 1 + storedBatches.length * EVENTS_PER_BATCH;
      assert.equal(storedEvents.length, expectedCount, 'nothing but the opening and whole batches is stored');
      for (const i of acknowledged) assert.ok(storedBatches.some((b) => b.index === i), `acknowledged batch ${i} stored`);

      // The cursor counts exactly the stored events.
      const changes = await api().get(`/v1/accounts/acct_demo/changes?after=${expectedCount}&wait=0`);
      assert.equal(changes.status, 204);
      assert.equal(Number(changes.headers['credits-cursor']), expectedCount);

      // The server's report is the CLI's report of exactly the stored batches.
      const doc = documentOf(demo.account, demo.projects, [opening, ...storedBatches.flatMap((b) => b.events)]);
      const report = await api().get(`/v1/accounts/acct_demo/report?at=${REPORT_AT}`);
      assert.equal(report.status, 200, report.text);
      assert.equal(report.text, cliAnswer(['report', '--at', REPORT_AT], doc).toString(), 'server report vs CLI report of the stored batches');
      const forecast = await api().get(`/v1/accounts/acct_demo/forecast?at=${REPORT_AT}`);
      assert.equal(forecast.text, cliAnswer(['forecast', '--at', REPORT_AT], doc).toString());

      // A batch that got no answer, posted again, is all new or all duplicates.
      const unknown = [...unanswered].filter((i) => !acknowledged.has(i)).slice(0, 5);
      for (const i of unknown) {
        const r = await api().ingest({ ...head, events: batches[i].events });
        assert.equal(r.status, 200, r.text);
        const { accepted, duplicates_ignored: dup } = r.json();
        const wasStored = storedBatches.some((b) => b.index === i);
        assert.deepEqual([accepted, dup], wasStored ? [0, EVENTS_PER_BATCH] : [EVENTS_PER_BATCH, 0], `batch ${i} posted again`);
      }
      t.diagnostic(`${kind.name}: ${KILLS} kills in ${((Date.now() - t0) / 1000).toFixed(1)} s, ${acknowledged.size} batches acknowledged, ` +
        `${unanswered.size} unanswered, ${storedBatches.length} stored (${storedBatches.length - acknowledged.size} of them unacknowledged)`);
      await server.stop();
    });

    test('SIGTERM: an ingest in flight completes and is stored, then the server exits 0', async (t) => {
      const database = backend.newDatabase();
      const token = makeToken(database);
      const server = new ServerProcess(database);
      servers.push(server);
      await server.start();
      const head = { format: 'easycoda.ledger/1', account: demo.account, projects: demo.projects };
      assert.equal((await client(server.base, token).ingest({ ...head, events: [opening] })).status, 200);
      const [big] = generateBatches({ seed: SEED + 1, batches: 1, eventsPerBatch: 9000, projects: PROJECTS, startMs: START_MS, endMs: END_MS, idPrefix: 't' });
      const body = JSON.stringify({ ...head, events: big.events });
      // Half the body, then SIGTERM, then the rest: the request is in flight when the signal lands.
      const buffer = Buffer.from(body);
      const t0 = performance.now();
      let sendRest;
      const restSent = new Promise((r) => { sendRest = r; });
      const inFlight = new Promise((resolveAnswer, reject) => {
        const req = http.request({ host: HOST, port: server.port, path: '/v1/ledger', method: 'POST', agent: false, timeout: 30_000,
          headers: { 'Content-Type': 'application/json', 'Content-Length': buffer.length, Authorization: `Bearer ${token}` } }, (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => resolveAnswer({ status: res.statusCode, text: Buffer.concat(chunks).toString() }));
        });
        req.on('timeout', () => req.destroy(new Error('no answer within 30 s')));
        req.on('error', reject);
        req.write(buffer.subarray(0, buffer.length >> 1));
        restSent.then(() => req.end(buffer.subarray(buffer.length >> 1)));
      });
      // And a long-poll waiting for changes, which shutdown answers 204 at once (not after its 25 s).
      const poll = request(server.base, '/v1/accounts/acct_demo/changes?after=1&wait=25', { timeoutMs: 30_000,
        headers: { Authorization: `Bearer ${token}` } }).then((answer) => ({ ...answer, at: performance.now() - t0 }));
      await sleep(200);
      const termAt = performance.now() - t0;
      const exited = server.stop({ timeoutMs: 30_000 });
      await sleep(200);
      sendRest();
      const r = await inFlight;
      const answeredAt = performance.now() - t0;
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(JSON.parse(r.text), { accepted: 9000, duplicates_ignored: 0, cursor: 9001 });
      const polled = await poll;
      assert.equal(polled.status, 204, `the waiting long-poll at shutdown: ${polled.status} ${polled.text}`);
      assert.ok(polled.at - termAt < 5000, `the long-poll answered ${(polled.at - termAt).toFixed(0)} ms after SIGTERM`);
      const { code, signal } = await exited;
      assert.equal(signal, null);
      assert.equal(code, 0, `exit after SIGTERM:\n${server.stderr.slice(-2000)}`);
      t.diagnostic(`${kind.name}: SIGTERM at ${termAt.toFixed(0)} ms, the ingest answered at ${answeredAt.toFixed(0)} ms`);
      // After SIGTERM no new request is taken; after a restart the batch is there, whole.
      await server.start();
      const exported = await client(server.base, token).get('/v1/accounts/acct_demo/document');
      assert.equal(exported.json().events.length, 9001);
      await server.stop();
    });
  });
}
