/**
 * The socket.io edge: protocol v1 and the classic relay over socket.io, translated to the core.
 *
 * socket.io is the transport, not the state store: its default in-memory adapter carries no
 * membership (every event to a client is written to that client's connection by the core), and
 * resume is the core's. socket.io's connection-state recovery stays on only for its wire: its
 * client keeps a private session id (`pid`, the core's resume secret) and the last offset it saw,
 * and sends both when it reconnects. The adapter's documented session hooks connect the two:
 * `persistSession` (called by socket.io for exactly the disconnect reasons it can recover from)
 * marks the session resumable, and `restoreSession` asks the core for it. Every event carries
 * its sequence number as the offset.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Server } from 'socket.io';
import { Adapter } from 'socket.io-adapter';
import { Encoder } from 'socket.io-parser';
import type { ErrorCode, Identity, ProtocolError, Result } from '../../protocol/index.js';
import { serveClassicClient } from '../classic-client.js';
import { socketIoCors } from '../eio3.js';
import { Refusal, clientAddress } from '../core/admission.js';
import type { Link, Numbered, Session } from '../core/index.js';
import { payloadOf } from '../core/session.js';
import { originAllowed } from '../http.js';
import { decoderFor, encodeSignal, signalDataText } from '../parser.js';
import type { IoServer, IoSocket } from '../types.js';
import type { EdgeDeps } from './deps.js';
import { EngineQueues, type EngineSocket } from './socketio-queues.js';

/** The socket.io release whose adapter hooks and write path this edge was checked against. */
export const SOCKET_IO_VERSION = '4.8.4';
/** The engine.io releases (socket.io 4.8.4's range) whose write queue the outbound budget reads. */
export const ENGINE_IO_VERSIONS = /^6\.6\./;

type Ack = (result: unknown) => void;
/** A session as socket.io's restore hands it over. */
interface RestoredSession {
  sid: string;
  pid: string;
  rooms: string[];
  data: unknown;
  missedPackets: unknown[][];
}
/** socket.io's per-connection writer, which every adapter uses to deliver (its adapter contract). */
type Writer = { client: { writeToEngine(encoded: unknown[], opts: { preEncoded: true }): void } };
const PRE_ENCODED = { preEncoded: true } as const;
/** How long a transport over a connection limit may wait before its CONNECT is refused anyway. */
const OVER_LIMIT_GRACE_MS = 1_000;

export type SocketIoEdgeDeps = EdgeDeps;

export interface SocketIoEdge {
  io: IoServer;
  /** Clients connected through socket.io. */
  readonly size: number;
  /** Resolves once every client has gone (a drain's end). */
  drained(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Checks, at start-up, what this edge relies on in socket.io: the exact release, and the adapter's
 * session hooks and write path where it expects them. A different socket.io refuses to start.
 */
export function checkSocketIo(): void {
  const require = createRequire(import.meta.url);
  type Pkg = { version: string };
  const { version } = require('socket.io/package.json') as Pkg;
  const problems: string[] = [];
  if (version !== SOCKET_IO_VERSION) problems.push(`socket.io ${version} installed, ${SOCKET_IO_VERSION} expected`);
  // engine.io exports no package.json: read beside its entry point (build/engine.io.js), as socket.io resolves it.
  const engineEntry = createRequire(require.resolve('socket.io')).resolve('engine.io');
  const engine = (JSON.parse(readFileSync(join(dirname(engineEntry), '..', 'package.json'), 'utf8')) as Pkg).version;
  if (!ENGINE_IO_VERSIONS.test(engine)) problems.push(`engine.io ${engine} installed, 6.6.x expected`);
  for (const hook of ['persistSession', 'restoreSession', 'broadcast'] as const) {
    if (typeof Adapter.prototype[hook] !== 'function') problems.push(`socket.io-adapter has no ${hook}()`);
  }
  if (problems.length > 0) throw new Error(`socket.io edge: ${problems.join('; ')}`);
}

/** The packet data of a numbered event: `[event, payload?, offset]`, as socket.io's recovery writes it. */
function packetData(n: Numbered, offsets: boolean): unknown[] {
  const payload = payloadOf(n);
  const data: unknown[] = payload === undefined ? [n.event] : [n.event, payload];
  if (offsets) data.push(String(n.seq));
  return data;
}

export function attachSocketIo(deps: SocketIoEdgeDeps): SocketIoEdge {
  const { http, core, admission, trust, config, log, metrics } = deps;
  checkSocketIo();
  const offsets = config.resumeWindowMs > 0;
  const encoder = new Encoder();
  const sessions = new WeakMap<IoSocket, Session>();
  /** Sessions socket.io will let resume: their secret, noted by persistSession before `disconnect`. */
  const persisted = new Map<string, string>();
  /** Sessions taken back by restoreSession, until their socket exists. */
  const pending = new Map<string, { link: SocketLink; secret: string }>();

  /** Writes the core's events to one socket; buffers them until the socket exists (a resume). */
  class SocketLink implements Link {
    readonly edge = 'socketio';
    socket: IoSocket | null = null;
    #buffer: Numbered[] = [];
    write(n: Numbered): void {
      if (this.socket === null) {
        this.#buffer.push(n);
        return;
      }
      const offset = offsets ? String(n.seq) : undefined;
      let encoded: unknown[];
      try {
        encoded =
          n.event === 'signal' && n.text !== undefined
            ? encodeSignal(encoder, n.data as { from: string; data: unknown }, n.text, offset)
            : encoder.encode({ type: 2, nsp: '/', data: packetData(n, offsets) });
      } catch (err) {
        // The decoders refuse what cannot be encoded (tooDeep); should a value get through anyway,
        // this one event is lost for this one client, never the process.
        metrics.unexpected('encode');
        log.error({ socket: this.socket.id, event: n.event, err }, 'event could not be encoded');
        return;
      }
      (this.socket as unknown as Writer).client.writeToEngine(encoded, PRE_ENCODED);
    }
    /** Events to write first once bound (a resume's missed events, before what came since). */
    replay(missed: Numbered[]): void {
      this.#buffer.unshift(...missed);
    }
    bind(socket: IoSocket): void {
      this.socket = socket;
      const buffered = this.#buffer;
      this.#buffer = [];
      for (const n of buffered) this.write(n);
    }
    close(): void {
      this.socket?.disconnect(true);
    }
  }

  class CoreAdapter extends Adapter {
    override persistSession(session: { sid: string; pid: string }): void {
      persisted.set(session.sid, session.pid);
    }
    // socket.io's types say a session is always found; its code (and this hook) may say null.
    override async restoreSession(pid: string, offset: string): ReturnType<Adapter['restoreSession']> {
      if (!/^\d+$/.test(offset)) return null as never;
      const link = new SocketLink();
      const resumed = await core.resume(pid, Number(offset), link);
      if (resumed === null) return null as never;
      pending.set(resumed.session.id, { link, secret: pid });
      // What it missed goes through the link's guarded write once bound (after socket.io's CONNECT),
      // not through socket.io, whose replay would throw inside its own async `_add` if any event
      // failed to encode.
      link.replay(resumed.missed);
      const session: RestoredSession = { sid: resumed.session.id, pid, rooms: [], data: {}, missedPackets: [] };
      return session;
    }
  }

  const io: IoServer = new Server(http, {
    // The transport's hard cap sits above --max-payload, so an oversized event is answered with
    // payload-too-large instead of a dropped connection; only a far larger frame closes it.
    maxHttpBufferSize: config.maxPayloadBytes * 4,
    cors: socketIoCors(config.allowedOrigins),
    // CORS does not cover WebSockets: the origin allowlist is enforced here for every transport.
    allowRequest: (req, callback) => callback(null, originAllowed(req.headers.origin, config.allowedOrigins)),
    adapter: CoreAdapter as unknown as typeof Adapter,
    // A transport that never completes socket.io's handshake is closed after this.
    connectTimeout: 5_000,
    // socket.io's parser; its decoder judges each event's size and keeps each signal's text (parser.ts).
    parser: { Encoder, Decoder: decoderFor(config.maxPayloadBytes) },
    ...(offsets
      ? { connectionStateRecovery: { maxDisconnectionDuration: config.resumeWindowMs, skipMiddlewares: false } }
      : {}),
    // socket.io-client 1.x/2.x, as the classic tutorial's page loads (see docs/protocol.md).
    allowEIO3: config.allowEio3,
    // Our own build of the client is served instead, with the tutorial-era API kept.
    serveClient: false,
  });
  serveClassicClient(http, log);

  // The outbound budget: what engine.io holds for each connection (socketio-queues.ts).
  const queues = new EngineQueues(core.budget);

  // Counted from the transport's first request to its close, whatever happens in between.
  const counted = new WeakMap<object, { over: boolean; address: string }>();
  io.engine.on('connection', (raw: EngineSocket) => {
    const address = clientAddress(raw.request, trust);
    const { over, release } = admission.open(address);
    counted.set(raw, { over, address });
    raw.once('close', release);
    queues.track(raw);
    // Over a limit: it gets a moment to send socket.io's CONNECT (a client does at once) and
    // hear too-many-connections; a transport that never does is closed then, not after the
    // handshake timeout — 500 bare transports from one address hold 50 places, not 500.
    if (over) setTimeout(() => raw.close(), OVER_LIMIT_GRACE_MS).unref();
  });

  const refuse = (code: ErrorCode, message: string, address: string) => {
    metrics.connectionRejected(code);
    log.info({ code, address }, 'connection refused');
    return Object.assign(new Error(message), { data: { code, message } });
  };
  const identities = new WeakMap<IoSocket, Identity | null>();
  /** Transports that asked for their session already. */
  const asked = new WeakSet<object>();
  io.use((socket, next) => {
    const entry = counted.get(socket.conn) ?? { over: false, address: 'unknown' };
    // One session per transport, as socket.io-client uses them: socket.io opens a socket for every
    // CONNECT that arrives before the first one's middleware is done, so CONNECTs pipelined on one
    // transport would each open a session, past the connection limits (which count transports).
    if (asked.has(socket.conn)) return next(refuse('bad-request', 'a connection carries one session', entry.address));
    asked.add(socket.conn);
    const auth = socket.handshake.auth as { token?: unknown } | undefined;
    admission
      .admit(entry.over, auth?.token ?? socket.handshake.query.token)
      .then((identity) => {
        // A resume is checked against the token it comes with now, not the one it first came with.
        const resumed = socket.recovered ? core.sessions.get(socket.id) : undefined;
        if (resumed && pending.has(socket.id) && !core.mayResume(resumed, identity)) {
          throw new Refusal('forbidden', "the token does not allow the resumed session's room");
        }
        return identity;
      })
      .then(
        (identity) => {
          identities.set(socket, identity);
          next();
        },
        (err: unknown) => {
          // A session already taken back goes back to being away.
          const taken = pending.get(socket.id);
          if (socket.recovered && taken) {
            pending.delete(socket.id);
            const session = core.sessions.get(socket.id);
            if (session) core.drop(session, true, taken.secret);
          }
          if (err instanceof Refusal) next(refuse(err.code, err.message, entry.address));
          else {
            log.error({ err }, 'token verification failed');
            next(refuse('internal', 'token verification failed', entry.address));
          }
          // Refused: its transport goes too, and its count with it — once socket.io has written the
          // refusal (it does so on the next tick, and only while the transport is open).
          setImmediate(() => socket.conn.close());
        },
      );
  });

  const answer = (socket: IoSocket, event: string, result: Result, ack: Ack | undefined, started: number) => {
    if (result.ok) {
      ack?.(result);
      // socket.io's client can resume only once it has an offset: right after a client's first
      // join ack comes one, so it can resume from then on, before anything else has reached it.
      const session = sessions.get(socket);
      if (event === 'join' && offsets && session && session.seq === 0) {
        session.push({ event: 'session', data: { id: session.id } }, Date.now());
      }
    } else {
      const { error } = result as { ok: false; error: ProtocolError };
      metrics.error(error.code);
      log.debug({ socket: socket.id, room: sessions.get(socket)?.room ?? null, event, code: error.code }, 'rejected');
      if (ack) ack(result);
      else socket.emit('error', { ...error, event });
    }
    metrics.observe(event, (performance.now() - started) / 1000);
  };

  // Shared by every socket (socket.io calls it with the socket as `this`): a connection costs a
  // listener slot, not a set of closures.
  function onEvent(this: IoSocket, event: unknown, ...args: unknown[]): void {
    const started = performance.now();
    const ack = typeof args[args.length - 1] === 'function' ? (args.pop() as Ack) : undefined;
    const name = typeof event === 'string' ? event : String(event).slice(0, 64);
    const session = sessions.get(this);
    if (!session) return;
    const payload = args[0];
    const result = core.handle(session, name, payload, name === 'signal' ? signalDataText(payload) : undefined);
    if (result instanceof Promise) void result.then((r) => answer(this, name, r, ack, started));
    else answer(this, name, result, ack, started);
  }
  function onDisconnect(this: IoSocket, reason: string): void {
    const session = sessions.get(this);
    // An Engine.IO v3 client (socket.io-client 1.x/2.x) cannot resume: keeping its place would only
    // keep its peers waiting for the window, looking at a frozen picture.
    const secret = this.conn.protocol === 3 ? null : (persisted.get(this.id) ?? null);
    persisted.delete(this.id);
    log.info({ socket: this.id, room: session?.room ?? null, reason }, 'disconnected');
    if (session) core.drop(session, secret !== null, secret);
  }

  io.on('connection', (socket) => {
    const taken = pending.get(socket.id);
    let session: Session | undefined;
    if (socket.recovered && taken) {
      pending.delete(socket.id);
      session = core.sessions.get(socket.id);
      taken.link.bind(socket);
      if (session) core.back(session);
    }
    if (!session) {
      const link = new SocketLink();
      link.bind(socket);
      const entry = counted.get(socket.conn);
      session = core.open(socket.id, link, identities.get(socket) ?? null, entry?.address ?? 'unknown');
      // An Engine.IO v3 client cannot resume (see onDisconnect): nothing sent to it is kept.
      if (socket.conn.protocol === 3) session.keeps = false;
    }
    sessions.set(socket, session);
    socket.onAny(onEvent as (...args: unknown[]) => void);
    socket.on('disconnect', onDisconnect as (reason: string) => void);
  });

  return {
    io,
    get size() {
      return io.engine.clientsCount;
    },
    drained() {
      const sockets = [...io.sockets.sockets.values()];
      let left = sockets.length;
      if (left === 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        for (const socket of sockets) socket.once('disconnect', () => --left === 0 && resolve());
      });
    },
    async close() {
      await io.close();
    },
  };
}
