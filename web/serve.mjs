// A tiny static server for the built console (web/dist), with the security headers the console is
// meant to be served with. No dependencies: node:http only.
//
//   node web/serve.mjs [--port 4173] [--host 127.0.0.1] [--root web/dist]
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The policy: scripts and styles from this origin only; WebAssembly may compile; nothing else. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self'",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
  // lit-html renders templates; easycoda-worker passes the credit worker's own script URL only.
  'trusted-types lit-html easycoda-worker',
].join('; ');

export const SECURITY_HEADERS = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
  'X-Frame-Options': 'DENY',
};

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

const here = path.dirname(fileURLToPath(import.meta.url));

/** Longest request target answered (bytes); longer is 414. Node itself caps the headers (431). */
export const REQUEST_TARGET_BYTES_MAX = 2048;

function plain(res, status, text, headers = {}) {
  if (res.headersSent) return res.destroy();
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...headers });
  return res.end(`${text}\n`);
}

// C0 controls, DEL and the C1 controls: never part of a file name this server serves.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * The file a request asks for, or the 4xx that answers it. Every check is on the request's own
 * text: a malformed target (invalid percent-encoding, NUL or another control byte, over
 * REQUEST_TARGET_BYTES_MAX, outside the root) is the client's error, never the server's.
 */
function resolveTarget(rawTarget, rootDir) {
  if (Buffer.byteLength(rawTarget) > REQUEST_TARGET_BYTES_MAX) return { status: 414, text: 'URI too long' };
  let url;
  try {
    url = new URL(rawTarget, 'http://localhost');
  } catch {
    return { status: 400, text: 'Bad request' };
  }
  let pathname;
  try {
    pathname = decodeURIComponent(url.pathname);
  } catch {
    return { status: 400, text: 'Bad request' };
  }
  if (CONTROL.test(pathname) || CONTROL.test(url.pathname)) return { status: 400, text: 'Bad request' };
  if (pathname.endsWith('/')) pathname += 'index.html';
  const file = path.resolve(rootDir, `.${pathname}`);
  if (file !== rootDir && !file.startsWith(rootDir + path.sep)) return { status: 403, text: 'Forbidden' };
  return { url, pathname, file };
}

function serveFile(req, res, pathname, file) {
  fs.stat(file, (error, stat) => {
    if (error || !stat.isFile()) return plain(res, 404, 'Not found');
    const type = MIME[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
    const immutable = pathname.startsWith('/assets/');
    res.writeHead(200, {
      'Content-Type': type,
      'Content-Length': stat.size,
      'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
    if (req.method === 'HEAD') return res.end();
    // A file that vanishes or cannot be read after the stat ends this response, not the server.
    fs.createReadStream(file).on('error', () => res.destroy()).pipe(res);
  });
}

/**
 * Starts the server; resolves with { server, url }. `routes` maps extra paths to handlers
 * (the tests use it for a CSP canary page and to collect violation reports).
 * Every request is answered, however malformed: 4xx for the client's errors, and nothing a
 * request holds can throw out of the handler (a throw would end the process).
 */
export function startServer({ root = path.join(here, 'dist'), port = 0, host = '127.0.0.1', routes = {} } = {}) {
  const rootDir = path.resolve(root);
  const server = http.createServer((req, res) => {
    try {
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
      const target = resolveTarget(req.url ?? '/', rootDir);
      const route = target.url && Object.hasOwn(routes, target.url.pathname) ? routes[target.url.pathname] : null;
      if (route) return route(req, res);
      if (req.method !== 'GET' && req.method !== 'HEAD') return plain(res, 405, 'Method not allowed', { Allow: 'GET, HEAD' });
      if (target.status) return plain(res, target.status, target.text);
      return serveFile(req, res, target.pathname, target.file);
    } catch {
      // Only a request's own content reaches here (the checks above are pure): a client error.
      return plain(res, 400, 'Bad request');
    }
  });
  // Requests node's parser refuses (bad request line, odd method, control bytes in a header,
  // headers over the limit): answered here too, then the connection is closed.
  server.on('clientError', (error, socket) => {
    socket.on('error', () => socket.destroy());
    if (!socket.writable || socket.writableEnded) return socket.destroy();
    const status = error.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large'
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  });
  // CONNECT (a proxy request) and protocol upgrades are not served: without these listeners
  // node would close the connection with no answer at all.
  const refuse = (req, socket) => {
    socket.on('error', () => socket.destroy());
    socket.end('HTTP/1.1 405 Method Not Allowed\r\nAllow: GET, HEAD\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  };
  server.on('connect', refuse);
  server.on('upgrade', refuse);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const address = server.address();
      resolve({ server, url: `http://${host}:${address.port}/` });
    });
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const arg = (name, fallback) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
  };
  const root = arg('root', path.join(here, 'dist'));
  if (!fs.existsSync(path.join(root, 'index.html'))) {
    console.error(`No build in ${root}: run "npm run build:web" first.`);
    process.exit(1);
  }
  const { url } = await startServer({ root, port: Number(arg('port', '4173')), host: arg('host', '127.0.0.1') });
  console.log(`EasyCoda console at ${url}`);
}
