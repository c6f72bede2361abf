// The real credits-server for the console's live tests: started by the test on 127.0.0.1 (a free
// port) with a temp SQLite database and --console web/dist, tokens made with its own `token`
// command, the demo ingested through POST /v1/ledger. Every wait is bounded.
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { demoLedgerPath, distDir, repoDir } from './helpers.mjs';

export const SERVER_BIN = process.env.CREDITS_SERVER_BIN ?? path.join(repoDir, 'build', 'native', 'credits-server');
export const HOST = '127.0.0.1';

export function assertServerBuilt() {
  if (!fs.existsSync(SERVER_BIN)) throw new Error(`No ${SERVER_BIN}: build it first (cmake --build --preset native --target credits-server).`);
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.on('error', reject);
    probe.listen(0, HOST, () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function token(database, args) {
  const out = execFileSync(SERVER_BIN, ['token', '--database', database, ...args], { encoding: 'utf8', timeout: 20000 });
  return out.trim().split('\n').pop();
}

/**
 * A proxy on 127.0.0.1 in front of the server (a server that lies, for the tests): `rewrite(req)`
 * returns null to pass a request through untouched, or a function from the upstream answer's text
 * to the text to send (with its own ETag when `etag` is given). Resolves with { origin, close }.
 */
export async function startProxy(server, rewrite, etag = null) {
  const proxy = http.createServer((req, res) => {
    const change = rewrite(req);
    const headers = { ...req.headers };
    if (change) { delete headers['if-none-match']; delete headers['accept-encoding']; }
    const upstream = http.request({ host: HOST, port: server.port, method: req.method, path: req.url, headers }, (answer) => {
      if (!change || answer.statusCode !== 200) {
        res.writeHead(answer.statusCode, answer.headers);
        return answer.pipe(res);
      }
      const chunks = [];
      answer.on('data', (c) => chunks.push(c));
      answer.on('end', () => {
        const text = change(Buffer.concat(chunks).toString('utf8'));
        const out = { ...answer.headers, 'content-length': Buffer.byteLength(text) };
        delete out['transfer-encoding'];
        if (etag) out.etag = etag(text);
        res.writeHead(200, out);
        res.end(text);
      });
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  const port = await freePort();
  await new Promise((resolve) => proxy.listen(port, HOST, resolve));
  return {
    origin: `http://${HOST}:${port}`,
    close: async () => {
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
    },
  };
}

/** One credits-server process; start() again after stop() serves the same database on the same port. */
export class LiveServer {
  static async create({ account = 'acct_demo' } = {}) {
    assertServerBuilt();
    const server = new LiveServer();
    server.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'credits-live-'));
    server.database = `sqlite:${path.join(server.dir, 'credits.db')}`;
    server.port = await freePort();
    server.origin = `http://${HOST}:${server.port}`;
    server.account = account;
    server.serviceToken = token(server.database, ['--service']);
    server.accountToken = token(server.database, ['--account', account]);
    await server.start();
    return server;
  }

  async start() {
    this.log = '';
    this.process = spawn(SERVER_BIN, ['serve', '--database', this.database, '--listen', `${HOST}:${this.port}`, '--console', distDir],
      { stdio: ['ignore', 'ignore', 'pipe'] });
    this.process.stderr.on('data', (chunk) => { this.log = (this.log + chunk).slice(-20000); });
    const exited = new Promise((resolve) => this.process.once('exit', resolve));
    this.exited = exited;
    for (let i = 0; i < 200; i++) {  // up to 10 s
      if (this.process.exitCode !== null) throw new Error(`credits-server exited: ${this.log}`);
      try {
        const r = await this.request('GET', '/healthz');
        if (r.status === 200) return;
      } catch { /* not listening yet */ }
      await sleep(50);
    }
    throw new Error(`credits-server did not answer /healthz in 10 s: ${this.log}`);
  }

  async stop() {
    if (!this.process || this.process.exitCode !== null) return;
    this.process.kill('SIGTERM');
    const timer = setTimeout(() => this.process.kill('SIGKILL'), 10000);
    await this.exited;
    clearTimeout(timer);
  }

  async dispose() {
    await this.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** The console's URL with the read token in the fragment (as scripts/run prints it). */
  consoleUrl(origin = this.origin, search = '', account = this.account, readToken = this.accountToken) {
    return `${origin}/${search}#token=${readToken}&account=${account}`;
  }

  /** A new read token for `account` (the server may be running: SQLite takes turns). */
  tokenFor(account) {
    return token(this.database, ['--account', account]);
  }

  request(method, target, { body, headers = {}, token: bearer } = {}) {
    return new Promise((resolve, reject) => {
      const req = http.request({ host: HOST, port: this.port, method, path: target, timeout: 30000,
        headers: { ...(bearer ? { Authorization: `Bearer ${bearer}` } : {}), ...(body ? { 'Content-Type': 'application/json' } : {}), ...headers } },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${target}: no answer in 30 s`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  async ingest(document) {
    const r = await this.request('POST', '/v1/ledger', { body: typeof document === 'string' ? document : JSON.stringify(document), token: this.serviceToken });
    if (r.status !== 200) throw new Error(`ingest: HTTP ${r.status} ${r.body}`);
    return JSON.parse(r.body);
  }

  ingestDemo() {
    return this.ingest(fs.readFileSync(demoLedgerPath, 'utf8'));
  }

  async report(at, project) {
    const route = project ? `/v1/accounts/${this.account}/projects/${project}/report` : `/v1/accounts/${this.account}/report`;
    const r = await this.request('GET', `${route}?at=${encodeURIComponent(at)}`, { token: this.serviceToken });
    if (r.status !== 200) throw new Error(`report: HTTP ${r.status} ${r.body}`);
    return { etag: r.headers.etag, text: r.body, report: JSON.parse(r.body) };
  }
}
