/**
 * Serves `/socket.io/socket.io.js` and `.min.js` as the classic tutorial's page loads them: socket.io
 * v4's client with the tutorial-era API kept (`io.connect`, `socket.json`), built by
 * `scripts/build.mjs` from `src/classic-io.ts` into `dist/socket.io/`.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Logger } from './logger.js';
import { packageRoot } from './package-info.js';

/** Where the build puts the bundles, named as the URLs that serve them. */
export const classicClientRoot = join(packageRoot, 'dist', 'socket.io');

const FILES = ['socket.io.js', 'socket.io.min.js'] as const;

interface Served {
  body: Buffer;
  gzipped: Buffer;
  etag: string;
}

/** Read and compressed once per process: every server started in it serves the same bytes. */
let cache: Map<string, Served> | null = null;

function load(): Map<string, Served> {
  if (cache) return cache;
  cache = new Map();
  for (const name of FILES) {
    const path = join(classicClientRoot, name);
    if (!existsSync(path)) continue;
    const body = readFileSync(path);
    // The URL carries no version, so browsers revalidate every time and the ETag saves the body.
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
    cache.set(name, { body, gzipped: gzipSync(body), etag });
  }
  return cache;
}

function serve(file: Served, req: IncomingMessage, res: ServerResponse): void {
  const headers: Record<string, string> = {
    'content-type': 'text/javascript; charset=utf-8',
    'cache-control': 'public, max-age=0',
    etag: file.etag,
    vary: 'Accept-Encoding',
    // A public script, the same for every page: one loaded with `crossorigin` may see its errors,
    // and pages on any origin may load it (the tutorial's page is on its own site).
    'access-control-allow-origin': '*',
    'cross-origin-resource-policy': 'cross-origin',
    'x-content-type-options': 'nosniff',
  };
  const tags = req.headers['if-none-match']?.split(',').map((t) => t.trim().replace(/^W\//, ''));
  if (tags?.includes(file.etag) || tags?.includes('*')) {
    res.writeHead(304, headers).end();
    return;
  }
  const gzip = /\bgzip\b/.test(req.headers['accept-encoding'] ?? '');
  const body = gzip ? file.gzipped : file.body;
  if (gzip) headers['content-encoding'] = 'gzip';
  headers['content-length'] = String(body.length);
  res.writeHead(200, headers).end(req.method === 'HEAD' ? undefined : body);
}

/**
 * Answers the client script's URLs on `http`. Call it after socket.io has attached: engine.io
 * claims every request under `/socket.io/` (an unknown one gets 400), so this goes in front of it,
 * the way socket.io's own `serveClient` does.
 * @example
 * const io = new Server(http, { serveClient: false });
 * serveClassicClient(http, log);
 */
export function serveClassicClient(http: HttpServer, log: Logger): void {
  const files = load();
  if (files.size < FILES.length)
    log.warn({ classicClientRoot }, 'classic socket.io client not built: run `npm run build`');
  const others = http.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>;
  http.removeAllListeners('request');
  http.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const name = /^\/socket\.io\/(socket\.io(?:\.min)?\.js)(?:\?|$)/.exec(req.url ?? '')?.[1];
    if (name !== undefined && (req.method === 'GET' || req.method === 'HEAD')) {
      const file = files.get(name);
      if (file) return serve(file, req, res);
      res.writeHead(404, { 'content-type': 'text/plain' }).end('socket.io client not built: run `npm run build`\n');
      return;
    }
    for (const listener of others) listener.call(http, req, res);
  });
}
