/**
 * The PeerJS server protocol under `/peerjs`, on the same port as everything else: PeerJS apps point
 * their client here and gain the cluster, token auth, limits and metrics of socket.io clients.
 * The WebSocket is `ws` (what socket.io itself runs on), attached to our HTTP server's upgrades.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { ErrorCode } from '../../protocol/index.js';
import {
  MAX_NESTING_DEPTH,
  CLIENT_TYPES,
  PEERJS_DEFAULTS,
  PEERJS_ERRORS,
  PEERJS_PATH,
  PEERJS_SOCKET_PATH,
  peerjsId,
  peerjsMessage,
  type PeerjsRelay,
  type PeerjsServerMessage,
} from '../../protocol/index.js';
import { Refusal, clientAddress } from '../core/admission.js';
import { TokenBucket, describeIssues, tooDeep } from '../core/gate.js';
import type { EdgeDeps } from '../edges/deps.js';
import { originAllowed } from '../http.js';
import type { SignalKind } from '../metrics.js';
import { localClaims, redisClaims } from './claims.js';
import { WaitingRoom } from './waiting.js';

const KINDS: Record<string, SignalKind> = { OFFER: 'offer', ANSWER: 'answer', CANDIDATE: 'candidate' };
const KNOWN_TYPES = new Set<string>(CLIENT_TYPES);

/** One connected PeerJS client. */
interface Peer {
  id: string;
  token: string;
  ws: WebSocket;
  lastSeen: number;
  bucket: TokenBucket;
  /**
   * Its token's room claim in token mode (null when open): peers reach only peers of the same
   * claim, as socket.io clients reach only rooms their claim allows — tenants never meet.
   */
  scope: string | null;
}

export type PeerjsDeps = EdgeDeps;

export interface PeerjsEndpoint {
  /** Answers a request under `/peerjs` (ids, discovery); false when the path is not ours. */
  handleHttp(req: IncomingMessage, res: ServerResponse, url: URL): boolean;
  /** PeerJS clients connected to this node. */
  readonly size: number;
  /** Closes every PeerJS socket (1001, going away); their clients may reconnect elsewhere. */
  close(): void;
}

export function attachPeerjs(deps: PeerjsDeps): PeerjsEndpoint {
  const { http, core, admission, trust, config, log, metrics } = deps;
  const peers = new Map<string, Peer>();
  const cluster = core.cluster;
  /** Ids connected on other nodes, and where: every node tells every other when one opens or closes. */
  const remote = new Map<string, string>();
  const claims = cluster ? redisClaims(cluster.store, core.node, () => peers.values()) : localClaims;
  const waiting = new WaitingRoom(config.peerjsExpireMs, (src, dst) => {
    const sender = peers.get(src);
    if (sender) send(sender.ws, { type: 'EXPIRE', src: dst, dst: src });
  });
  // Our own limits apply to the frames; only a frame far beyond them closes the socket.
  const wss = new WebSocketServer({ noServer: true, maxPayload: config.maxPayloadBytes * 4 });

  /** One write; a peer that does not read what it is sent is closed before it holds more (core/budget.ts). */
  const write = (ws: WebSocket, text: string): void => {
    if (ws.readyState !== WebSocket.OPEN) return;
    ws.send(text);
    if (core.budget.over(ws.bufferedAmount)) core.budget.slow('peerjs', ws.bufferedAmount, ws);
  };
  const send = (ws: WebSocket, message: PeerjsServerMessage) => write(ws, JSON.stringify(message));
  core.budget.measure(() => {
    let bytes = 0;
    for (const peer of peers.values()) bytes += peer.ws.bufferedAmount;
    return bytes;
  });

  // ---- relay: the hot path. A Map lookup, then one send (here) or one XADD to the node that holds it.

  /** The scope of each message waiting for its peer, for when it is relayed. */
  const scopes = new WeakMap<PeerjsRelay, string | null>();
  /** The sender hears EXPIRE, as for an id connected nowhere: a peer of another scope is not there for it. */
  const expire = (message: PeerjsRelay): void => {
    const sender = peers.get(message.src);
    if (sender) send(sender.ws, { type: 'EXPIRE', src: message.dst, dst: message.src });
  };

  const deliver = (target: Peer, message: PeerjsRelay): void => {
    if (target.ws.readyState !== WebSocket.OPEN) {
      // Gone without its close seen yet: tell the sender, as PeerJS server does.
      if (message.type !== 'LEAVE') relay({ type: 'LEAVE', src: message.dst, dst: message.src });
      return;
    }
    write(target.ws, JSON.stringify(message));
  };

  /** `scope`: the sender's (`Peer.scope`), for a client's message; undefined for the server's own. */
  const relay = (message: PeerjsRelay, scope?: string | null): void => {
    const kind = KINDS[message.type];
    const target = peers.get(message.dst);
    if (target) {
      if (scope !== undefined && target.scope !== scope) return expire(message);
      deliver(target, message);
    } else if (cluster && remote.has(message.dst)) {
      const fields: Record<string, string> = { t: 'pj', m: JSON.stringify(message) };
      if (scope !== undefined) fields.s = scope ?? '';
      cluster.send(remote.get(message.dst)!, fields);
    } else {
      // Not connected anywhere: important messages wait for it, the rest are dropped (as in PeerJS).
      if (message.type === 'LEAVE' || message.type === 'EXPIRE') return;
      if (!waiting.add(message)) return expire(message);
      if (scope !== undefined) scopes.set(message, scope);
      return;
    }
    if (kind) metrics.signal(kind, 'peerjs');
  };

  /** An id just connected somewhere: what waited for it here goes to it. */
  const flush = (id: string): void => {
    for (const message of waiting.take(id)) relay(message, scopes.get(message));
  };

  /** Tells every other node that `ids` opened (or closed) here. */
  const tell = (t: 'pjo' | 'pjc', ids: string[], nodes: Iterable<string> = cluster?.live ?? []) => {
    if (!cluster || ids.length === 0) return;
    for (const node of nodes) if (node !== core.node) cluster.send(node, { t, node: core.node, ids: ids.join(' ') });
  };
  if (cluster) {
    core.onMessage('pj', (f) => {
      const message = JSON.parse(f.m) as PeerjsRelay;
      const target = peers.get(message.dst);
      // Another scope's peer is not there for this sender (see `Peer.scope`).
      if (target && f.s !== undefined && (target.scope ?? '') !== f.s) return;
      try {
        // Gone from here meanwhile: the sender hears LEAVE, as on one node.
        if (target) deliver(target, message);
        else if (message.type !== 'LEAVE') relay({ type: 'LEAVE', src: message.dst, dst: message.src });
      } catch (err) {
        metrics.unexpected('encode');
        log.error({ peerjs: message.dst, err }, 'peerjs message from another node could not be delivered');
      }
    });
    core.onMessage('pjo', (f) => {
      for (const id of f.ids.split(' ')) {
        remote.set(id, f.node);
        const mine = peers.get(id);
        // Its token took it back on another node (a reconnect that landed elsewhere): ours is stale.
        if (mine) {
          peers.delete(id);
          mine.ws.close(1000, 'reconnected elsewhere');
        }
        flush(id);
      }
    });
    core.onMessage('pjc', (f) => {
      for (const id of f.ids.split(' ')) if (remote.get(id) === f.node) remote.delete(id);
    });
    // A node that appears (or comes back) learns our ids; one that died takes its ids along.
    core.onNode('seen', (node) => tell('pjo', [...peers.keys()], [node]));
    core.onNode('reassert', () => tell('pjo', [...peers.keys()]));
    core.onNode('gone', (node) => {
      for (const [id, at] of remote) if (at === node) remote.delete(id);
    });
  }

  // ---- errors: PeerJS's own answer (`ERROR` with `payload.msg`), plus our stable code.

  const fail = (peer: Peer, code: ErrorCode, msg: string): void => {
    metrics.error(code, 'peerjs');
    log.debug({ peerjs: peer.id, code }, 'rejected');
    send(peer.ws, { type: 'ERROR', payload: { msg, code } });
  };

  const onMessage = (peer: Peer, data: RawData, isBinary: boolean): void => {
    peer.lastSeen = Date.now();
    if (!peer.bucket.take()) return fail(peer, 'rate-limited', `more than ${config.rateLimit} messages/s`);
    const bytes = data as Buffer; // ws hands text and binary frames alike as one Buffer by default
    if (bytes.length > config.maxPayloadBytes) {
      return fail(peer, 'payload-too-large', `${bytes.length} bytes > ${config.maxPayloadBytes}`);
    }
    if (isBinary) return fail(peer, 'bad-request', 'messages are JSON text frames');
    let value: unknown;
    try {
      value = JSON.parse(bytes.toString());
    } catch {
      return fail(peer, 'bad-request', 'the message is not JSON');
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return fail(peer, 'bad-request', 'a message is a JSON object with a type');
    }
    // Before the schema, as on every edge: nothing this deep may reach JSON.stringify (core/gate.ts).
    if (tooDeep(value)) return fail(peer, 'bad-request', `the message nests deeper than ${MAX_NESTING_DEPTH} levels`);
    const type: unknown = (value as { type?: unknown }).type;
    if (typeof type === 'string' && !KNOWN_TYPES.has(type)) {
      return fail(peer, 'unknown-event', `unknown message type '${type.slice(0, 64)}'`);
    }
    const parsed = peerjsMessage.safeParse(value);
    if (!parsed.success) return fail(peer, 'bad-request', describeIssues(parsed.error));
    const message = parsed.data;
    if (message.type === 'HEARTBEAT') return;
    if (message.dst === undefined) {
      // PeerJS server's reading of a LEAVE to no one: the peer is leaving the server.
      if (message.type === 'LEAVE') return peer.ws.close(1000, 'left');
      return fail(peer, 'bad-request', 'dst: required');
    }
    try {
      relay({ type: message.type, src: peer.id, dst: message.dst, payload: message.payload }, peer.scope);
    } catch (err) {
      // An encode of the sender's payload failed (the depth check should have refused it): this
      // message is refused, and nothing else happens.
      metrics.unexpected('encode');
      log.error({ peerjs: peer.id, err }, 'peerjs message could not be relayed');
      fail(peer, 'bad-request', 'the message could not be encoded');
    }
  };

  // ---- connections: PeerJS's checks in PeerJS's order, then ours (draining, limits, token).

  const refuse = (ws: WebSocket, code: ErrorCode, message: PeerjsServerMessage): void => {
    metrics.connectionRejected(code);
    log.info({ code }, 'peerjs connection refused');
    send(ws, message);
    ws.close();
  };
  const error = (msg: string, code: ErrorCode): PeerjsServerMessage => ({ type: 'ERROR', payload: { msg, code } });

  const admit = async (ws: WebSocket, req: IncomingMessage, url: URL): Promise<void> => {
    ws.on('error', (err) => log.debug({ err: err.message }, 'peerjs socket error'));
    const id = url.searchParams.get('id');
    const token = url.searchParams.get('token');
    const key = url.searchParams.get('key');
    if (!id || !token || !key)
      return refuse(ws, 'bad-request', error(PEERJS_ERRORS.INVALID_WS_PARAMETERS, 'bad-request'));
    if (key !== config.peerjsKey) {
      return refuse(ws, 'unauthorized', { type: 'INVALID-KEY', payload: { msg: PEERJS_ERRORS.INVALID_KEY } });
    }
    const validId = peerjsId.safeParse(id);
    if (!validId.success)
      return refuse(ws, 'bad-request', error(`Invalid id: ${validId.error.issues[0].message}`, 'bad-request'));
    // A node over its budget takes no one new (core/budget.ts): opening is a PeerJS client's join.
    const overloaded = core.budget.problem;
    if (overloaded !== null) return refuse(ws, 'overloaded', error(overloaded, 'overloaded'));
    // Counted from the upgrade to the socket's close, whatever happens in between.
    const { over, release } = admission.open(clientAddress(req, trust));
    ws.once('close', release);
    let scope: string | null;
    try {
      // The PeerJS `token` parameter carries the JWT; its `sub` is the id the peer may take.
      const identity = await admission.admit(over, token);
      scope = identity?.room ?? null;
      if (identity && identity.sub !== id) {
        return refuse(
          ws,
          'forbidden',
          error(`${PEERJS_ERRORS.INVALID_TOKEN}: the token is for another id`, 'forbidden'),
        );
      }
    } catch (err) {
      if (!(err instanceof Refusal)) throw err;
      if (err.code === 'too-many-connections') {
        return refuse(ws, err.code, error(PEERJS_ERRORS.CONNECTION_LIMIT_EXCEED, 'too-many-connections'));
      }
      const msg = err.code === 'shutting-down' ? err.message : `${PEERJS_ERRORS.INVALID_TOKEN}: ${err.message}`;
      return refuse(ws, err.code, error(msg, err.code));
    }
    const held = peers.get(id);
    if ((held && held.token !== token) || !(await claims.claim(id, token))) {
      return refuse(ws, 'id-taken', { type: 'ID-TAKEN', payload: { msg: PEERJS_ERRORS.ID_TAKEN } });
    }
    if (ws.readyState !== WebSocket.OPEN) {
      // Gone while we checked: give back what we took, unless an older socket of the same token holds it.
      if (!peers.has(id)) claims.release(id, token);
      return;
    }
    const stale = peers.get(id);
    const peer: Peer = {
      id,
      token,
      ws,
      lastSeen: Date.now(),
      bucket: new TokenBucket(config.rateLimit, config.rateBurst),
      scope,
    };
    peers.set(id, peer);
    // The same token taking its id back: the old socket is done (its close must not free the id).
    stale?.ws.close(1000, 'reconnected');
    ws.on('message', (data, isBinary) => onMessage(peer, data, isBinary));
    ws.on('close', () => {
      if (peers.get(id) !== peer) return;
      peers.delete(id);
      claims.release(id, token);
      tell('pjc', [id]);
      log.debug({ peerjs: id }, 'peerjs peer left');
    });
    send(ws, { type: 'OPEN' });
    tell('pjo', [id]);
    log.debug({ peerjs: id }, 'peerjs peer open');
    flush(id);
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== PEERJS_SOCKET_PATH) return; // socket.io's, or nobody's
    if (!originAllowed(req.headers.origin, config.allowedOrigins)) {
      socket.end('HTTP/1.1 403 Forbidden\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      admit(ws, req, url).catch((err: unknown) => {
        log.error({ err }, 'peerjs connection failed');
        if (ws.readyState === WebSocket.OPEN) refuse(ws, 'internal', error('the server failed', 'internal'));
      });
    });
  };
  http.on('upgrade', onUpgrade);

  // A peer silent past the alive timeout (its client sends HEARTBEAT every 5 s) is gone.
  const alive = setInterval(() => {
    const deadline = Date.now() - PEERJS_DEFAULTS.aliveTimeoutMs;
    for (const peer of peers.values()) if (peer.lastSeen < deadline) peer.ws.terminate();
  }, 5_000);
  alive.unref();

  const handleHttp = (req: IncomingMessage, res: ServerResponse, url: URL): boolean => {
    const parts = url.pathname.slice(PEERJS_PATH.length).split('/').filter(Boolean);
    if (url.pathname !== PEERJS_PATH && !url.pathname.startsWith(`${PEERJS_PATH}/`)) return false;
    const text = (status: number, body: string, type = 'text/html; charset=utf-8') =>
      res.writeHead(status, { 'content-type': type }).end(body);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      text(405, 'Method Not Allowed', 'text/plain');
      return true;
    }
    if (parts.length === 0) {
      text(
        200,
        JSON.stringify({ name: 'tsunagu', description: 'PeerJS-compatible endpoint of tsunagu' }),
        'application/json',
      );
      return true;
    }
    // Like PeerJS server, any key may ask for an id; the key is checked when the socket opens.
    if (parts.length === 2 && parts[1] === 'id') {
      let id = randomUUID();
      while (peers.has(id) || remote.has(id)) id = randomUUID();
      text(200, id);
      return true;
    }
    if (parts.length === 2 && parts[1] === 'peers') {
      // Discovery needs the key (as PeerJS server checks it), and in token mode a token: it lists
      // the peers of the token's room claim on this node, and no one else's.
      const token = url.searchParams.get('token');
      if (!config.peerjsDiscovery || parts[0] !== config.peerjsKey || (config.auth === 'token' && !token)) {
        text(401, 'Unauthorized', 'text/plain');
        return true;
      }
      if (config.auth !== 'token') {
        text(200, JSON.stringify([...peers.keys(), ...remote.keys()]), 'application/json; charset=utf-8');
        return true;
      }
      admission.admit(false, token).then(
        (identity) => {
          const ids = [...peers.values()].filter((p) => p.scope === identity?.room).map((p) => p.id);
          text(200, JSON.stringify(ids), 'application/json; charset=utf-8');
        },
        () => text(401, 'Unauthorized', 'text/plain'),
      );
      return true;
    }
    text(404, 'Not Found', 'text/plain');
    return true;
  };

  return {
    handleHttp,
    get size() {
      return peers.size;
    },
    close() {
      http.off('upgrade', onUpgrade);
      clearInterval(alive);
      waiting.close();
      claims.close();
      for (const client of wss.clients) client.close(1001, 'server closing');
      wss.close();
    },
  };
}
