// What the server's tests share: start `credits-server` on a free loopback port against a
// throwaway database (a temp SQLite file, or a database in a throwaway PostgreSQL cluster),
// create API tokens with its `token` command, send requests (node:http, or raw bytes over a
// socket for requests node:http refuses to write), and ask the CLI for the bytes the server
// must answer. Everything listens on and talks to 127.0.0.1 only; every wait is bounded.
import { spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const SERVER_BIN = process.env.CREDITS_SERVER_BIN ?? join(ROOT, 'build/native/credits-server');
export const CLI_BIN = process.env.CREDITS_CLI_BIN ?? join(ROOT, 'build/native/credits');
export const DEMO_PATH = join(ROOT, 'web/public/demo/ledger.json');
export const HOST = '127.0.0.1';
export const REQUIRE_POSTGRES = process.env.CREDITS_REQUIRE_POSTGRES === '1';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export { sleep };

/** A fresh temp folder (removed by the caller's cleanup). */
export function tempDir(prefix = 'credits-server-test-') {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A TCP port nobody listens on right now (the kernel's choice on 127.0.0.1). */
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, HOST, () => {
      const { port } = s.address();
      s.close(() => resolvePort(port));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Databases

/** The PostgreSQL programs (initdb, pg_ctl) or null when PostgreSQL is not installed. */
function postgresBinDir() {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const base = '/usr/lib/postgresql';
  if (existsSync(base)) {
    const versions = readdirSync(base).filter((v) => existsSync(join(base, v, 'bin/initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions.length) return join(base, versions[0], 'bin');
  }
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) return dir;
  }
  return null;
}

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000, ...options });
  if (r.error) throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/**
 * A throwaway PostgreSQL cluster in a temp folder on a free loopback port (initdb + pg_ctl; as
 * the `postgres` user when the tests run as root, since PostgreSQL refuses to run as root).
 * Like scripts/pg-cluster, but initdb --no-sync and an immediate stop: the cluster is removed
 * afterwards, so durability of its creation and its shutdown buys nothing, and the PostgreSQL
 * suites start in about a second instead of several. The server's own writes are durable as
 * usual (fsync and synchronous_commit on): the crash test depends on it.
 */
export class PostgresCluster {
  static available() {
    return postgresBinDir() !== null;
  }

  static async start() {
    const cluster = new PostgresCluster();
    cluster.dir = tempDir('credits-pg-');
    cluster.port = await freePort();
    cluster.count = 0;
    const bin = postgresBinDir();
    if (!bin) throw new Error('PostgreSQL is not installed (no initdb/pg_ctl found)');
    const asRoot = process.getuid?.() === 0;
    const wrap = (cmd, args) => (asRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args]);
    if (asRoot) chownSync(cluster.dir, Number(run('id', ['-u', 'postgres']).trim()), Number(run('id', ['-g', 'postgres']).trim()));
    const data = join(cluster.dir, 'data');
    run(...wrap(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync']));
    run(...wrap(join(bin, 'pg_ctl'), ['-D', data, '-l', join(cluster.dir, 'log'), '-w', '-t', '30', '-o',
      `-p ${cluster.port} -k ${cluster.dir} -c listen_addresses=${HOST} -c max_connections=200`, 'start']));
    cluster.stopCommand = wrap(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', '-t', '30', 'stop']);
    cluster.adminUrl = `postgresql://postgres@${HOST}:${cluster.port}/postgres`;
    return cluster;
  }

  /** A new empty database of the cluster; its URL. */
  createDatabase(prefix = 'credits') {
    this.count += 1;
    const name = `${prefix}_${process.pid}_${this.count}`;
    run('psql', [this.adminUrl, '-v', 'ON_ERROR_STOP=1', '-q', '-c', `CREATE DATABASE ${name}`]);
    const url = new URL(this.adminUrl);
    url.pathname = `/${name}`;
    return url.toString();
  }

  stop() {
    try {
      if (this.stopCommand) run(...this.stopCommand);
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}

/**
 * The databases every suite runs on. Each entry: {name, open(): Promise<backend>} where a
 * backend has newDatabase() -> URL and close(). PostgreSQL is left out only when it is not
 * installed and CREDITS_REQUIRE_POSTGRES is not 1 (or by hand, CREDITS_TEST_DATABASES); when
 * it is installed and does not start, its suite fails.
 */
export function databaseKinds() {
  const kinds = [{
    name: 'sqlite',
    async open() {
      const dir = tempDir('credits-sqlite-');
      let n = 0;
      return {
        name: 'sqlite',
        newDatabase() { n += 1; return `sqlite:${join(dir, `credits-${n}.db`)}`; },
        close() { rmSync(dir, { recursive: true, force: true }); },
      };
    },
  }];
  if (PostgresCluster.available() || REQUIRE_POSTGRES) {
    kinds.push({
      name: 'postgresql',
      async open() {
        const cluster = await PostgresCluster.start();
        return {
          name: 'postgresql',
          newDatabase() { return cluster.createDatabase(); },
          close() { cluster.stop(); },
        };
      },
    });
  } else {
    process.emitWarning('PostgreSQL is not installed: the PostgreSQL suites are not run (CREDITS_REQUIRE_POSTGRES=1 makes this fail)');
  }
  // CREDITS_TEST_DATABASES=sqlite (a comma list) narrows a run by hand; never below PostgreSQL when it is required.
  const only = process.env.CREDITS_TEST_DATABASES?.split(',').map((x) => x.trim()).filter(Boolean);
  return only ? kinds.filter((k) => only.includes(k.name) || (REQUIRE_POSTGRES && k.name === 'postgresql')) : kinds;
}

// ---------------------------------------------------------------------------------------------
// The server process

/** `credits-server token --database URL --service | --account ID`: the token (last line). */
export function makeToken(database, { account } = {}) {
  const args = ['token', '--database', database, ...(account === undefined ? ['--service'] : ['--account', account])];
  const out = run(SERVER_BIN, args);
  const lines = out.split('\n').map((l) => l.trim()).filter(Boolean);
  if (!lines.length) throw new Error(`credits-server ${args.join(' ')} printed nothing`);
  return lines[lines.length - 1];
}

const STDERR_KEEP_BYTES = 32 << 20;

/** One `credits-server serve` process; restartable on the same port and database. */
export class ServerProcess {
  constructor(database, { port, args = [] } = {}) {
    this.database = database;
    this.port = port;
    this.args = args;
    this.stderr = '';     // every run's log, concatenated (bounded)
    this.child = null;
    this.exits = [];      // {code, signal} of every run that ended
  }

  get base() { return `http://${HOST}:${this.port}`; }

  async start({ timeoutMs = 15_000 } = {}) {
    if (this.child) throw new Error('server already running');
    this.port ??= await freePort();
    const child = spawn(SERVER_BIN, ['serve', '--database', this.database, '--listen', `${HOST}:${this.port}`, ...this.args],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    const keep = (text) => {
      if (this.stderr.length < STDERR_KEEP_BYTES) this.stderr += text;
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.exited = new Promise((resolveExit) => child.on('exit', (code, signal) => {
      this.exits.push({ code, signal });
      if (this.child === child) this.child = null;
      resolveExit({ code, signal });
    }));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.child !== child) {
        const { code, signal } = await child.exited;
        throw new Error(`credits-server exited (${code ?? signal}) before answering /healthz:\n${this.stderr.slice(-4000)}`);
      }
      try {
        const r = await request(this.base, '/healthz', { timeoutMs: 1000 });
        if (r.status === 200) return this;
      } catch { /* not listening yet */ }
      if (Date.now() > deadline) {
        await this.kill();
        throw new Error(`credits-server did not answer /healthz within ${timeoutMs} ms:\n${this.stderr.slice(-4000)}`);
      }
      await sleep(25);
    }
  }

  /** SIGTERM, then waits for the exit (SIGKILL after timeoutMs, and an error). */
  async stop({ timeoutMs = 15_000 } = {}) {
    const child = this.child;
    if (!child) return this.exits[this.exits.length - 1];
    child.kill('SIGTERM');
    const timer = new Promise((r) => setTimeout(() => r('timeout'), timeoutMs));
    const result = await Promise.race([child.exited, timer]);
    if (result === 'timeout') {
      child.kill('SIGKILL');
      await child.exited;
      throw new Error(`credits-server did not exit within ${timeoutMs} ms of SIGTERM`);
    }
    return result;
  }

  /** SIGKILL: no chance to finish anything. */
  async kill() {
    const child = this.child;
    if (!child) return;
    child.kill('SIGKILL');
    await child.exited;
  }
}

/**
 * Opens a backend's database, makes a service token and starts a server; returns
 * {backend, database, server, service, base}. close() stops everything.
 */
export async function startServer(backend, { args = [] } = {}) {
  const database = backend.newDatabase();
  const service = makeToken(database);
  const server = await new ServerProcess(database, { args }).start();
  return {
    database, server, service, base: server.base,
    async close() { await server.stop(); },
  };
}

// ---------------------------------------------------------------------------------------------
// Requests

/**
 * One HTTP request on a fresh connection. body: string | Buffer | object (sent as JSON).
 * Resolves to {status, headers, body: Buffer, text, json(), ms}. The body is not decompressed.
 */
export function request(base, path, { method = 'GET', headers = {}, body, timeoutMs = 15_000, agent = false } = {}) {
  return new Promise((resolveRequest, reject) => {
    let payload = body;
    const h = { ...headers };
    if (payload !== undefined && !Buffer.isBuffer(payload) && typeof payload !== 'string') {
      payload = JSON.stringify(payload);
      h['Content-Type'] ??= 'application/json';
    }
    const t0 = performance.now();
    // host/port/path given apart, not as one URL: a URL would resolve `..` and `//` in the path
    // before sending it, and the tests send such paths on purpose.
    const { hostname, port } = new URL(base);
    const req = http.request({ host: hostname, port, path, method, headers: h, agent, timeout: timeoutMs }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const buffer = Buffer.concat(chunks);
        resolveRequest({
          status: res.statusCode, headers: res.headers, body: buffer, text: buffer.toString('utf8'),
          json: () => JSON.parse(buffer.toString('utf8')), ms: performance.now() - t0,
        });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** An API client bound to a base URL and a token. */
export function client(base, token) {
  const auth = token ? { Authorization: `Bearer ${token}` } : {};
  return {
    get: (path, opts = {}) => request(base, path, { ...opts, headers: { ...auth, ...opts.headers } }),
    post: (path, body, opts = {}) => request(base, path, {
      ...opts, method: 'POST', body,
      headers: { 'Content-Type': 'application/json', ...auth, ...opts.headers },
    }),
    ingest: (doc, opts = {}) => request(base, '/v1/ledger', {
      ...opts, method: 'POST', body: typeof doc === 'string' || Buffer.isBuffer(doc) ? doc : JSON.stringify(doc),
      headers: { 'Content-Type': 'application/json', ...auth, ...opts.headers },
    }),
  };
}

/**
 * Raw bytes to the server over one socket; resolves to {raw: Buffer, status, head, closed}
 * once the peer closes, or the answer's head and Content-Length body arrived, or timeoutMs.
 */
export function rawRequest(port, bytes, { timeoutMs = 5000 } = {}) {
  return new Promise((resolveRaw) => {
    const socket = net.connect(port, HOST);
    const chunks = [];
    let done = false;
    const finish = (closed) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const raw = Buffer.concat(chunks);
      const text = raw.toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      const headEnd = text.indexOf('\r\n\r\n');
      resolveRaw({ raw, status: m ? Number(m[1]) : null, head: headEnd >= 0 ? text.slice(0, headEnd) : text,
        body: headEnd >= 0 ? raw.subarray(headEnd + 4) : Buffer.alloc(0), closed });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('connect', () => socket.write(bytes));
    socket.on('data', (c) => {
      chunks.push(c);
      const text = Buffer.concat(chunks).toString('latin1');
      const headEnd = text.indexOf('\r\n\r\n');
      if (headEnd < 0) return;
      const len = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, headEnd));
      if (len && Buffer.concat(chunks).length >= headEnd + 4 + Number(len[1])) finish(false);
    });
    socket.on('error', () => finish(true));
    socket.on('close', () => finish(true));
  });
}

export function gunzip(buffer) { return gunzipSync(buffer); }

/** The ETag docs/server.md promises for an answer's bytes. */
export function etagOf(bytes) {
  return `"sha256:${createHash('sha256').update(bytes).digest('hex').slice(0, 32)}"`;
}

// ---------------------------------------------------------------------------------------------
// The CLI: the bytes the server must answer

/** `credits ARGS... -` with the document on stdin; {status, stdout: Buffer}. */
export function cli(args, input) {
  const r = spawnSync(CLI_BIN, [...args, '-'], { input, maxBuffer: 1 << 30, timeout: 120_000 });
  if (r.error) throw r.error;
  if (r.status === 2) throw new Error(`credits ${args.join(' ')}: ${r.stderr}`);
  return { status: r.status, stdout: r.stdout };
}

/**
 * The CLI's answer for a document (string/Buffer/object); throws unless it answered (exit 0).
 * The CLI ends its output with a newline for the terminal; the answer is the JSON before it
 * (what the core and the WebAssembly module return, and what the server sends and its ETag
 * names), so the newline is checked and taken off.
 */
export function cliAnswer(args, doc) {
  const input = typeof doc === 'string' || Buffer.isBuffer(doc) ? doc : JSON.stringify(doc);
  const r = cli(args, input);
  if (r.status !== 0) throw new Error(`credits ${args.join(' ')} rejected the document: ${r.stdout.toString().slice(0, 2000)}`);
  return withoutNewline(r.stdout);
}

/** stdout without its one closing newline (which must be there). */
export function withoutNewline(stdout) {
  if (stdout[stdout.length - 1] !== 0x0a) throw new Error('the CLI did not end its output with a newline');
  return stdout.subarray(0, stdout.length - 1);
}

// ---------------------------------------------------------------------------------------------
// Ledgers: the demo, and generated batches of valid events for one account

/** A seeded PRNG (mulberry32), so a failing run can be repeated with the same seed. */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const iso = (ms) => new Date(ms).toISOString();

/**
 * Batches of valid events for one account after its opening: each batch is self-contained
 * (its sessions start and complete inside it, ids unique across batches), dated after the
 * batch before it inside [startMs, endMs), so any subset of the batches, in order, after the
 * opening is a valid ledger. Each batch: {index, events}.
 */
export function generateBatches({ seed, batches, eventsPerBatch, projects, startMs, endMs, idPrefix = 'g' }) {
  const rng = prng(seed);
  const int = (a, b) => a + Math.floor(rng() * (b - a + 1));
  const slice = Math.floor((endMs - startMs) / batches);
  const out = [];
  for (let b = 0; b < batches; b++) {
    const events = [];
    let t = startMs + b * slice + 1000;
    const end = startMs + (b + 1) * slice - 1000;
    const step = Math.max(1, Math.floor((end - t) / (eventsPerBatch + 1)));
    let session = 0;
    const id = () => `${idPrefix}${seed}_${b}_${events.length}`;
    while (events.length < eventsPerBatch) {
      const left = eventsPerBatch - events.length;
      const kind = rng();
      const project = projects[int(0, projects.length - 1)];
      if (left >= 3 && kind < 0.6) {
        // A session: 1-4 agent_chat records, then (usually) its completion.
        session += 1;
        const records = Math.min(int(1, 4), left - 1);
        const head = { project_id: project, task_id: `t_${idPrefix}${seed}_${b}_${session}`, session_id: 's1' };
        for (let r = 0; r < records; r++) {
          t += step;
          events.push({ id: id(), type: 'usage', at: iso(t), ...head, service: 'agent_chat', model: 'easycoda-agent-1',
            tokens: { output: int(100, 4000), input_cache_miss: int(100, 9000), input_cache_hit: int(0, 50000) } });
        }
        t += step;
        if (rng() < 0.85) events.push({ id: id(), type: 'session_completed', at: iso(t), ...head });
      } else if (kind < 0.9) {
        t += step;
        events.push({ id: id(), type: 'usage', at: iso(t), project_id: project, service: rng() < 0.5 ? 'build' : 'deploy',
          tokens: { output: int(10, 900), input_cache_miss: int(10, 5000) } });
      } else {
        t += step;
        const grant = { id: id(), type: 'credits_granted', at: iso(t), credits: `${int(1, 200)}.${int(0, 9999)}`, reason: `Goodwill ${b}` };
        if (rng() < 0.5) grant.expires_at = iso(t + int(1, 40) * 86_400_000);
        events.push(grant);
      }
    }
    out.push({ index: b, events });
  }
  return out;
}

/** A ledger document: header + projects + events. */
export function documentOf(account, projects, events) {
  return { format: 'easycoda.ledger/1', account, projects, events };
}
