// Static server for the Chromium benchmark: the same strict CSP as the browser
// tests (tests/js/static-server.mjs), plus cross-origin isolation (COOP/COEP),
// which gives performance.now() its finest resolution in Chromium. Files are
// streamed, so 250 MB ledgers are not read into memory at once.
import { createServer } from 'node:http';
import { createReadStream, statSync } from 'node:fs';
import { extname, join, normalize } from 'node:path';

import { strictCsp } from '../js/static-server.mjs';

const types = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript',
  '.json': 'application/json', '.wasm': 'application/wasm',
};

/** routes: URL prefix -> folder on disk, e.g. {'/wasm/': '/repo/wasm/'}. */
export async function startBenchServer(routes) {
  const server = createServer((request, response) => {
    const path = normalize(decodeURIComponent(new URL(request.url, 'http://x').pathname));
    if (path === '/favicon.ico') {  // browsers ask for it on their own
      response.writeHead(204).end();
      return;
    }
    const prefix = Object.keys(routes).find((p) => path.startsWith(p));
    if (!prefix || path.includes('..')) {
      response.writeHead(404).end();
      return;
    }
    const file = join(routes[prefix], path.slice(prefix.length));
    let size;
    try {
      size = statSync(file).size;
    } catch {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, {
      'Content-Type': types[extname(file)] ?? 'application/octet-stream',
      'Content-Length': size,
      'Content-Security-Policy': strictCsp,
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-store',
    });
    createReadStream(file).pipe(response);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${server.address().port}` };
}
