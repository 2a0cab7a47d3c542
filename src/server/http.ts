/**
 * Plain HTTP beside socket.io on the one port: the web app's static files, liveness and readiness,
 * Prometheus metrics (unless `--metrics-port` moves them), TURN credentials and the PeerJS
 * endpoint's routes, behind the same origin allowlist as the sockets, every answer with the
 * security headers of `security-headers.ts`.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import sirv from 'sirv';
import type { ErrorCode } from '../protocol/index.js';
import { AuthError, type Verify } from './auth.js';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import { createMetricsHandler } from './metrics-http.js';
import type { PeerjsEndpoint } from './peerjs/endpoint.js';
import { webRoot } from './package-info.js';
import { serveSdkScript } from './sdk-script.js';
import { setSecurityHeaders, staticCacheControl } from './security-headers.js';
import { iceServersFor } from './turn.js';

/** Whether a page from `origin` may talk to us. Requests without an Origin come from no page. */
export function originAllowed(origin: string | undefined, allowed: string): boolean {
  if (origin === undefined || allowed === '*') return true;
  return allowed.split(',').some((o) => o.trim() === origin);
}

export interface Health {
  draining: boolean;
  /** Each returns null when ready, or why not (e.g. "redis: connection lost"). */
  checks: Array<() => string | null>;
}

export interface HttpDeps {
  config: Config;
  log: Logger;
  metrics: Metrics;
  health: Health;
  verify: Verify | null;
  /** The PeerJS endpoint's routes, when it is on. */
  peerjs: PeerjsEndpoint | null;
  /** The server API (`/api/v1`): true when it took the request. */
  api?: (req: IncomingMessage, res: ServerResponse, url: URL) => boolean;
}

const json = (res: ServerResponse, status: number, body: unknown) =>
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

const notFound = (res: ServerResponse) =>
  res.writeHead(404, { 'content-type': 'text/plain', 'cache-control': 'no-store' }).end('not found\n');

const fail = (res: ServerResponse, status: number, code: ErrorCode, message: string) =>
  json(res, status, { ok: false, error: { code, message } });

export function createHttpHandler(deps: HttpDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const { config, log, metrics, health, verify, peerjs } = deps;
  if (!existsSync(webRoot)) log.warn({ webRoot }, 'web app not built: run `npm run build`');
  const serveStatic = sirv(webRoot, { etag: true, dev: false });
  const serveMetrics = createMetricsHandler(config, metrics, log);

  const iceServers = async (req: IncomingMessage, url: URL, res: ServerResponse) => {
    let identity = `anonymous-${randomUUID().slice(0, 8)}`;
    if (verify) {
      const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
      try {
        identity = (await verify(bearer ?? url.searchParams.get('token') ?? undefined)).sub;
      } catch (err) {
        if (!(err instanceof AuthError)) throw err;
        metrics.error(err.code);
        return fail(res, 401, err.code, err.message);
      }
    }
    json(res, 200, { iceServers: iceServersFor(config, identity) });
  };

  return (req, res) => {
    setSecurityHeaders(res);
    const origin = req.headers.origin;
    if (!originAllowed(origin, config.allowedOrigins)) {
      return fail(res, 403, 'forbidden', `origin ${origin} is not allowed`);
    }
    if (origin !== undefined) {
      res.setHeader('access-control-allow-origin', config.allowedOrigins === '*' ? '*' : origin);
      res.setHeader('vary', 'Origin');
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    switch (url.pathname) {
      case '/healthz':
        return json(res, 200, { status: 'ok' });
      case '/readyz': {
        const reasons = [
          ...(health.draining ? ['draining for shutdown'] : []),
          ...health.checks.map((c) => c()),
        ].filter((r): r is string => r !== null);
        return json(res, reasons.length === 0 ? 200 : 503, { ready: reasons.length === 0, reasons });
      }
      case '/metrics':
        // With --metrics-port, /metrics is served there only: here it is like any unknown path.
        if (config.metricsPort !== null) return notFound(res);
        return serveMetrics(req, res);
      case '/ice-servers':
        if (req.method === 'OPTIONS') {
          res
            .writeHead(204, { 'access-control-allow-headers': 'authorization', 'access-control-max-age': '600' })
            .end();
          return;
        }
        iceServers(req, url, res).catch((err: unknown) => {
          log.error({ err }, 'ice-servers failed');
          fail(res, 500, 'internal', 'ice-servers failed');
        });
        return;
    }
    if (deps.api?.(req, res, url)) return;
    if (peerjs?.handleHttp(req, res, url)) return;
    if (serveSdkScript(req, res, url.pathname)) return;
    res.setHeader('cache-control', staticCacheControl(url.pathname));
    serveStatic(req, res, () => void notFound(res));
  };
}
