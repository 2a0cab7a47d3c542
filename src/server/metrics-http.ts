/**
 * `/metrics` for Prometheus. It tells room and traffic counts, so an operator may keep it off the
 * public port (`--metrics-port`, `--metrics-host`: a second small server that serves nothing else)
 * and/or ask for a bearer token (`--metrics-token`).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import { setSecurityHeaders } from './security-headers.js';

/** Equal in time whatever the guess: both sides are hashed to the same length first. */
function sameSecret(given: string, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * Answers a request for `/metrics`: 401 without the token when there is one, else the registry.
 * @example if (url.pathname === '/metrics') return serveMetrics(req, res);
 */
export function createMetricsHandler(
  config: Pick<Config, 'metricsToken'>,
  metrics: Metrics,
  log: Logger,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    if (config.metricsToken) {
      const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
      if (!sameSecret(bearer, config.metricsToken)) {
        res
          .writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer realm="metrics"' })
          .end(
            JSON.stringify({ ok: false, error: { code: 'unauthorized', message: '/metrics needs its bearer token' } }),
          );
        return;
      }
    }
    metrics.registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
      (err: unknown) => {
        log.error({ err }, 'metrics failed');
        res.writeHead(500).end();
      },
    );
  };
}

export interface MetricsListener {
  /** e.g. `http://127.0.0.1:9464`, with the port actually bound. */
  url: string;
  close(): Promise<void>;
}

/** Starts the `--metrics-port` server: `/metrics` and nothing else (404). */
export async function listenMetrics(
  config: Pick<Config, 'metricsPort' | 'metricsHost' | 'host'>,
  handle: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<MetricsListener> {
  const server: Server = createServer((req, res) => {
    setSecurityHeaders(res);
    if (new URL(req.url ?? '/', 'http://localhost').pathname === '/metrics') return handle(req, res);
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: this port serves /metrics only\n');
  });
  const host = config.metricsHost || config.host;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.metricsPort ?? 0, host || undefined, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = ['', '0.0.0.0', '::'].includes(host) ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
