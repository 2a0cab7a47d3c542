/**
 * The native WebSocket edge: protocol v1 at `/v1` on plain `ws` (src/protocol/v1.ts), translated to
 * the core — the same events, answers, errors, limits, auth, resume and cluster as the socket.io
 * edge, with nothing in between: a frame is parsed once, handed to the core, and what the core
 * writes to a session is one `send` of one string.
 *
 * Resume: each connection gets a secret, given to the client in its join ack (`resume`). A client
 * whose link dropped comes back with `?session=<id>&seq=<last seen>&resume=<secret>`, and the core
 * hands back the session with what it missed — on this node or from another one.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import {
  MAX_NESTING_DEPTH,
  type ErrorCode,
  type Identity,
  type ProtocolError,
  type Result,
} from '../../protocol/index.js';
import {
  V1_CLOSE,
  V1_PATH,
  V1_PING_INTERVAL_MS,
  V1_PING_TIMEOUT_MS,
  V1_SUBPROTOCOL,
  V1_TOKEN_SUBPROTOCOL_PREFIX,
  type V1Welcome,
} from '../../protocol/index.js';
import { Refusal, clientAddress } from '../core/admission.js';
import { MalformedFrame, OK, OversizePayload, TooDeepPayload, tooDeep } from '../core/gate.js';
import type { Link, Numbered, Session } from '../core/index.js';
import { originAllowed } from '../http.js';
import type { EdgeDeps } from './deps.js';
import { decodeFrame, encodeAnswer, encodeEvent, encodeUnnumbered } from './websocket-frames.js';

export interface WebSocketEdge {
  /** Clients connected through `/v1`. */
  readonly size: number;
  /** Resolves once every client has gone (a drain's end). */
  drained(): Promise<void>;
  /** Closes every connection (1001, going away: their clients may resume elsewhere). */
  close(): Promise<void>;
}

/** How often the keep-alive looks at every connection: a dead link is noticed within interval + timeout + this. */
const SWEEP_MS = 1_000;
/** Long enough that no one guesses it. */
const SECRET_BYTES = 18;
/** Session ids look like socket.io's (20 characters), so every edge's ids fit the same schema. */
const ID_BYTES = 15;

/** One connection, and the keep-alive's view of it. */
interface Connection {
  ws: WebSocket;
  session: Session | null;
  /** The secret that takes the session back after a drop. */
  secret: string;
  /** When the last ping went out; 0 once it was answered. */
  pingSentAt: number;
  lastPingAt: number;
}

/** The token: `?token=`, or a `tsunagu.token.<jwt>` subprotocol. */
function tokenOf(req: IncomingMessage, url: URL): string | null {
  const inUrl = url.searchParams.get('token');
  if (inUrl !== null) return inUrl;
  const offered = req.headers['sec-websocket-protocol'];
  if (typeof offered !== 'string') return null;
  for (const p of offered.split(',')) {
    const name = p.trim();
    if (name.startsWith(V1_TOKEN_SUBPROTOCOL_PREFIX)) return name.slice(V1_TOKEN_SUBPROTOCOL_PREFIX.length);
  }
  return null;
}

/** The resume a client asks for, if it asks for one well-formed. */
function resumeOf(url: URL): { id: string; seen: number; secret: string } | null {
  const id = url.searchParams.get('session');
  const seq = url.searchParams.get('seq');
  const secret = url.searchParams.get('resume');
  if (id === null || seq === null || secret === null || !/^\d{1,15}$/.test(seq)) return null;
  return { id, seen: Number(seq), secret };
}

export function attachWebSocket(deps: EdgeDeps): WebSocketEdge {
  const { http, core, admission, trust, config, log, metrics } = deps;
  const connections = new Set<Connection>();
  let waiters: Array<() => void> = [];
  // Our own limits apply to the frames; only a frame far beyond them closes the socket.
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: config.maxPayloadBytes * 4,
    handleProtocols: (offered) => (offered.has(V1_SUBPROTOCOL) ? V1_SUBPROTOCOL : false),
  });

  /** Writes the core's events to one connection; holds them until the welcome has gone out. */
  class WebSocketLink implements Link {
    readonly edge = 'v1';
    #held: Numbered[] | null = [];
    constructor(readonly ws: WebSocket) {}
    write(n: Numbered): void {
      if (this.#held !== null) this.#held.push(n);
      else send(this.ws, encoded(this.ws, n));
    }
    /** The welcome (and a resume's missed events) are out: what came meanwhile follows. */
    open(): void {
      const held = this.#held ?? [];
      this.#held = null;
      for (const n of held) this.write(n);
    }
    close(reason: string): void {
      this.ws.close(reason === 'removed' ? V1_CLOSE.removed : 1000, reason);
    }
  }

  const send = (ws: WebSocket, frame: string | null): void => {
    if (frame !== null && ws.readyState === WebSocket.OPEN) {
      ws.send(frame);
      // A client that does not read what it is sent is closed before it holds more (core/budget.ts).
      if (core.budget.over(ws.bufferedAmount)) core.budget.slow('v1', ws.bufferedAmount, ws);
    }
  };

  /**
   * The frame of one event, or null: the decoders refuse what cannot be encoded (tooDeep); should
   * a value get through anyway, this one event is lost for this one client, never the process.
   */
  const encoded = (ws: WebSocket, n: Numbered): string | null => {
    try {
      return encodeEvent(n);
    } catch (err) {
      metrics.unexpected('encode');
      log.error({ event: n.event, err }, 'event could not be encoded');
      return null;
    }
  };

  const refuse = (ws: WebSocket, code: ErrorCode, message: string, address: string): void => {
    // Reading again, or the client's answer to the close would go unread for ws's close timeout.
    ws.resume();
    metrics.connectionRejected(code);
    log.info({ code, address }, 'connection refused');
    send(ws, encodeUnnumbered('error', { code, message, event: 'connect' }));
    ws.close(V1_CLOSE.refused, code);
  };

  // ---- requests: the hot path. One parse, the core, one send.

  const answer = (c: Connection, event: string, ack: number | undefined, result: Result, started: number) => {
    if (result.ok) {
      if (ack !== undefined) {
        // The join ack carries the resume secret, for the client to come back with after a drop.
        const answered = event === 'join' && config.resumeWindowMs > 0 ? { ...result, resume: c.secret } : result;
        send(c.ws, encodeAnswer(ack, answered));
      }
    } else {
      const { error } = result as { ok: false; error: ProtocolError };
      metrics.error(error.code, 'v1');
      log.debug({ socket: c.session?.id, room: c.session?.room ?? null, event, code: error.code }, 'rejected');
      if (ack !== undefined) send(c.ws, encodeAnswer(ack, result));
      else send(c.ws, encodeUnnumbered('error', { ...error, event }));
    }
    metrics.observe(event, (performance.now() - started) / 1000);
  };

  const onMessage = (c: Connection, data: RawData, isBinary: boolean): void => {
    const started = performance.now();
    const session = c.session;
    if (session === null) return;
    const bytes = (data as Buffer).length;
    const decoded = isBinary
      ? { problem: 'frames are JSON text', ack: undefined }
      : decodeFrame((data as Buffer).toString());
    if ('problem' in decoded) {
      // Answered by the core's gate (after the rate limit, like any frame): `bad-request`.
      const result = core.handle(session, '', new MalformedFrame(decoded.problem)) as Result;
      return answer(c, '', decoded.ack, result, started);
    }
    const { event, ack } = decoded;
    // Keep-alive for browsers, which cannot see WebSocket pings: answered here, by the transport.
    if (event === 'ping') return answer(c, event, ack, OK, started);
    // Judged here, before anything could recurse into it (encoders, the schema, a replay). As on
    // socket.io, whose packet array is level 1, a payload may nest one level less than the limit.
    const payload =
      bytes > config.maxPayloadBytes
        ? new OversizePayload(bytes)
        : tooDeep(decoded.data, MAX_NESTING_DEPTH - 1)
          ? new TooDeepPayload()
          : decoded.data;
    const result = core.handle(session, event, payload, decoded.text);
    if (result instanceof Promise) void result.then((r) => answer(c, event, ack, r, started));
    else answer(c, event, ack, result, started);
  };

  // ---- connections: counted from the upgrade, admitted, then a session (new or taken back).

  const welcome = (c: Connection, session: Session, resumed: boolean): void => {
    const data: V1Welcome = { id: session.id, resumed, pingIntervalMs: V1_PING_INTERVAL_MS };
    send(c.ws, encodeUnnumbered('welcome', data));
  };

  const start = async (c: Connection, url: URL, identity: Identity | null, address: string): Promise<void> => {
    const asked = config.resumeWindowMs > 0 ? resumeOf(url) : null;
    if (asked !== null) {
      const link = new WebSocketLink(c.ws);
      const resumed = await core.resume(asked.secret, asked.seen, link);
      if (resumed !== null) {
        const { session, missed } = resumed;
        if (c.ws.readyState !== WebSocket.OPEN) {
          // Gone again while the session was handed over: it is away once more, with the same secret.
          core.drop(session, true, asked.secret);
          return;
        }
        // A resume is checked against the token it comes with now, not the one it first came with.
        if (!core.mayResume(session, identity)) {
          core.drop(session, true, asked.secret);
          return refuse(c.ws, 'forbidden', "the token does not allow the resumed session's room", address);
        }
        c.session = session;
        c.secret = asked.secret;
        welcome(c, session, true);
        for (const n of missed) send(c.ws, encoded(c.ws, n));
        link.open();
        core.back(session);
        return;
      }
    }
    if (c.ws.readyState !== WebSocket.OPEN) return;
    const link = new WebSocketLink(c.ws);
    const session = core.open(randomBytes(ID_BYTES).toString('base64url'), link, identity, address);
    c.session = session;
    welcome(c, session, false);
    link.open();
  };

  const onClose = (c: Connection, code: number): void => {
    connections.delete(c);
    if (connections.size === 0 && waiters.length > 0) {
      for (const resolve of waiters) resolve();
      waiters = [];
    }
    const session = c.session;
    if (session === null) return;
    log.info({ socket: session.id, room: session.room, code }, 'disconnected');
    // A client that said goodbye (1000) is gone; any other end of the link may be resumed.
    core.drop(session, code !== 1000, c.secret);
  };

  const accept = async (ws: WebSocket, req: IncomingMessage, url: URL, over: boolean, address: string) => {
    ws.on('error', (err) => log.debug({ err: err.message }, 'websocket error'));
    const now = Date.now();
    const c: Connection = {
      ws,
      session: null,
      secret: randomBytes(SECRET_BYTES).toString('base64url'),
      pingSentAt: 0,
      lastPingAt: now,
    };
    connections.add(c);
    ws.on('close', (code) => onClose(c, code));
    ws.on('pong', () => (c.pingSentAt = 0));
    // Frames that come before the session exists wait for it (in ws's own queue: not read yet).
    ws.pause();
    let identity: Identity | null;
    try {
      identity = await admission.admit(over, tokenOf(req, url));
    } catch (err) {
      if (err instanceof Refusal) return refuse(ws, err.code, err.message, address);
      log.error({ err }, 'token verification failed');
      return refuse(ws, 'internal', 'token verification failed', address);
    }
    await start(c, url, identity, address);
    ws.on('message', (data, isBinary) => onMessage(c, data, isBinary));
    ws.resume();
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== V1_PATH) return; // socket.io's, PeerJS's, or nobody's
    if (!originAllowed(req.headers.origin, config.allowedOrigins)) {
      socket.end('HTTP/1.1 403 Forbidden\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    // Counted from the upgrade to the socket's close, whatever happens in between.
    const address = clientAddress(req, trust);
    const { over, release } = admission.open(address);
    socket.once('close', release);
    wss.handleUpgrade(req, socket, head, (ws) => {
      accept(ws, req, url, over, address).catch((err: unknown) => {
        log.error({ err }, 'websocket connection failed');
        refuse(ws, 'internal', 'the server failed', address);
      });
    });
  };
  http.on('upgrade', onUpgrade);

  // Keep-alive: a ping every interval; a link that has not answered one within the timeout is dead.
  const sweep = setInterval(() => {
    const now = Date.now();
    for (const c of connections) {
      if (c.pingSentAt !== 0) {
        if (now - c.pingSentAt > V1_PING_TIMEOUT_MS) c.ws.terminate();
      } else if (now - c.lastPingAt >= V1_PING_INTERVAL_MS && c.ws.readyState === WebSocket.OPEN) {
        c.pingSentAt = c.lastPingAt = now;
        c.ws.ping();
      }
    }
  }, SWEEP_MS);
  sweep.unref();
  core.budget.measure(() => {
    let bytes = 0;
    for (const c of connections) bytes += c.ws.bufferedAmount;
    return bytes;
  });

  return {
    get size() {
      return connections.size;
    },
    drained() {
      if (connections.size === 0) return Promise.resolve();
      return new Promise((resolve) => waiters.push(resolve));
    },
    async close() {
      http.off('upgrade', onUpgrade);
      clearInterval(sweep);
      for (const c of connections) c.ws.close(1001, 'server closing');
      // A client that does not answer the close handshake within a moment is cut.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const cut = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          for (const c of connections) c.ws.terminate();
          resolve();
        }, 1_000);
      });
      await Promise.race([this.drained(), cut]);
      clearTimeout(timer);
      await this.drained();
      wss.close();
    },
  };
}
