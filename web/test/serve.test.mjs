// The static server: security headers, MIME types (application/wasm), and no escape from its root.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { startServer, CONTENT_SECURITY_POLICY } from '../serve.mjs';

let root;
let server;
let origin;

before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'ec-serve-'));
  fs.mkdirSync(path.join(root, 'assets'));
  fs.writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>t</title>');
  fs.writeFileSync(path.join(root, 'assets', 'engine.wasm'), Buffer.from([0, 97, 115, 109, 1, 0, 0, 0]));
  fs.writeFileSync(path.join(root, 'assets', 'app.js'), 'export {};');
  fs.writeFileSync(path.join(root, 'ledger.json'), '{}');
  fs.writeFileSync(path.join(path.dirname(root), 'secret.txt'), 'secret');
  ({ server, url: origin } = await startServer({ root, port: 0 }));
});

after(() => {
  server.close();
  fs.rmSync(root, { recursive: true, force: true });
});

test('every response carries the Content-Security-Policy and hardening headers', async () => {
  for (const p of ['', 'assets/app.js', 'missing']) {
    const response = await fetch(`${origin}${p}`);
    assert.equal(response.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY);
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(response.headers.get('referrer-policy'), 'no-referrer');
  }
  assert.match(CONTENT_SECURITY_POLICY, /^default-src 'self'; script-src 'self' 'wasm-unsafe-eval';/);
  assert.doesNotMatch(CONTENT_SECURITY_POLICY, /unsafe-inline|'unsafe-eval'/);
});

test('files are served with their MIME type, .wasm as application/wasm', async () => {
  const expect = { '': 'text/html; charset=utf-8', 'assets/engine.wasm': 'application/wasm',
    'assets/app.js': 'text/javascript; charset=utf-8', 'ledger.json': 'application/json; charset=utf-8' };
  for (const [p, type] of Object.entries(expect)) {
    const response = await fetch(`${origin}${p}`);
    assert.equal(response.status, 200, p);
    assert.equal(response.headers.get('content-type'), type, p);
  }
  const wasm = await fetch(`${origin}assets/engine.wasm`);
  assert.ok(WebAssembly.validate(new Uint8Array(await wasm.arrayBuffer())));
});

test('missing files are 404, other methods 405, and nothing outside the root is served', async () => {
  assert.equal((await fetch(`${origin}nope.js`)).status, 404);
  assert.equal((await fetch(`${origin}`, { method: 'POST' })).status, 405);
  // A raw request line, so no client normalizes the dots away.
  const { port } = new URL(origin);
  for (const target of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt']) {
    const status = await new Promise((resolve, reject) => {
      const socket = net.connect(Number(port), '127.0.0.1', () => socket.write(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
      let data = '';
      socket.on('data', (chunk) => { data += chunk; });
      socket.on('end', () => resolve(Number(data.split(' ')[1])));
      socket.on('error', reject);
    });
    assert.ok(status === 403 || status === 404, `${target} → ${status}`);
  }
});
