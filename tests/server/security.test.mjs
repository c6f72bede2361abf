// Nobody reads an account that is not theirs (docs/server.md, "Security"), on SQLite and on
// PostgreSQL: tokens on every route, account tokens kept to their account (404, the same
// answer as a missing account), bodies too large or malformed, path tricks in ids, huge
// headers, a slow-loris client, and no token in the log. Every request goes to 127.0.0.1;
// every test is bounded in requests and time.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { readFileSync } from 'node:fs';

import { DEMO_PATH, HOST, client, databaseKinds, makeToken, rawRequest, request, sleep, startServer } from './harness.mjs';

const demoText = readFileSync(DEMO_PATH, 'utf8');
const demo = JSON.parse(demoText);
const ACCOUNT = demo.account.id;
const OTHER = 'acct_other';
const AT = '2026-12-01T00:00:00Z';

const otherDoc = {
  format: 'easycoda.ledger/1', account: { id: OTHER, utc_offset: '+00:00' }, projects: [{ id: 'prj_shop', name: 'Other shop' }],
  events: [{ id: 'o1', type: 'account_opened', at: '2026-11-01T00:00:00Z' },
    { id: 'o2', type: 'usage', at: '2026-11-02T00:00:00Z', project_id: 'prj_shop', service: 'build', tokens: { output: 1, input_cache_miss: 2 } }],
};

/** Every /v1 route that needs a token, for an account id: [method, path, body?]. */
function tokenRoutes(id) {
  return [
    ['POST', '/v1/ledger', demoText],
    ['GET', `/v1/accounts/${id}/report?at=${AT}`],
    ['GET', `/v1/accounts/${id}/projects/prj_shop/report?at=${AT}`],
    ['GET', `/v1/accounts/${id}/forecast?at=${AT}`],
    ['GET', `/v1/accounts/${id}/document`],
    ['GET', `/v1/accounts/${id}/console-ledger`],
    ['GET', `/v1/accounts/${id}/changes?after=0&wait=0`],
  ];
}
const readRoutes = (id) => tokenRoutes(id).filter(([m]) => m === 'GET');

const send = (base, [method, path, body], headers = {}) => request(base, path, {
  method, body, headers: body === undefined ? headers : { 'Content-Type': 'application/json', ...headers },
});

const codeOf = (r) => {
  try { return r.json().errors[0].code; } catch { return null; }
};

for (const kind of databaseKinds()) {
  describe(`credits-server security on ${kind.name}`, { timeout: 180_000 }, () => {
    let backend;
    let s;
    let svc;
    let demoToken;
    let otherToken;
    const secrets = [];  // every token this suite created or sent: none may appear in the log

    before(async () => {
      backend = await kind.open();
      s = await startServer(backend);
      svc = client(s.base, s.service);
      demoToken = makeToken(s.database, { account: ACCOUNT });
      otherToken = makeToken(s.database, { account: OTHER });
      secrets.push(s.service, demoToken, otherToken);
      assert.equal((await svc.ingest(demoText)).status, 200);
      assert.equal((await svc.ingest(otherDoc)).status, 200);
    });
    after(async () => {
      try {
        await s?.close();
      } finally {
        backend?.close();
      }
    });

    test('no token, a malformed Authorization header, an unknown token: 401 on every /v1 route but quote', async () => {
      const unknown = `ecs_${randomBytes(32).toString('base64url')}`;
      const unknownAccount = `eca_${randomBytes(32).toString('base64url')}`;
      secrets.push(unknown, unknownAccount);
      const variants = [
        {},
        { Authorization: '' },
        { Authorization: 'Bearer' },
        { Authorization: 'Bearer ' },
        { Authorization: `Basic ${Buffer.from(`user:${s.service}`).toString('base64')}` },
        { Authorization: `Token ${s.service}` },
        { Authorization: `Bearer ${unknown}` },
        { Authorization: `Bearer ${unknownAccount}` },
        { Authorization: `Bearer ${s.service.slice(0, -1)}` },
        { Authorization: `Bearer ${s.service}x` },
        { Authorization: `Bearer ${s.service.toUpperCase()}` },
        { Authorization: `Bearer ${s.service.slice(4)}` },
      ];
      let requests = 0;
      for (const id of [ACCOUNT, 'acct_missing']) {
        for (const route of tokenRoutes(id)) {
          for (const headers of variants) {
            const r = await send(s.base, route, headers);
            requests += 1;
            assert.equal(r.status, 401, `${route[0]} ${route[1]} ${JSON.stringify(headers).slice(0, 40)}: ${r.status} ${r.text.slice(0, 200)}`);
            assert.equal(codeOf(r), 'unauthorized', r.text);
            assert.ok(!r.text.includes('acct_demo') || route[0] === 'POST', 'a 401 says nothing about the account');
          }
        }
      }
      assert.equal(requests, 2 * 7 * variants.length);
      // The quote needs no token, and a bad token does not stop it either.
      const quote = '{"output_tokens": 1000, "input_tokens": 3000, "cache_hit_rate_bp": 5000}';
      for (const headers of [{}, { Authorization: `Bearer ${unknown}` }]) {
        const r = await request(s.base, '/v1/quote', { method: 'POST', body: quote, headers: { 'Content-Type': 'application/json', ...headers } });
        assert.equal(r.status, 200, r.text);
      }
      // Nothing was ingested by the 401s: the account's cursor is the demo's.
      const c = await svc.get(`/v1/accounts/${ACCOUNT}/changes?after=${demo.events.length}&wait=0`);
      assert.equal(c.status, 204);
    });

    test('an account token on another account answers exactly what a missing account answers (404)', async () => {
      const mine = client(s.base, otherToken);
      for (const [, path] of readRoutes(ACCOUNT)) {
        const own = await mine.get(path.replace(ACCOUNT, OTHER));
        assert.equal(own.status, 200, `${path} on its own account: ${own.text}`);
        const foreign = await mine.get(path);
        const missing = await mine.get(path.replace(ACCOUNT, 'acct_zzzz'));
        assert.equal(foreign.status, 404, `${path}: ${foreign.status} ${foreign.text.slice(0, 200)}`);
        assert.equal(codeOf(foreign), 'account_not_found');
        assert.equal(missing.status, 404);
        // The same answer but for the id itself, if the message quotes it.
        assert.equal(foreign.text.replaceAll(ACCOUNT, 'ID'), missing.text.replaceAll('acct_zzzz', 'ID'), path);
        assert.equal(foreign.headers['content-type'], missing.headers['content-type']);
        assert.ok(!/balance|events|e0001/.test(foreign.text), 'no data of the other account');
        // The service token sees the account (so the 404 above was the token's doing).
        assert.equal((await svc.get(path)).status, 200, path);
      }
      // With If-None-Match of the real report's ETag: still 404, no 304 that would confirm it exists.
      const real = await svc.get(`/v1/accounts/${ACCOUNT}/report?at=${AT}`);
      const probe = await mine.get(`/v1/accounts/${ACCOUNT}/report?at=${AT}`, { headers: { 'If-None-Match': real.headers.etag } });
      assert.equal(probe.status, 404);
    });

    test('an account token may not ingest, not even for its own account (403)', async () => {
      const mine = client(s.base, demoToken);
      for (const doc of [demoText, JSON.stringify({ ...otherDoc, events: [{ ...otherDoc.events[1], id: 'o3' }] })]) {
        const r = await mine.ingest(doc);
        assert.equal(r.status, 403, r.text);
        assert.equal(codeOf(r), 'forbidden');
      }
      const r = await client(s.base, otherToken).ingest({ ...otherDoc, events: [{ ...otherDoc.events[1], id: 'o3' }] });
      assert.equal(r.status, 403);
      const c = await svc.get(`/v1/accounts/${OTHER}/changes?after=2&wait=0`);
      assert.equal(c.status, 204, 'nothing was stored');
    });

    test('bodies: too large 413, too many events 413, malformed JSON 422 invalid_json, another type 415', async () => {
      const head = (length, extra = '') => `POST /v1/ledger HTTP/1.1\r\nHost: ${HOST}\r\nAuthorization: Bearer ${s.service}\r\n` +
        `Content-Type: application/json\r\n${extra}${length === null ? '' : `Content-Length: ${length}\r\n`}\r\n`;
      const big = 16 * 1024 * 1024 + 1;
      // Answered from Content-Length before the body is read (docs/server.md): no body byte is
      // sent, so the server's close cannot reset the connection over unread bytes.
      const early = await rawRequest(s.server.port, head(big), { timeoutMs: 10_000 });
      assert.equal(early.status, 413, early.head);
      assert.match(early.body.toString(), /body_too_large/);

      const many = {
        format: 'easycoda.ledger/1', account: demo.account,
        events: Array.from({ length: 10_001 }, (_, i) => ({ id: `many_${i}`, type: 'usage', at: '2026-11-30T12:00:00Z', project_id: 'prj_shop',
          service: 'build', tokens: { output: 1, input_cache_miss: 1 } })),
      };
      const tooMany = await svc.ingest(many);
      assert.equal(tooMany.status, 413, tooMany.text.slice(0, 300));
      assert.equal(codeOf(tooMany), 'too_many_events');

      for (const body of ['{"format": "easycoda.ledger/1", "account": ', '\uFEFF{}', 'null garbage', '{"a":1}{"b":2}', Buffer.from([0x7b, 0xff, 0xfe, 0x7d])]) {
        const r = await svc.ingest(body);
        assert.equal(r.status, 422, `${body}: ${r.text}`);
        assert.equal(codeOf(r), 'invalid_json', r.text);
      }
      // 415 is answered before the body is read, and the connection closed: ask with the
      // headers only (a body the server never reads could reset the connection before the answer is read).
      const typed = (type) => `POST /v1/ledger HTTP/1.1\r\nHost: ${HOST}\r\nAuthorization: Bearer ${s.service}\r\n` +
        `${type === null ? '' : `Content-Type: ${type}\r\n`}Content-Length: ${Buffer.byteLength(demoText)}\r\n\r\n`;
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonx', 'text/json', null]) {
        const r = await rawRequest(s.server.port, typed(type));
        assert.equal(r.status, 415, `${type}: ${r.head}`);
        assert.match(r.body.toString(), /unsupported_media_type/);
      }
      const withCharset = await svc.ingest(demoText, { headers: { 'Content-Type': 'application/json; charset=utf-8' } });
      assert.equal(withCharset.status, 200, withCharset.text);
      assert.equal((await request(s.base, '/healthz')).status, 200);
    });

    test('a chunked body (no Content-Length) over the body limit is 413 too', async () => {
      const head = `POST /v1/ledger HTTP/1.1\r\nHost: ${HOST}\r\nAuthorization: Bearer ${s.service}\r\n` +
        'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n';
      const chunked = await streamBody(s.server.port, head, 16 * 1024 * 1024 + 1, { chunked: true });
      assert.equal(chunked.status, 413, chunked.head);
      assert.equal((await request(s.base, '/healthz')).status, 200);
    });

    test('path tricks in ids: 4xx, never another account\'s data, never 5xx', async () => {
      const tricks = [
        `/v1/accounts/../accounts/${ACCOUNT}/report?at=${AT}`,
        `/v1/accounts/${OTHER}/../${ACCOUNT}/report?at=${AT}`,
        `/v1/accounts/${OTHER}%2F..%2F${ACCOUNT}/report?at=${AT}`,
        `/v1/accounts/${OTHER}%2f..%2f${ACCOUNT}/document`,
        `/v1/accounts/%2e%2e/${ACCOUNT}/document`,
        `/v1/accounts/${ACCOUNT}%00/report?at=${AT}`,
        `/v1/accounts/${OTHER}%00${ACCOUNT}/report?at=${AT}`,
        `/v1/accounts/${ACCOUNT}%2F/report?at=${AT}`,
        `/v1/accounts//${ACCOUNT}/report?at=${AT}`,
        `//v1/accounts/${ACCOUNT}/report?at=${AT}`,
        `/v1//accounts/${ACCOUNT}/document`,
        `/v1/accounts/${ACCOUNT}//report?at=${AT}`,
        `/v1/accounts/acct_d%C3%A9mo/report?at=${AT}`,
        `/v1/accounts/acct_%E2%80%AEomed/report?at=${AT}`,
        `/v1/accounts/%61cct_demo/report?at=${AT}`,
        `/v1/accounts/${'a'.repeat(129)}/report?at=${AT}`,
        `/v1/accounts/${'a'.repeat(6000)}/report?at=${AT}`,
        `/v1/accounts/${ACCOUNT}/projects/..%2F..%2F${ACCOUNT}/report?at=${AT}`,
        `/v1/accounts/${ACCOUNT}/projects/${'p'.repeat(5000)}/report?at=${AT}`,
        `/v1/accounts/${ACCOUNT}%20/report?at=${AT}`,
        `/v1/accounts/${ACCOUNT};x=1/report?at=${AT}`,
        `/v1/accounts/${ACCOUNT}/report/?at=${AT}`,
        `/v1/accounts/${ACCOUNT}/report%3Fat=${AT}`,
        `/v1/accounts/${ACCOUNT}/report?at=${AT}&at=%00`,
        `/v1/accounts/${ACCOUNT}/report?at=${encodeURIComponent('2026-12-01T00:00:00Z\u0000')}`,
        `/v1/accounts/${ACCOUNT}/report?%ZZ=1`,
        `/v1/accounts/%ZZ/report?at=${AT}`,
      ];
      // Raw unicode and control bytes node:http refuses to write.
      const raw = [
        Buffer.from(`GET /v1/accounts/acct_démo/report?at=${AT} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${otherToken}\r\n\r\n`),
        Buffer.from(`GET /v1/accounts/${ACCOUNT}\\..\\${OTHER}/report HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${otherToken}\r\n\r\n`),
        Buffer.concat([Buffer.from(`GET /v1/accounts/${OTHER}`), Buffer.from([0]), Buffer.from(`/../${ACCOUNT}/document HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${otherToken}\r\n\r\n`)]),
      ];
      const demoMarkers = ['e0001', 'acct_demo"', 'Shop backend'];
      const mine = client(s.base, otherToken);
      for (const path of tricks) {
        for (const [who, c] of [['account token', mine], ['service token', svc]]) {
          const r = await c.get(path).catch((e) => ({ status: null, text: String(e) }));
          assert.ok(r.status >= 400 && r.status < 500 || (who === 'service token' && r.status === 200 && path.includes('%61cct_demo')),
            `${who} ${path.slice(0, 120)}: ${r.status} ${r.text?.slice(0, 200)}`);
          if (who === 'account token') for (const m of demoMarkers) assert.ok(!r.text.includes(m), `${path.slice(0, 100)} leaked ${m}`);
        }
      }
      for (const bytes of raw) {
        const r = await rawRequest(s.server.port, bytes);
        assert.ok(r.status === null || (r.status >= 400 && r.status < 500), `${bytes.toString('latin1').slice(0, 80)}: ${r.head}`);
        for (const m of demoMarkers) assert.ok(!r.raw.toString('latin1').includes(m), `leaked ${m}`);
      }
      // Ingest with ids that are not one path segment: 422 unsupported_account_id, nothing stored.
      for (const id of ['../acct_demo', 'acct/demo', 'acct demo', 'acct_d\u00e9mo', '', 'a'.repeat(129), 'acct%2Fdemo', 'acct\u0000demo']) {
        const r = await svc.ingest({ ...otherDoc, account: { id, utc_offset: '+00:00' } });
        assert.equal(r.status, 422, `${JSON.stringify(id).slice(0, 40)}: ${r.text}`);
        assert.ok(['unsupported_account_id', 'invalid_id'].includes(codeOf(r)), r.text);
      }
      const longest = 'a'.repeat(128);
      assert.equal((await svc.ingest({ ...otherDoc, account: { id: longest, utc_offset: '+00:00' } })).status, 200, '128 characters are allowed');
      assert.equal((await svc.get(`/v1/accounts/${longest}/document`)).status, 200);
      assert.equal((await request(s.base, '/healthz')).status, 200);
    });

    test('huge headers: 4xx, the server keeps answering', async () => {
      // More than 100 headers, or more than 32 KiB of them: 431 headers_too_large (docs/server.md).
      const headers = (n, size) => Buffer.from(`GET /v1/accounts/${ACCOUNT}/report?at=${AT} HTTP/1.1\r\nHost: x\r\n` +
        `${Array.from({ length: n }, (_, i) => `X-H${i}: ${'v'.repeat(size)}`).join('\r\n')}\r\nAuthorization: Bearer ${s.service}\r\n\r\n`);
      for (const [n, size] of [[2000, 1], [101, 1], [40, 1000]]) {
        const r = await rawRequest(s.server.port, headers(n, size), { timeoutMs: 10_000 });
        assert.equal(r.status, 431, `${n} headers of ${size} bytes: ${r.head.slice(0, 200)}`);
        assert.match(r.body.toString(), /headers_too_large/);
      }
      const within = await rawRequest(s.server.port, headers(90, 300), { timeoutMs: 10_000 });
      assert.equal(within.status, 200, `90 headers of 300 bytes are within the limits: ${within.head.slice(0, 200)}`);
      const cases = [
        Buffer.from(`GET /v1/accounts/${ACCOUNT}/report?at=${AT} HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(100_000)}\r\nAuthorization: Bearer ${s.service}\r\n\r\n`),
        Buffer.from(`GET /v1/accounts/${ACCOUNT}/report?at=${AT} HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(8200)}\r\nAuthorization: Bearer ${s.service}\r\n\r\n`),
        Buffer.from(`GET /v1/accounts/${ACCOUNT}/report?at=${AT}&x=${'b'.repeat(70_000)} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${s.service}\r\n\r\n`),
        Buffer.from(`GET /v1/accounts/${ACCOUNT}/report HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${'c'.repeat(100_000)}\r\n\r\n`),
      ];
      for (const bytes of cases) {
        const r = await rawRequest(s.server.port, bytes, { timeoutMs: 10_000 });
        assert.ok(r.status === null ? r.closed : r.status >= 400 && r.status < 500, r.head.slice(0, 200));
        assert.ok(!r.raw.toString('latin1').includes('"balance_tokens"'), 'no report for an oversized request');
      }
      assert.equal((await svc.get(`/v1/accounts/${ACCOUNT}/report?at=${AT}`)).status, 200);
    });

    test('a slow-loris client does not block a normal client\'s report', { timeout: 60_000 }, async () => {
      // More slow connections than the server has worker threads (64 by default), each sending
      // its headers one byte per second: a normal client is still answered at once.
      const SLOW = 96;
      const DRIBBLE_MS = 6000;
      const sockets = [];
      const line = `GET /v1/accounts/${ACCOUNT}/report?at=${AT} HTTP/1.1\r\nHost: ${HOST}\r\nX-Slow: ${'z'.repeat(64)}\r\n`;
      for (let i = 0; i < SLOW; i++) {
        const socket = net.connect(s.server.port, HOST);
        socket.on('error', () => {});
        socket.sent = 0;
        sockets.push(socket);
      }
      const timer = setInterval(() => {
        for (const socket of sockets) {
          if (!socket.destroyed && socket.sent < line.length) socket.write(line[socket.sent++]);
        }
      }, 1000);
      try {
        await sleep(1500);
        const times = [];
        for (let i = 0; i < 5; i++) {
          const t0 = performance.now();
          const r = await svc.get(`/v1/accounts/${ACCOUNT}/report?at=${AT}`, { timeoutMs: 10_000 });
          times.push(performance.now() - t0);
          assert.equal(r.status, 200);
          await sleep(Math.max(0, DRIBBLE_MS / 5 - times[i]));
        }
        const worst = Math.max(...times);
        assert.ok(worst < 1000, `a normal report took ${worst.toFixed(0)} ms while ${SLOW} slow clients dribbled (${times.map((t) => t.toFixed(0)).join(', ')} ms)`);
      } finally {
        clearInterval(timer);
        for (const socket of sockets) socket.destroy();
      }
    });

    test('header lines sent without end are cut off, with the server\'s memory bounded', { timeout: 60_000 }, async () => {
      // Each line is within the library's 8 KiB line limit; their number is what grows.
      const rssKb = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${s.server.child.pid}/status`, 'utf8'))[1]);
      const before = rssKb();
      const SEND_MAX = 64 * 1024 * 1024;
      const lines = Buffer.from(Array.from({ length: 64 }, (_, i) => `X-Endless-${i}: ${'h'.repeat(1000)}\r\n`).join(''));
      const socket = net.connect(s.server.port, HOST);
      let sent = 0;
      let closed = false;
      let answer = '';
      socket.on('data', (c) => { answer += c.toString('latin1'); });
      const ended = new Promise((resolveEnd) => {
        socket.on('error', () => { closed = true; resolveEnd(); });
        socket.on('close', () => { closed = true; resolveEnd(); });
      });
      await new Promise((resolveConnect) => socket.on('connect', resolveConnect));
      socket.write(`GET /v1/accounts/${ACCOUNT}/report?at=${AT} HTTP/1.1\r\nHost: x\r\n`);
      const deadline = Date.now() + 20_000;
      while (!closed && sent < SEND_MAX && Date.now() < deadline) {
        sent += lines.length;
        if (!socket.write(lines)) {
          await Promise.race([new Promise((r) => socket.once('drain', r)), ended, sleep(1000)]);
        }
      }
      const grownKb = rssKb() - before;
      socket.destroy();
      assert.ok(closed, `the server still read after ${sent} bytes of headers`);
      assert.ok(sent < 16 * 1024 * 1024, `cut off only after ${sent} bytes`);
      assert.ok(grownKb < 64 * 1024, `the server grew by ${grownKb} kB`);
      assert.ok(answer === '' || /^HTTP\/1\.1 4\d\d/.test(answer), answer.slice(0, 200));
      assert.equal((await svc.get(`/v1/accounts/${ACCOUNT}/report?at=${AT}`)).status, 200);
    });

    test('a POST without a valid token is refused from its headers, before its body is sent', async () => {
      const head = (token) => Buffer.from('POST /v1/ledger HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
        `${token ? `Authorization: Bearer ${token}\r\n` : ''}Content-Length: 15000000\r\n\r\n`);
      // The server's read timeout is 5 s: an answer within 3 s did not wait for the 15 MB.
      for (const [token, status, code] of [[null, 401, 'unauthorized'], [demoToken, 403, 'forbidden']]) {
        const t0 = performance.now();
        const r = await rawRequest(s.server.port, head(token), { timeoutMs: 3000 });
        assert.equal(r.status, status, `${status}: ${r.head.slice(0, 200)}`);
        assert.match(r.head, /\r\nConnection: close/i);
        assert.match(r.body.toString(), new RegExp(code));
        assert.ok(performance.now() - t0 < 3000);
      }
      // A POST to a route that takes none is answered without its body too.
      const r = await rawRequest(s.server.port, Buffer.from(`POST /v1/accounts/${ACCOUNT}/report HTTP/1.1\r\nHost: x\r\n` +
        'Content-Type: application/json\r\nContent-Length: 15000000\r\n\r\n'), { timeoutMs: 3000 });
      assert.equal(r.status, 405, r.head.slice(0, 200));
    });

    test('the server\'s log never holds a token or an Authorization header', async () => {
      await sleep(200);
      const log = s.server.stderr;
      assert.ok(log.length > 0, 'the server logs its requests');
      for (const token of secrets) {
        assert.ok(!log.includes(token), 'a token is in the log');
        assert.ok(!log.includes(token.slice(4)), 'a token\'s secret part is in the log');
      }
      assert.ok(!/Bearer/i.test(log), 'no Authorization header in the log');
    });
  });
}

/**
 * Sends `head` then `size` bytes of body (JSON-ish filler), stopping as soon as an answer
 * arrives; {status, head}. Bounded: 20 s.
 */
function streamBody(port, head, size, { chunked = false } = {}) {
  return new Promise((resolveBody) => {
    const socket = net.connect(port, HOST);
    let answer = '';
    let sent = 0;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(answer);
      resolveBody({ status: m ? Number(m[1]) : null, head: answer.slice(0, 500) });
    };
    const timer = setTimeout(finish, 20_000);
    const piece = Buffer.alloc(256 * 1024, 0x20);
    const pump = () => {
      while (!done && sent < size) {
        const n = Math.min(piece.length, size - sent);
        const data = chunked ? Buffer.concat([Buffer.from(`${n.toString(16)}\r\n`), piece.subarray(0, n), Buffer.from('\r\n')]) : piece.subarray(0, n);
        sent += n;
        if (!socket.write(data)) return;
      }
      if (!done && chunked && sent >= size) socket.write('0\r\n\r\n');
    };
    socket.on('connect', () => { socket.write(head); pump(); });
    socket.on('drain', pump);
    socket.on('data', (c) => {
      answer += c.toString('latin1');
      if (answer.includes('\r\n\r\n')) setTimeout(finish, 50);
    });
    socket.on('error', finish);
    socket.on('close', finish);
  });
}
