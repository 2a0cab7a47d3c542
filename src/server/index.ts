/** `createServer(options)`: one HTTP server carrying the web app, the HTTP API, socket.io, `/v1` and PeerJS, over one core. */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApi } from './api/index.js';
import { createAdminVerifier, createVerifier } from './auth.js';
import { checkConfig, defaults, type Config } from './config.js';
import { Admission, parseTrustProxy } from './core/admission.js';
import { Core } from './core/index.js';
import { connectStore } from './core/redis.js';
import { attachSocketIo } from './edges/socketio.js';
import { attachWebSocket } from './edges/websocket.js';
import { createHttpHandler, type Health } from './http.js';
import { createLogger, type Logger } from './logger.js';
import { createMetrics, type Metrics } from './metrics.js';
import { createMetricsHandler, listenMetrics } from './metrics-http.js';
import { attachPeerjs, type PeerjsEndpoint } from './peerjs/endpoint.js';
import { drain } from './shutdown.js';
import { Webhooks } from './webhooks.js';
import type { IoServer } from './types.js';

export { defaults, resolveConfig, type Config } from './config.js';

export interface TsunaguServer {
  /** Base URL, e.g. `http://127.0.0.1:9001`, with the port actually bound. */
  url: string;
  port: number;
  /** Base URL of the `--metrics-port` server, when there is one (it serves `/metrics` only). */
  metricsUrl: string | null;
  io: IoServer;
  http: HttpServer;
  core: Core;
  config: Config;
  log: Logger;
  metrics: Metrics;
  health: Health;
  /** Connections counted against the limits now, every edge's, from their transport's open to its close. */
  readonly connections: number;
  /** Drains (see `shutdown.ts`) for at most `graceMs`, then closes. */
  shutdown(graceMs?: number): Promise<void>;
  /** Closes at once: every client is disconnected. */
  close(): Promise<void>;
}

/**
 * Starts a tsunagu server. Options not given take their documented defaults (see `config.ts`);
 * durations are in milliseconds here (`resumeWindowMs: 30_000`), in seconds on the command line.
 * @example
 * const server = await createServer({ port: 0, host: '127.0.0.1' });
 * console.log(server.url); // http://127.0.0.1:40123
 * await server.close();
 */
export async function createServer(options: Partial<Config> & { logger?: Logger } = {}): Promise<TsunaguServer> {
  const { logger, ...rest } = options;
  const config = checkConfig({ ...defaults, ...rest });
  const log = logger ?? createLogger(config.logLevel);
  const verify = await createVerifier(config);
  const health: Health = { draining: false, checks: [] };
  const trust = parseTrustProxy(String(config.trustProxy));
  const urls = config.redis
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);
  const store = urls.length > 0 ? await connectStore(urls, config.redisCluster, log) : null;
  if (store) health.checks.push(() => store.problem);

  // Every other request goes to the HTTP handler, ready once the metrics (which read the edges) exist.
  // eslint-disable-next-line prefer-const -- assigned below, once the edges and the metrics exist
  let handleHttp: ReturnType<typeof createHttpHandler> | undefined;
  const http = createHttpServer((req, res) => handleHttp!(req, res));
  const admission = new Admission(config, verify);
  const counts = { socketio: () => socketio.size, v1: () => websocket.size, peerjs: () => peerjs?.size ?? 0 };
  const metrics = createMetrics({
    clients: (protocol) => counts[protocol](),
    rooms: () => core.roomCount,
    peers: () => core.memberCount,
  });
  // Dead links go unnoticed at most one ping interval and one ping timeout (socket.io's defaults).
  const core = new Core({ config, log, metrics, store, unnoticedMs: 25_000 + 20_000 });
  await core.start();
  // Over the node's outbound budget, new joins are refused and a balancer should send them elsewhere.
  health.checks.push(() => core.budget.problem);
  const socketio = attachSocketIo({ http, core, admission, trust, config, log, metrics });
  const websocket = attachWebSocket({ http, core, admission, trust, config, log, metrics });
  const peerjs: PeerjsEndpoint | null = config.peerjs
    ? attachPeerjs({ http, core, admission, trust, config, log, metrics })
    : null;
  const webhooks = config.webhookUrls.length > 0 ? new Webhooks({ config, core, store, log, metrics }) : null;
  const api = createApi({
    core,
    verify: await createAdminVerifier(config),
    log,
    metrics,
    maxBodyBytes: config.maxPayloadBytes,
  });
  handleHttp = createHttpHandler({ config, log, metrics, health, verify, peerjs, api });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(config.port, config.host || undefined, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const { port } = http.address() as AddressInfo;
  const urlHost = ['', '0.0.0.0', '::'].includes(config.host)
    ? 'localhost'
    : config.host.includes(':')
      ? `[${config.host}]`
      : config.host;
  const url = `http://${urlHost}:${port}`;
  const metricsServer =
    config.metricsPort === null ? null : await listenMetrics(config, createMetricsHandler(config, metrics, log));
  log.info({ url, port, metricsUrl: metricsServer?.url, auth: config.auth, node: core.node }, 'listening');

  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      peerjs?.close();
      // The edges first: their clients' drops reach a core that is still running, which then stops.
      const closed = Promise.all([socketio.close(), websocket.close()]);
      http.closeAllConnections();
      await closed;
      webhooks?.close();
      await Promise.all([core.close(), metricsServer?.close()]);
    })());
  return {
    url,
    port,
    metricsUrl: metricsServer?.url ?? null,
    io: socketio.io,
    http,
    core,
    config,
    log,
    metrics,
    health,
    get connections() {
      return admission.total;
    },
    async shutdown(graceMs = config.shutdownGraceMs) {
      health.draining = true; // /readyz answers 503 from here on
      admission.draining = true; // and new connections are refused
      await drain([socketio, websocket], core, graceMs, log);
      await close();
    },
    close,
  };
}
