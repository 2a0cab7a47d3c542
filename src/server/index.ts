/** `createServer(options)`: one HTTP server carrying the web app, the HTTP API and socket.io. */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { Encoder } from 'socket.io-parser';
import type { ErrorCode } from '../protocol/index.js';
import { AuthError, createVerifier } from './auth.js';
import { localCapacity, redisCapacity } from './capacity.js';
import { connectCluster, type Cluster } from './cluster.js';
import { classicHandlers } from './classic.js';
import { serveClassicClient } from './classic-client.js';
import { socketIoCors } from './eio3.js';
import { checkConfig, defaults, type Config } from './config.js';
import { enterLobby } from './groups.js';
import { openGate, type HandlerContext, type SharedListener } from './handle.js';
import { createHttpHandler, originAllowed, type Health } from './http.js';
import { clientAddress, ConnectionCounter, countRooms } from './limits.js';
import { createLogger, type Logger } from './logger.js';
import { createMetrics, type Metrics } from './metrics.js';
import { decoderFor } from './parser.js';
import { Presence } from './presence.js';
import { setUpResume } from './resume.js';
import { attachPeerjs, type PeerjsEndpoint } from './peerjs/endpoint.js';
import { drain } from './shutdown.js';
import { signalingHandlers } from './signaling.js';
import type { IoServer, IoSocket } from './types.js';

export { defaults, resolveConfig, type Config } from './config.js';

export interface TsunaguServer {
  /** Base URL, e.g. `http://127.0.0.1:9001`, with the port actually bound. */
  url: string;
  port: number;
  io: IoServer;
  http: HttpServer;
  config: Config;
  log: Logger;
  metrics: Metrics;
  health: Health;
  /** Drains (see `shutdown.ts`) for at most `graceMs`, then closes. */
  shutdown(graceMs?: number): Promise<void>;
  /** Closes at once: every client is disconnected. */
  close(): Promise<void>;
}

/** Client events with a handler; any other is answered `unknown-event`. */
const EVENTS = new Set(['join', 'leave', 'signal', 'message']);

/** A connection refusal the client can read: `connect_error` with `err.data.code`. */
function refusal(code: ErrorCode, message: string): Error {
  return Object.assign(new Error(message), { data: { code, message } });
}

/**
 * Starts a tsunagu server. Options not given take their documented defaults (see `config.ts`).
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
  const cluster: Cluster | null = config.redis ? await connectCluster(config.redis, log) : null;
  if (cluster) health.checks.push(cluster.check);

  // socket.io takes /socket.io/ for itself and hands every other request to the listener given
  // here; that listener is only ready once the metrics (which read io) exist, hence the indirection.
  // eslint-disable-next-line prefer-const -- assigned below, once io and the metrics exist
  let handleHttp: ReturnType<typeof createHttpHandler> | undefined;
  const http = createHttpServer((req, res) => handleHttp!(req, res));
  const io: IoServer = new Server(http, {
    // The transport's hard cap sits above --max-payload, so an oversized event is answered with
    // payload-too-large instead of a dropped connection; only a far larger frame closes it.
    maxHttpBufferSize: config.maxPayload * 4,
    cors: socketIoCors(config.allowedOrigins),
    // CORS does not cover WebSockets: the origin allowlist is enforced here for every transport.
    allowRequest: (req, callback) => callback(null, originAllowed(req.headers.origin, config.allowedOrigins)),
    ...(cluster ? { adapter: cluster.adapter } : {}),
    // socket.io's parser; its decoder judges each event's size and keeps each signal's text (parser.ts).
    parser: { Encoder, Decoder: decoderFor(config.maxPayload) },
    // A dropped client comes back with its id, rooms and missed broadcasts (signals included).
    ...(config.resumeWindow > 0
      ? { connectionStateRecovery: { maxDisconnectionDuration: config.resumeWindow, skipMiddlewares: false } }
      : {}),
    // socket.io-client 1.x/2.x, as the classic tutorial's page loads (see docs/protocol.md).
    allowEIO3: config.allowEio3,
    // Our own build of the client is served instead, with the tutorial-era API kept.
    serveClient: false,
  });
  serveClassicClient(http, log);
  // Signals bypass socket.io's packet log and keep a ledger of their own (see resume.ts), for as
  // long as a dead link can go unnoticed: one ping interval and one ping timeout.
  const { pingInterval = 25_000, pingTimeout = 20_000 } = io.engine.opts;
  const resume = await setUpResume(io, config.resumeWindow, pingInterval + pingTimeout, cluster?.redis ?? null);
  const rooms = countRooms(io);
  let peerjs: PeerjsEndpoint | null = null;
  const metrics = createMetrics(io, rooms, () => peerjs?.size ?? 0);
  // Capacity leases are renewed for the places the presence holds; it reads them when it renews.
  const holder: { presence?: Presence } = {};
  const capacity = cluster
    ? redisCapacity(cluster.redis, config.maxPeersPerRoom, () => holder.presence?.held() ?? [])
    : localCapacity(io, config.maxPeersPerRoom);
  const presence = new Presence(io, capacity, log, { clustered: cluster !== null, resumeWindow: config.resumeWindow });
  holder.presence = presence;
  presence.start();
  const connections = new ConnectionCounter(config);
  if (config.peerjs) {
    const redis = cluster?.redis ?? null;
    peerjs = attachPeerjs({ http, io, config, log, metrics, health, connections, verify, presence, redis });
  }
  handleHttp = createHttpHandler({ config, log, metrics, health, verify, peerjs });

  // The address a connection was counted under, given back when it goes: one shared listener, as
  // a closure here would keep the whole middleware scope alive for the socket's life (~1.5 KiB).
  const ADDRESS = Symbol('address');
  function releaseConnection(this: IoSocket) {
    connections.release((this as unknown as { [ADDRESS]: string })[ADDRESS]);
  }
  io.use((socket, next) => {
    const reject = (code: ErrorCode, message: string) => {
      metrics.connectionRejected(code);
      log.info({ code, address }, 'connection refused');
      next(refusal(code, message));
    };
    const address = clientAddress(socket.request, config.trustProxy);
    if (health.draining) return reject('shutting-down', 'this server is shutting down');
    if (connections.admit(address) !== null) return reject('too-many-connections', 'too many connections');
    const admit = () => {
      (socket as unknown as { [ADDRESS]: string })[ADDRESS] = address;
      socket.on('disconnect', releaseConnection);
      next();
    };
    socket.data.identity = null;
    if (!verify) return admit();
    const auth = socket.handshake.auth as { token?: unknown } | undefined;
    verify(auth?.token ?? socket.handshake.query.token).then(
      (identity) => {
        socket.data.identity = identity;
        admit();
      },
      (err: unknown) => {
        connections.release(address);
        if (err instanceof AuthError) return reject(err.code, err.message);
        log.error({ err }, 'token verification failed');
        reject('internal', 'token verification failed');
      },
    );
  });

  // Built once, shared by every socket (see handle.ts): a connection costs listener slots only.
  const ctx: HandlerContext = { log, metrics, config };
  const gate = openGate(ctx, EVENTS);
  const classic = classicHandlers(ctx);
  const signaling = signalingHandlers(ctx, { io, config, rooms, capacity, presence, resume });
  const listeners: Array<[string, SharedListener]> = [
    ['join', signaling.join],
    ['leave', signaling.leave],
    ['signal', signaling.signal],
    ['message', classic.message],
    ['disconnect', classic.disconnect as SharedListener],
    ['disconnect', signaling.disconnect as SharedListener],
  ];
  io.on('connection', (socket) => {
    gate(socket);
    resume.attach(socket);
    for (const [event, listener] of listeners) (socket.on as (e: string, l: SharedListener) => void)(event, listener);
    if (!socket.recovered) {
      socket.data.name = null;
      enterLobby(socket);
    } else if (socket.data.room !== null) {
      // Back within the resume window, rooms and data restored by socket.io (from Redis in a cluster).
      presence.resumed(socket, socket.data.room);
      log.info({ socket: socket.id, room: socket.data.room }, 'resumed');
    }
  });

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
  log.info({ url, port, auth: config.auth }, 'listening');

  const close = async () => {
    peerjs?.close();
    presence.close();
    resume.close();
    // io.close() disconnects every socket and closes the HTTP server; idle keep-alive
    // connections would otherwise hold it open.
    const closed = io.close();
    http.closeAllConnections();
    await closed;
    await cluster?.close();
  };
  return {
    url,
    port,
    io,
    http,
    config,
    log,
    metrics,
    health,
    async shutdown(graceMs = config.shutdownGrace) {
      await drain(io, health, graceMs, log);
      await close();
    },
    close,
  };
}
