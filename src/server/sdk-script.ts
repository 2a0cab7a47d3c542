/**
 * Serves the SDK as one plain script, built by `scripts/build.mjs` into `dist/sdk/`: a page needs
 * only `<script src="https://<server>/sdk/tsunagu.js">` and gets the global `tsunagu`.
 * `/sdk/tsunagu.js` is the server's own version, revalidated after a few minutes;
 * `/sdk/tsunagu@<version>.js` never changes, so it is cached for a year.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { packageRoot } from './package-info.js';

export const sdkRoot = join(packageRoot, 'dist', 'sdk');

interface Script {
  version: string;
  body: Buffer;
  gzipped: Buffer;
  map: Buffer | null;
  etag: string;
}

/** Read and compressed once per process: every server started in it serves the same bytes. */
let cache: Script | null | undefined;

function load(): Script | null {
  if (cache !== undefined) return cache;
  const path = join(sdkRoot, 'tsunagu.js');
  if (!existsSync(path)) return (cache = null);
  const body = readFileSync(path);
  // The build stamps the version into the banner: the file says which SDK it is.
  const version = /^\/\*! @tsunagu\/client (\S+) /.exec(body.toString('utf8', 0, 100))?.[1] ?? '0.0.0';
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
  const map = existsSync(`${path}.map`) ? readFileSync(`${path}.map`) : null;
  return (cache = { version, body, gzipped: gzipSync(body), map, etag });
}

/** The version the server serves, for pages that pin it (`/sdk/tsunagu@<version>.js`). */
export function sdkVersion(): string | null {
  return load()?.version ?? null;
}

/** Answers `/sdk/…` and returns true; anything else is left to the next handler. */
export function serveSdkScript(req: IncomingMessage, res: ServerResponse, pathname: string): boolean {
  if (!pathname.startsWith('/sdk/')) return false;
  const script = load();
  const name = pathname.slice('/sdk/'.length);
  const pinned = script !== null && name === `tsunagu@${script.version}.js`;
  const isMap = script?.map && (name === 'tsunagu.js.map' || name === `tsunagu@${script.version}.js.map`);
  if (!script || (req.method !== 'GET' && req.method !== 'HEAD') || !(name === 'tsunagu.js' || pinned || isMap)) {
    const why = script ? 'not found' : 'SDK script not built: run `npm run build`';
    res.writeHead(404, { 'content-type': 'text/plain' }).end(`${why}\n`);
    return true;
  }
  const headers: Record<string, string> = {
    'content-type': isMap ? 'application/json' : 'text/javascript; charset=utf-8',
    'cache-control': pinned || name.includes('@') ? 'public, max-age=31536000, immutable' : 'public, max-age=300',
    etag: script.etag,
    vary: 'Accept-Encoding',
    'x-tsunagu-sdk-version': script.version,
    // A public script, the same for every page: pages on any origin load it (and see its errors).
    'access-control-allow-origin': '*',
    'cross-origin-resource-policy': 'cross-origin',
  };
  if (isMap) {
    res.writeHead(200, headers).end(req.method === 'HEAD' ? undefined : script.map);
    return true;
  }
  const tags = req.headers['if-none-match']?.split(',').map((t) => t.trim().replace(/^W\//, ''));
  if (tags?.includes(script.etag) || tags?.includes('*')) {
    res.writeHead(304, headers).end();
    return true;
  }
  const gzip = /\bgzip\b/.test(req.headers['accept-encoding'] ?? '');
  const body = gzip ? script.gzipped : script.body;
  if (gzip) headers['content-encoding'] = 'gzip';
  headers['content-length'] = String(body.length);
  res.writeHead(200, headers).end(req.method === 'HEAD' ? undefined : body);
  return true;
}
