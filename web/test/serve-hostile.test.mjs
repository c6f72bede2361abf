// The static server answers every request, however malformed, with a 4xx (never a 5xx, never a
// crash) and keeps serving: NUL and other control bytes, invalid percent-encoding, overlong
// targets, traversal, odd methods, absurd headers, then a short bounded fuzz of request paths
// on 127.0.0.1. After each group a normal request must still be answered.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { startServer, REQUEST_TARGET_BYTES_MAX } from '../serve.mjs';

let root;
let server;
let port;

before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'ec-serve-hostile-'));
  fs.mkdirSync(path.join(root, 'www'));
  fs.mkdirSync(path.join(root, 'www', 'assets'));
  fs.writeFileSync(path.join(root, 'www', 'index.html'), '<!doctype html><title>t</title>');
  fs.writeFileSync(path.join(root, 'www', 'assets', 'app.js'), 'export {};');
  fs.writeFileSync(path.join(root, 'secret.txt'), 'secret');
  let url;
  ({ server, url } = await startServer({ root: path.join(root, 'www'), port: 0, host: '127.0.0.1' }));
  port = Number(new URL(url).port);
});

after(() => {
  server.close();
  fs.rmSync(root, { recursive: true, force: true });
});

/** Sends `bytes` as they are; resolves with the response's status, or null when none came. */
function raw(bytes, timeoutMs = 3000) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(bytes));
    let data = Buffer.alloc(0);
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      const match = /^HTTP\/1\.1 (\d{3}) /.exec(data.toString('latin1'));
      resolve(match ? Number(match[1]) : null);
    };
    const timer = setTimeout(done, timeoutMs);
    socket.on('data', (chunk) => {
      data = Buffer.concat([data, chunk]);
      if (data.includes('\r\n')) done();
    });
    socket.on('end', done);
    socket.on('error', done);
  });
}

const get = (target, headers = '') =>
  raw(Buffer.concat([Buffer.from('GET '), Buffer.from(target, 'latin1'),
    Buffer.from(` HTTP/1.1\r\nHost: x\r\n${headers}Connection: close\r\n\r\n`, 'latin1')]));

async function stillServing() {
  assert.equal(await get('/'), 200, 'a normal request is answered after the hostile ones');
  assert.equal(await get('/assets/app.js'), 200);
}

async function expectClientError(label, status) {
  assert.ok(status !== null, `${label}: no response`);
  assert.ok(status >= 400 && status < 500, `${label}: ${status}`);
}

test('NUL and other control bytes in the path are 400', async () => {
  for (const target of ['/index.html%00.js', '/%00', '/a%01b', '/%1f', '/%7f', '/%c2%85', '/assets/%00/app.js',
    '/index.html%0a', '/%0d%0aX-Injected:%201']) {
    assert.equal(await get(target), 400, target);
  }
  // Raw control bytes never reach the handler: node's parser refuses the request line.
  for (const target of ['/a\x00b', '/a\x01b', '/a\x7fb', '/\x1b[31m']) await expectClientError(JSON.stringify(target), await get(target));
  await stillServing();
});

test('invalid percent-encoding and unparsable targets are 400', async () => {
  for (const target of ['/%', '/%zz', '/%e0%a0', '/%ed%a0%80', '/%c0%af', '/%ff', '/%E2%82', '//x:99999/', '//[::1/']) {
    assert.equal(await get(target), 400, target);
  }
  await stillServing();
});

test('overlong targets are 414, overlong request lines 431', async () => {
  assert.equal(await get(`/${'a'.repeat(REQUEST_TARGET_BYTES_MAX)}`), 414);
  assert.equal(await get(`/${'%e9'.repeat(REQUEST_TARGET_BYTES_MAX)}`), 414);
  assert.equal(await get(`/${'a'.repeat(100000)}`), 431);
  await stillServing();
});

test('paths outside the root are 403 or 404, never the file', async () => {
  for (const target of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/%2e%2e%2f%2e%2e%2fsecret.txt',
    '/..%5c..%5csecret.txt', '/./../../secret.txt', `/${'../'.repeat(50)}secret.txt`, 'http://x/../secret.txt']) {
    const status = await get(target);
    assert.ok(status === 403 || status === 404, `${target} → ${status}`);
  }
  await stillServing();
});

test('odd methods are 405 or 400; odd request lines 400', async () => {
  for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'PROPFIND', 'TRACE']) {
    assert.equal(await raw(`${method} / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`), 405, method);
  }
  for (const line of ['FOO / HTTP/1.1', 'get / HTTP/1.1', 'GET', 'GET / HTTP/9.9', 'GET / FTP/1.0', 'CONNECT x:443 HTTP/1.1',
    '\x00\x01\x02', 'GET / HTTP/1.1 extra', ' / HTTP/1.1']) {
    await expectClientError(JSON.stringify(line), await raw(`${line}\r\nHost: x\r\nConnection: close\r\n\r\n`));
  }
  await stillServing();
});

test('absurd headers are 4xx', async () => {
  const cases = {
    'a 100 KB header': `X-Big: ${'a'.repeat(100000)}\r\n`,
    '3000 headers': Array.from({ length: 3000 }, (_, i) => `X-${i}: y\r\n`).join(''),
    'a NUL in a value': 'X-Nul: a\x00b\r\n',
    'a control byte in a name': 'X\x01Y: z\r\n',
    'a bad Content-Length': 'Content-Length: abc\r\n',
    'two Content-Lengths': 'Content-Length: 1\r\nContent-Length: 2\r\n',
    'Content-Length with chunked': 'Content-Length: 5\r\nTransfer-Encoding: chunked\r\n',
    'a header without a colon': 'NoColon\r\n',
    'an upgrade to another protocol': 'Upgrade: websocket\r\nConnection: Upgrade\r\n',
  };
  for (const [label, headers] of Object.entries(cases)) await expectClientError(label, await get('/', headers));
  await stillServing();
});

test('a short bounded fuzz of request paths on 127.0.0.1: 4xx or a file, and still serving', { timeout: 60000 }, async () => {
  // Deterministic (xorshift32, fixed seed); bounded in count and in time.
  let state = 20261201;
  const next = (n) => {
    state ^= state << 13; state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5; state >>>= 0;
    return state % n;
  };
  const pieces = ['/', '.', '..', '%', '%2', '%2e', '%2f', '%5c', '%00', '%0a', '%7f', '%c0', '%c3%a9', '%ff', '%e2%82',
    '%ed%a0%80', 'a', 'index.html', 'assets', 'app.js', '?', '#', '&', ';', '~', '\\', '\u00e9', '\x01', '\x7f', ' ', '\t',
    '//', '@', ':', '[', ']', 'secret.txt'];
  const requests = 400;
  const deadline = Date.now() + 30000;
  let answered = 0;
  for (let i = 0; i < requests && Date.now() < deadline; ++i) {
    let target = next(4) === 0 ? '' : '/';
    const length = 1 + next(24);
    for (let k = 0; k < length; ++k) target += pieces[next(pieces.length)];
    const status = await get(target);
    assert.ok(status !== null, `no response to ${JSON.stringify(target)}`);
    assert.ok(status < 500, `${JSON.stringify(target)} → ${status}`);
    assert.ok([200, 400, 403, 404, 414].includes(status), `${JSON.stringify(target)} → ${status}`);
    ++answered;
  }
  assert.ok(answered >= 100, `only ${answered} requests within the time bound`);
  await stillServing();
});
