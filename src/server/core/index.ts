/**
 * The core: sessions, room membership (connected and away), routing between nodes, and the gate.
 * Edges (socket.io, PeerJS) only translate frames to and from it, so every rule lives here once and
 * holds the same on one node and in a cluster.
 *
 * A room's members are its connected and away sessions: the one source for capacity, the join ack,
 * signal routing and the presence events. Each node keeps a view of the rooms it has members in
 * (every member, wherever it is); in a cluster the view is filled from Redis at join and kept in step
 * by the other nodes' messages, so relaying a signal asks no one anything.
 */
import { randomUUID } from 'node:crypto';
import {
  protocolError,
  schemas,
  type Identity,
  type JoinResult,
  type PeerInfo,
  type Result,
  type WebhookEventName,
} from '../../protocol/index.js';
import { roomAllowed } from '../auth.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { signalKind, type Metrics } from '../metrics.js';
import { iceServersFor } from '../turn.js';
import { Budget } from './budget.js';
import { Cluster, type Member } from './cluster.js';
import { MalformedFrame, OK, OversizePayload, TokenBucket, TooDeepPayload, parse } from './gate.js';
import { KeptBudget, Session, isLobby, lobbyOf, type Link, type Numbered, type Outbound } from './session.js';
import type { Store } from './redis.js';

export { Session, LOBBY, isLobby, type Link, type Numbered, type Outbound } from './session.js';

export type LeaveReason = 'left' | 'disconnected' | 'removed';

/** Something that happened in a room, told where it happened (one node) to `onRoom` listeners: the webhooks. */
export interface RoomEvent {
  kind: WebhookEventName;
  room: string;
  /** When it happened (ms since the epoch). */
  at: number;
  member?: Member;
  reason?: LeaveReason;
}
type Ack = Result<object>;

/** Events a client may send, and nothing else. */
export const CLIENT_EVENTS = new Set(['join', 'leave', 'signal', 'message']);

/** Signal data carried between nodes: JSON, with binary parts as base64 (JSON has no bytes). */
const BINARY = '$tsunagu.bin';
const toWire = (value: unknown): string =>
  JSON.stringify(value, function (this: unknown, _key, v: unknown) {
    const raw = (this as Record<string, unknown>)[_key];
    if (raw instanceof Uint8Array) return { [BINARY]: Buffer.from(raw).toString('base64') };
    if (raw instanceof ArrayBuffer) return { [BINARY]: Buffer.from(raw).toString('base64') };
    return v;
  });
const fromWire = (text: string): unknown =>
  JSON.parse(text, (_key, v: unknown) =>
    typeof v === 'object' && v !== null && BINARY in v
      ? Buffer.from((v as Record<string, string>)[BINARY], 'base64')
      : v,
  );

export interface CoreOptions {
  config: Config;
  log: Logger;
  metrics: Metrics;
  /** Redis, for a cluster; null for one node. */
  store: Store | null;
  /** How long a dead link can go unnoticed (ms): events written longer ago are let go. */
  unnoticedMs: number;
}

/** What `resume` hands back: the session, and what it missed, in order. */
export interface Resumed {
  session: Session;
  missed: Numbered[];
}

export class Core {
  readonly node = randomUUID();
  readonly config: Config;
  /** Sessions of this node, connected or away, by id. */
  readonly sessions = new Map<string, Session>();
  /** This node's sessions in each group (a room, or the lobby). */
  readonly #local = new Map<string, Set<Session>>();
  /** Every member of each room this node has a member in (cluster-wide). */
  readonly #views = new Map<string, Map<string, Member>>();
  /** Away sessions, by the secret that takes them back. */
  readonly #bySecret = new Map<string, Session>();
  /** Sessions that moved to another node on resume: where to forward what still comes here. */
  readonly #moved = new Map<string, string>();
  /** Resumes through this node waiting for the session's node to hand it over. */
  readonly #takes = new Map<string, (snapshot: string) => void>();
  readonly #buckets = new WeakMap<Session, TokenBucket>();
  /** What all sessions of one client address may keep together (session.ts). */
  readonly #budget = new KeptBudget();
  readonly #log: Logger;
  readonly #metrics: Metrics;
  readonly cluster: Cluster | null;
  /** Outbound budgets: edges measure against it per connection; past the node's, joins are refused. */
  readonly budget: Budget;
  /** A coarse clock, enough to tell what was written long ago. */
  #now = Date.now();
  #timers: ReturnType<typeof setInterval>[] = [];
  /** Handlers for inbox messages other modules register (the PeerJS edge's). */
  readonly #extra = new Map<string, (fields: Record<string, string>) => void>();
  readonly #roomListeners: Array<(event: RoomEvent) => void> = [];

  constructor(private readonly options: CoreOptions) {
    this.config = options.config;
    this.#log = options.log;
    this.#metrics = options.metrics;
    this.budget = new Budget(options.config, options.log, options.metrics);
    this.cluster = options.store
      ? new Cluster(options.store, this.node, options.log, {
          message: (fields) => this.#receive(fields),
          nodeGone: (node) => this.#nodeGone(node),
          nodeSeen: (node) => this.#nodeListeners.seen.forEach((l) => l(node)),
          reassert: () => this.#reassert(),
          held: () => this.#held(),
        })
      : null;
  }

  async start(): Promise<void> {
    this.#timers.push(setInterval(() => (this.#now = Date.now()), 1_000));
    const horizon = Math.min(this.options.unnoticedMs, this.config.resumeWindowMs);
    if (horizon > 0) this.#timers.push(setInterval(() => this.sweep(), Math.max(1_000, horizon / 4)));
    for (const t of this.#timers) t.unref();
    this.budget.start();
    await this.cluster?.start();
  }

  /**
   * Lets go of kept events no resume may need: older than the resume window (whoever sent them, a
   * client's data is never held longer than that), and on a connected link older than a dead link
   * can go unnoticed (by then they were received). Runs every quarter of that; `now` for specs.
   */
  sweep(now = this.#now): void {
    const window = this.config.resumeWindowMs;
    const connected = now - Math.min(this.options.unnoticedMs, window);
    for (const s of this.sessions.values()) s.forget(s.link !== null ? connected : now - window);
  }

  /** Rooms with a member on this node. */
  get roomCount(): number {
    return this.#views.size;
  }

  /** Members in a room on this node (connected or away). */
  get memberCount(): number {
    let n = 0;
    for (const [group, sessions] of this.#local) if (!isLobby(group)) n += sessions.size;
    return n;
  }

  readonly #nodeListeners = {
    seen: [] as Array<(node: string) => void>,
    gone: [] as Array<(node: string) => void>,
    reassert: [] as Array<(node: string) => void>,
  };

  /** Called when a node appears (`seen`), dies (`gone`), or this node reasserts itself (`reassert`). */
  onNode(kind: 'seen' | 'gone' | 'reassert', listener: (node: string) => void): void {
    this.#nodeListeners[kind].push(listener);
  }

  /** A handler for inbox messages of type `t` (for edges with routing of their own). */
  onMessage(t: string, handler: (fields: Record<string, string>) => void): void {
    this.#extra.set(t, handler);
  }

  /**
   * Called for what happens in rooms, on the node where it happens (a member's node; for a room, the
   * node whose join opened it or whose leave emptied it, as Redis answered): each event once in a cluster.
   */
  onRoom(listener: (event: RoomEvent) => void): void {
    this.#roomListeners.push(listener);
  }

  #told(kind: WebhookEventName, room: string, member?: Member, reason?: LeaveReason): void {
    if (this.#roomListeners.length === 0) return;
    const event: RoomEvent = {
      kind,
      room,
      at: Date.now(),
      ...(member ? { member } : {}),
      ...(reason ? { reason } : {}),
    };
    for (const l of this.#roomListeners) l(event);
  }

  // ---- sessions

  /** A client connected through an edge: a new session, in the lobby. */
  open(id: string, link: Link, identity: Identity | null, address: string): Session {
    const session = new Session(id, link, identity, address, this.#budget);
    // Without a resume window nothing a client is sent is kept (its edge may say the same).
    session.keeps = this.config.resumeWindowMs > 0;
    this.sessions.set(id, session);
    this.#enter(session, session.lobby);
    this.#buckets.set(session, new TokenBucket(this.config.rateLimit, this.config.rateBurst));
    return session;
  }

  /** The session's link dropped. `resumable`: the edge says the client may come back with it. */
  drop(session: Session, resumable: boolean, secret: string | null): void {
    if (session.ended || session.link === null) return;
    session.link = null;
    this.#log.info({ socket: session.id, room: session.room }, 'dropped');
    if (!resumable || this.config.resumeWindowMs === 0 || secret === null) return this.end(session, 'disconnected');
    session.secret = secret;
    this.#bySecret.set(secret, session);
    this.cluster?.placeSecret(secret, this.config.resumeWindowMs);
    session.awayTimer = setTimeout(() => {
      this.#log.info({ socket: session.id, room: session.room }, 'resume window over');
      this.end(session, 'disconnected');
    }, this.config.resumeWindowMs);
    session.awayTimer.unref();
    if (session.room === null) {
      // A lobby client is announced at once, as the classic relay always did.
      this.#toGroup(session.lobby, { event: 'user disconnected', data: undefined }, session.id);
      return;
    }
    this.#changeMember(session, { away: true }, 'peer-reconnecting');
    this.#told('member-away', session.room, this.#views.get(session.room)?.get(session.id));
  }

  /** The session is over: left for good. */
  end(session: Session, reason: LeaveReason): void {
    if (session.ended) return;
    if (session.awayTimer) clearTimeout(session.awayTimer);
    if (session.secret !== null) {
      this.#bySecret.delete(session.secret);
      this.cluster?.forgetSecret(session.secret);
    }
    const link = session.link;
    session.link = null;
    if (session.room !== null) this.#leaveRoom(session, reason);
    else if (!session.awayTimer)
      this.#toGroup(session.lobby, { event: 'user disconnected', data: undefined }, session.id);
    this.#exit(session, session.lobby);
    session.ended = true;
    session.clear();
    this.sessions.delete(session.id);
    this.#noteGone();
    link?.close(reason);
  }

  #whenEmpty: Array<() => void> = [];

  /**
   * Resolves once this node holds no session at all, connected or away: a draining node waits for
   * this (bounded by its grace), so the away sessions of its clients can still be handed over to
   * the node each comes back through — a node that exited as soon as its links closed would leave
   * them nothing to resume.
   */
  settled(): Promise<void> {
    if (this.sessions.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#whenEmpty.push(resolve));
  }

  #noteGone(): void {
    if (this.sessions.size > 0 || this.#whenEmpty.length === 0) return;
    for (const resolve of this.#whenEmpty.splice(0)) resolve();
  }

  /**
   * A client comes back with its session's secret and the last number it saw: the session, with
   * what it missed; or null (unknown, over, or events missed that are no longer kept). The session
   * may be on another node: it is handed over here.
   */
  async resume(secret: string, seen: number, link: Link): Promise<Resumed | null> {
    let session = this.#bySecret.get(secret) ?? null;
    if (session === null && this.cluster) session = await this.#takeOver(secret, seen);
    if (session === null || session.ended || session.link !== null) return null;
    const missed = session.after(seen);
    if (missed === null) {
      this.end(session, 'disconnected');
      return null;
    }
    if (session.awayTimer) clearTimeout(session.awayTimer);
    session.awayTimer = null;
    this.#bySecret.delete(secret);
    this.cluster?.forgetSecret(secret);
    session.secret = null;
    session.link = link;
    this.sessions.set(session.id, session);
    return { session, missed };
  }

  /**
   * Whether a client resuming `session` with `identity` (its token now) may have it back: the same
   * mode, and a room claim that allows the session's room — or, in a lobby, the same claim. A
   * token for another room never puts its client back where the old one was.
   */
  mayResume(session: Session, identity: Identity | null): boolean {
    if (session.identity === null || identity === null) return session.identity === identity;
    return session.room !== null ? roomAllowed(identity.room, session.room) : session.lobby === lobbyOf(identity);
  }

  /** A resumed session's client is connected again (its edge has bound the link): the room hears it is back. */
  back(session: Session): void {
    if (session.room !== null) {
      this.#changeMember(session, { away: false, node: this.node }, 'peer-resumed');
      this.#told('member-resumed', session.room, this.#views.get(session.room)?.get(session.id));
    }
    this.#log.info({ socket: session.id, room: session.room }, 'resumed');
  }

  // ---- events from clients: the gate, then the handler

  /**
   * Handles one inbound event. `text`: for a signal, its data as the sender wrote it, if the edge
   * could take it. The result is the answer (an ack, or an `error` event without one).
   */
  handle(session: Session, event: string, payload: unknown, text?: string): Ack | Promise<Ack> {
    // A handler that fails is answered `internal` here, once for every edge: an edge never sees
    // a throw or a rejection, only an answer.
    try {
      const result = this.#handle(session, event, payload, text);
      return result instanceof Promise ? result.catch((err: unknown) => this.#failed(session, event, err)) : result;
    } catch (err) {
      return this.#failed(session, event, err);
    }
  }

  #failed(session: Session, event: string, err: unknown): Ack {
    this.#log.error({ socket: session.id, event, err }, 'handler failed');
    return protocolError('internal', `${event.slice(0, 64)} failed on the server`);
  }

  #handle(session: Session, event: string, payload: unknown, text?: string): Ack | Promise<Ack> {
    // Every frame a client sends costs it from its rate, whatever it is: a flood of unknown events or
    // of garbage is refused as cheaply as one of signals.
    if (!this.#buckets.get(session)!.take()) {
      return protocolError('rate-limited', `${event.slice(0, 64)}: more than ${this.config.rateLimit} events/s`);
    }
    if (payload instanceof MalformedFrame) return protocolError('bad-request', payload.problem);
    if (!CLIENT_EVENTS.has(event)) return protocolError('unknown-event', `unknown event '${event.slice(0, 64)}'`);
    if (payload instanceof OversizePayload) {
      return protocolError('payload-too-large', `${event}: ${payload.bytes} bytes > ${this.config.maxPayloadBytes}`);
    }
    if (payload instanceof TooDeepPayload) {
      return protocolError('bad-request', `${event}: the payload nests deeper than ${payload.max} levels`);
    }
    switch (event) {
      case 'signal': {
        const p = parse(event, schemas.signalRequest, payload);
        return p.ok && 'value' in p ? this.signal(session, p.value.to, p.value.data, text) : (p as Ack);
      }
      case 'join': {
        const p = parse(event, schemas.joinRequest, payload);
        return p.ok && 'value' in p ? this.join(session, p.value.room, p.value.name ?? null) : (p as Ack);
      }
      case 'leave': {
        const p = parse(event, schemas.leaveRequest, payload ?? undefined);
        return p.ok ? this.leave(session) : (p as Ack);
      }
      default: {
        const p = parse(event, schemas.classicMessage, payload);
        return p.ok && 'value' in p ? this.message(session, p.value) : (p as Ack);
      }
    }
  }

  async join(session: Session, room: string, name: string | null): Promise<Ack> {
    const identity = session.identity;
    if (identity && !roomAllowed(identity.room, room)) {
      return protocolError('forbidden', `join: the token does not allow room '${room}'`);
    }
    if (session.room !== room) {
      // A node over its budget takes no one new (budget.ts); who is in stays.
      const overloaded = this.budget.problem;
      if (overloaded !== null) return protocolError('overloaded', `join: ${overloaded}`);
      const refused = await this.#admit(session, room, identity ? (identity.name ?? identity.sub) : name);
      if (refused) return refused;
    }
    // Events the client sent after this join are handled while it awaits the admission: one may
    // have taken the session out of the room again (a leave, another join) and the room may be
    // gone with it. The join did happen; its answer lists whoever is in the room now.
    const view = this.#views.get(room) ?? new Map<string, Member>();
    const peers = [...view.values()]
      .filter((m) => m.id !== session.id)
      .map((m): PeerInfo => (m.away ? { id: m.id, name: m.name, away: true } : { id: m.id, name: m.name }));
    const result: JoinResult = {
      self: { id: session.id, name: session.name },
      peers,
      iceServers: iceServersFor(this.config, identity?.sub ?? session.id),
    };
    return { ok: true, ...result };
  }

  leave(session: Session): Ack {
    if (session.room === null) return protocolError('not-in-room', 'leave: not in a room');
    this.#log.info({ socket: session.id, room: session.room }, 'left');
    this.#leaveRoom(session, 'left');
    this.#enter(session, session.lobby);
    return OK;
  }

  /**
   * The hot path: map lookups and one write — to the target's link on this node, or one XADD to
   * the inbox of the node that holds it. No Redis round trip, nothing asked of anyone.
   */
  signal(session: Session, to: string, data: unknown, text?: string): Ack | Promise<Ack> {
    const room = session.room;
    if (room === null) return protocolError('not-in-room', 'signal: join a room first');
    const target = to === session.id ? undefined : this.sessions.get(to);
    if (target !== undefined && target.room === room) {
      // With its text, the parsed data is not kept: the ledger holds one string, not a tree of objects.
      target.push(
        {
          event: 'signal',
          data: text !== undefined ? session.stamp : { from: session.id, data },
          text,
          bytes: undefined,
        },
        this.#now,
      );
    } else {
      const member = to === session.id ? undefined : this.#views.get(room)?.get(to);
      if (member === undefined && this.cluster && to !== session.id) return this.#signalUnseen(session, to, data, text);
      const node = member?.node === this.node ? this.#moved.get(to) : member?.node;
      if (node === undefined) return protocolError('peer-not-found', `signal: no peer '${to}' in room '${room}'`);
      this.#forward(node, room, session.id, to, data, text);
    }
    this.#metrics.signal(signalKind(data), session.link?.edge);
    return OK;
  }

  #forward(node: string, room: string, from: string, to: string, data: unknown, text?: string): void {
    this.cluster!.send(node, { t: 's', room, to, from, d: text ?? toWire(data), ...(text ? {} : { b: '1' }) });
  }

  /**
   * A signal to a member this node has not heard of yet: it joined on another node a moment ago
   * and the news is on its way. Redis is asked, once; not the common case.
   */
  async #signalUnseen(session: Session, to: string, data: unknown, text?: string): Promise<Ack> {
    const room = session.room!;
    const member = await this.cluster!.member(room, to);
    if (member === null || member.node === this.node || session.room !== room) {
      return protocolError('peer-not-found', `signal: no peer '${to}' in room '${room}'`);
    }
    this.#forward(member.node, room, session.id, to, data, text);
    this.#metrics.signal(signalKind(data), session.link?.edge);
    return OK;
  }

  /** The classic relay: to every other session of the sender's group (its room, or the lobby). */
  message(session: Session, data: unknown): Ack {
    this.#toGroup(session.group, { event: 'message', data }, session.id);
    this.#metrics.classicMessage();
    return OK;
  }

  /** Tells every session (on this node) that the server is going away. */
  broadcastLocal(event: Outbound): void {
    for (const s of this.sessions.values()) if (s.link !== null) s.push(event, this.#now);
  }

  async close(): Promise<void> {
    for (const t of this.#timers) clearInterval(t);
    this.budget.stop();
    for (const s of [...this.sessions.values()]) {
      if (s.awayTimer) clearTimeout(s.awayTimer);
      s.awayTimer = null;
    }
    await this.cluster?.close();
  }

  // ---- the server API: answers for the whole cluster, from Redis (or this node's views, alone)

  /** Every room with a member, with its members. */
  async rooms(): Promise<Array<{ room: string; members: Member[] }>> {
    if (!this.cluster) {
      return [...this.#views]
        .filter(([, view]) => view.size > 0)
        .map(([room, view]) => ({ room, members: [...view.values()] }));
    }
    const rooms = await Promise.all(
      (await this.cluster.rooms()).map(async (room) => ({ room, members: await this.cluster!.members(room) })),
    );
    return rooms.filter((r) => r.members.length > 0);
  }

  /** The members of `room` (none when there is no such room). */
  async members(room: string): Promise<Member[]> {
    return this.cluster ? this.cluster.members(room) : [...(this.#views.get(room)?.values() ?? [])];
  }

  /**
   * Takes member `id` out of `room`, wherever it is: it hears `removed` `{ reason }` and its link
   * closes without resume; the others see `peer-left` `{ reason: 'removed' }`. False: no such member.
   */
  async remove(room: string, id: string, reason: string): Promise<boolean> {
    const session = this.sessions.get(id);
    if (session && session.room === room) {
      this.#removeHere(session, reason);
      return true;
    }
    if (!this.cluster) return false;
    const member = await this.cluster.member(room, id);
    const node = member === null ? undefined : member.node === this.node ? this.#moved.get(id) : member.node;
    if (node === undefined) return false;
    this.cluster.send(node, { t: 'rm', room, id, reason }); // that node's inbox, as signals go
    return true;
  }

  #removeHere(session: Session, reason: string): void {
    this.#log.info({ socket: session.id, room: session.room, reason }, 'removed');
    session.push({ event: 'removed', data: { reason } }, this.#now);
    this.end(session, 'removed'); // closes the link with 'removed': each edge says it its own way
  }

  /** `server-message` `{ data }` to every member of `room`; how many members it went to. */
  async serverMessage(room: string, data: unknown): Promise<number> {
    const members = await this.members(room);
    const event: Outbound = { event: 'server-message', data: { data } };
    if (members.some((m) => m.node === this.node)) this.#toLocal(room, event);
    if (this.cluster) {
      const fields = { t: 'g', group: room, except: '', event: event.event, d: toWire(event.data) };
      for (const node of new Set(members.map((m) => m.node))) if (node !== this.node) this.cluster.send(node, fields);
    }
    return members.length;
  }

  // ---- membership

  /** Admits `session` to `room` (capacity counts away members), leaving its old room; an error, or null. */
  async #admit(session: Session, room: string, name: string | null): Promise<Ack | null> {
    const opens = !this.#views.has(room);
    if (opens && this.#views.size >= this.config.maxRooms) {
      return protocolError('too-many-rooms', `join: this server holds ${this.config.maxRooms} rooms already`);
    }
    const full = () =>
      protocolError('room-full', `join: room '${room}' is full (${this.config.maxPeersPerRoom} peers)`);
    const member: Member = { id: session.id, name, node: this.node, away: false, joinedAt: Date.now() };
    // The view exists before Redis answers: news of others arriving meanwhile lands in it.
    let view = this.#views.get(room);
    if (!view) this.#views.set(room, (view = new Map()));
    let first: boolean;
    if (this.cluster) {
      let members: Member[] | null;
      try {
        members = await this.cluster.admit(room, member, this.config.maxPeersPerRoom);
      } catch (err) {
        this.#dropViewIfEmpty(room);
        throw err;
      }
      if (members === null) {
        this.#dropViewIfEmpty(room);
        return full();
      }
      for (const m of members) if (m.id !== session.id && !view.has(m.id)) view.set(m.id, m);
      first = members.length === 1; // Redis admits one at a time: one node sees the room open
    } else if (view.size >= this.config.maxPeersPerRoom) {
      return full();
    } else first = view.size === 0;
    if (session.ended || session.link === null) {
      this.#dropViewIfEmpty(room);
      if (this.cluster) this.cluster.remove(room, session.id);
      return protocolError('not-in-room', 'join: disconnected while joining');
    }
    if (session.room !== null) this.#leaveRoom(session, 'left');
    else this.#exit(session, session.lobby);
    session.room = room;
    session.name = name;
    session.joinedAt = member.joinedAt;
    view.set(session.id, member);
    this.#enter(session, room);
    // Announced after the member list was read in one atomic step: a peer joining meanwhile is
    // seen at least once (in `peers` or as `peer-joined`), never missed. Clients key peers by id.
    this.#announce(room, 'joined', member);
    if (first) this.#told('room-started', room);
    this.#told('member-joined', room, member);
    this.#log.info({ socket: session.id, room }, 'joined');
    return null;
  }

  #leaveRoom(session: Session, reason: LeaveReason): void {
    const room = session.room!;
    this.#exit(session, room);
    session.room = null;
    const view = this.#views.get(room);
    const member = view?.get(session.id) ?? {
      id: session.id,
      name: session.name,
      node: this.node,
      away: false,
      joinedAt: 0,
    };
    this.#announce(room, 'left', member, reason);
    view?.delete(session.id);
    this.#dropViewIfEmpty(room);
    this.#told('member-left', room, member, reason);
    if (this.cluster) {
      void this.cluster.remove(room, session.id).then((left) => left === 0 && this.#told('room-finished', room));
    } else if (!this.#views.has(room)) this.#told('room-finished', room);
  }

  /** A member's state changed (away, or back): the view, Redis, and the others. */
  #changeMember(session: Session, change: Partial<Member>, kind: 'peer-reconnecting' | 'peer-resumed'): void {
    const room = session.room!;
    let view = this.#views.get(room);
    if (!view) this.#views.set(room, (view = new Map()));
    const member: Member = {
      ...(view.get(session.id) ?? {
        id: session.id,
        name: session.name,
        node: this.node,
        away: false,
        joinedAt: session.joinedAt,
      }),
      ...change,
    };
    view.set(session.id, member);
    const told = this.#announce(room, kind === 'peer-reconnecting' ? 'away' : 'back', member);
    if (this.cluster) {
      this.cluster.put(room, [member]).then(
        (members) => {
          // A member that joined on another node a moment ago may not be in the view yet: its
          // node hears the news too (twice is harmless: news is told as a difference).
          const fields = { t: 'm', room, kind: member.away ? 'away' : 'back', m: JSON.stringify(member) };
          for (const m of members) {
            if (m.node === this.node || told.has(m.node)) continue;
            told.add(m.node);
            this.cluster!.send(m.node, fields);
          }
          this.#merge(room, members);
        },
        () => {}, // Redis away: reasserted when it returns
      );
    }
  }

  /** Tells the room (here and on the other nodes with members in it) of a member's change; the nodes told. */
  #announce(
    room: string,
    kind: 'joined' | 'left' | 'away' | 'back',
    member: Member,
    reason?: LeaveReason,
  ): Set<string> {
    this.#apply(room, kind, member, reason);
    const nodes = new Set(this.cluster ? this.#nodesOf(room) : []);
    const fields = { t: 'm', room, kind, m: JSON.stringify(member), ...(reason ? { reason } : {}) };
    for (const node of nodes) this.cluster!.send(node, fields);
    return nodes;
  }

  /**
   * A member's change, as this node's sessions in the room hear it. News of another node's member
   * is told as the difference from what they were told before: a member they never heard of is
   * `peer-joined` whatever the news (a node that reasserts itself after an outage says "back" for
   * everyone), one already gone is not gone twice, one not away does not come back.
   */
  #apply(room: string, kind: 'joined' | 'left' | 'away' | 'back', member: Member, reason?: LeaveReason): void {
    const view = this.#views.get(room);
    let told: Array<'joined' | 'left' | 'away' | 'back'> = [kind];
    if (view && member.node !== this.node) {
      const before = view.get(member.id);
      if (kind === 'left') view.delete(member.id);
      else view.set(member.id, member);
      if (before === undefined) told = kind === 'left' ? [] : kind === 'away' ? ['joined', 'away'] : ['joined'];
      else if (kind === 'joined' || (kind === 'back' && !before.away) || (kind === 'away' && before.away)) told = [];
    }
    const except = member.id;
    for (const news of told) {
      switch (news) {
        case 'joined':
          this.#toLocal(room, { event: 'peer-joined', data: { id: member.id, name: member.name } }, except);
          break;
        case 'left':
          this.#toLocal(room, { event: 'peer-left', data: { id: member.id, reason: reason ?? 'left' } }, except);
          // The classic relay's word for the same thing, for pages that joined a room.
          if (reason === 'disconnected') this.#toLocal(room, { event: 'user disconnected', data: undefined }, except);
          break;
        case 'away':
          this.#toLocal(room, { event: 'peer-reconnecting', data: { id: member.id } }, except);
          break;
        case 'back':
          this.#toLocal(room, { event: 'peer-resumed', data: { id: member.id } }, except);
      }
    }
  }

  /** Members Redis knows that this node's view lacks (or has stale): taken in and announced. */
  #merge(room: string, members: Member[]): void {
    const view = this.#views.get(room);
    if (!view) return;
    for (const m of members) if (m.node !== this.node) this.#apply(room, m.away ? 'away' : 'back', m);
  }

  // ---- groups and delivery

  #enter(session: Session, group: string): void {
    let set = this.#local.get(group);
    if (!set) this.#local.set(group, (set = new Set()));
    set.add(session);
  }

  #exit(session: Session, group: string): void {
    const set = this.#local.get(group);
    if (!set) return;
    set.delete(session);
    if (set.size === 0) this.#local.delete(group);
  }

  #dropViewIfEmpty(room: string): void {
    if (!this.#local.has(room)) this.#views.delete(room);
  }

  /** To this node's sessions of `group`, but `except`. */
  #toLocal(group: string, event: Outbound, except?: string): void {
    const set = this.#local.get(group);
    if (!set) return;
    for (const s of set) if (s.id !== except) s.push(event, this.#now);
  }

  /** To every session of `group`, on every node that has one. */
  #toGroup(group: string, event: Outbound, except: string): void {
    this.#toLocal(group, event, except);
    if (!this.cluster) return;
    const nodes = isLobby(group) ? [...this.cluster.live].filter((n) => n !== this.node) : this.#nodesOf(group);
    if (nodes.length === 0) return;
    const fields = { t: 'g', group, except, event: event.event, d: event.data === undefined ? '' : toWire(event.data) };
    for (const node of nodes) this.cluster.send(node, fields);
  }

  /** The other nodes with members in `room`. */
  #nodesOf(room: string): string[] {
    const nodes = new Set<string>();
    for (const m of this.#views.get(room)?.values() ?? []) if (m.node !== this.node) nodes.add(m.node);
    return [...nodes];
  }

  // ---- the cluster

  #receive(f: Record<string, string>): void {
    switch (f.t) {
      case 's': {
        const target = this.sessions.get(f.to);
        if (target && target.room === f.room) {
          // The data stays text from sender to receiver, unless it carries bytes (see `Outbound.text`).
          const signal: Outbound = f.b
            ? { event: 'signal', data: { from: f.from, data: fromWire(f.d) } }
            : { event: 'signal', data: { from: f.from }, text: f.d };
          target.push(signal, this.#now);
        } else if (this.#moved.has(f.to)) {
          this.cluster!.send(this.#moved.get(f.to)!, f);
        }
        return;
      }
      case 'g':
        return this.#toLocal(f.group, { event: f.event, data: f.d === '' ? undefined : fromWire(f.d) }, f.except);
      case 'm':
        return this.#apply(f.room, f.kind as 'joined', JSON.parse(f.m) as Member, f.reason as LeaveReason | undefined);
      case 'take':
        return this.#handOver(f);
      case 'rm': {
        const session = this.sessions.get(f.id);
        if (session && session.room === f.room) this.#removeHere(session, f.reason);
        else if (this.#moved.has(f.id)) this.cluster!.send(this.#moved.get(f.id)!, f);
        return;
      }
      case 'taken': {
        const waiting = this.#takes.get(f.req);
        if (waiting) waiting(f.s);
        else if (f.s !== '') void this.#adopt(f.s, f.secret);
        return;
      }
      default:
        this.#extra.get(f.t)?.(f);
    }
  }

  /** A node's lease ran out: its members are gone, and this node's sessions in their rooms are told. */
  #nodeGone(node: string): void {
    this.#log.warn({ node }, 'node went quiet; its peers are gone');
    this.#nodeListeners.gone.forEach((l) => l(node));
    for (const [room, view] of this.#views) {
      for (const m of [...view.values()]) {
        if (m.node !== node) continue;
        this.#apply(room, 'left', m, 'disconnected');
      }
    }
  }

  /**
   * This node's lease was gone (Redis restarted, or this node was frozen or cut off longer than
   * its lease): it writes its members back and reads each room's members again; whoever it lacks
   * is announced, and the others hear of its members in turn.
   */
  #reassert(): void {
    this.#log.info('reasserting this node in the cluster');
    this.#nodeListeners.reassert.forEach((l) => l(this.node));
    for (const [room, sessions] of this.#local) {
      if (isLobby(room)) continue;
      const view = this.#views.get(room);
      const mine = [...sessions].map((s) => view?.get(s.id)).filter((m): m is Member => m !== undefined);
      this.cluster!.put(room, mine).then(
        (members) => {
          this.#merge(room, members);
          for (const m of mine) {
            const fields = { t: 'm', room, kind: m.away ? 'away' : 'back', m: JSON.stringify(m) };
            for (const node of this.#nodesOf(room)) this.cluster!.send(node, fields);
          }
        },
        () => {}, // Redis away again: the next heartbeat reasserts
      );
    }
  }

  /** The places this node holds, by room, for their leases. */
  #held(): Map<string, string[]> {
    const held = new Map<string, string[]>();
    for (const [room, sessions] of this.#local)
      if (!isLobby(room))
        held.set(
          room,
          [...sessions].map((s) => s.id),
        );
    return held;
  }

  /** Asks the node holding the away session with `secret` to hand it over. */
  async #takeOver(secret: string, seen: number): Promise<Session | null> {
    const node = await this.cluster!.nodeOfSecret(secret);
    if (node === null || node === this.node) return null;
    const req = randomUUID();
    const snapshot = await new Promise<string>((resolve) => {
      const timer = setTimeout(() => resolve(''), TAKE_OVER_MS);
      this.#takes.set(req, (s) => {
        clearTimeout(timer);
        resolve(s);
      });
      this.cluster!.send(node, { t: 'take', secret, seen: String(seen), req, node: this.node });
    });
    this.#takes.delete(req);
    return snapshot === '' ? null : this.#adopt(snapshot, secret);
  }

  /**
   * Takes in a session handed over by another node, away, with a full window ahead. A hand-over
   * that arrives after its client gave up waiting is adopted all the same: the session then runs
   * out here and the room hears it leave, instead of keeping a member nobody holds.
   */
  async #adopt(snapshot: string, secret: string): Promise<Session> {
    const s = JSON.parse(snapshot) as {
      id: string;
      room: string | null;
      name: string | null;
      joinedAt: number;
      identity: Identity | null;
      address: string;
      seq: number;
      kept: Array<{ event: string; seq: number; text?: string; d: string }>;
    };
    const session = new Session(s.id, PARKED, s.identity, s.address, this.#budget);
    session.link = null;
    session.room = s.room;
    session.name = s.name;
    session.joinedAt = s.joinedAt;
    session.seq = s.seq;
    for (const k of s.kept) {
      const kept: Numbered = {
        event: k.event,
        seq: k.seq,
        at: this.#now,
        data: k.d === '' ? undefined : fromWire(k.d),
      };
      if (k.text !== undefined) kept.text = k.text;
      session.keep(kept);
    }
    session.secret = secret;
    this.sessions.set(session.id, session);
    this.#bySecret.set(secret, session);
    this.#buckets.set(session, new TokenBucket(this.config.rateLimit, this.config.rateBurst));
    const member: Member = { id: s.id, name: s.name, node: this.node, away: true, joinedAt: s.joinedAt };
    if (session.room !== null) {
      const room = session.room;
      let view = this.#views.get(room);
      if (!view) this.#views.set(room, (view = new Map()));
      view.set(s.id, member);
      this.#enter(session, room);
      // The room as Redis has it, before the room hears it is back (the news goes to the nodes in
      // the view). Its client has been told of all of these already.
      const members = await this.cluster!.put(room, [member]).catch(() => [] as Member[]);
      for (const m of members) if (!view.has(m.id)) view.set(m.id, m);
    } else this.#enter(session, session.lobby);
    // Its away timer runs here now, for a full window: the old node gave it up.
    session.awayTimer = setTimeout(() => this.end(session, 'disconnected'), this.config.resumeWindowMs);
    session.awayTimer.unref();
    return session;
  }

  /** Another node asks for an away session of ours: handed over, and what still comes here follows it. */
  #handOver(f: Record<string, string>): void {
    const session = this.#bySecret.get(f.secret);
    if (!session || session.ended || session.link !== null) {
      this.cluster!.send(f.node, { t: 'taken', req: f.req, s: '' });
      return;
    }
    const snapshot = JSON.stringify({
      id: session.id,
      room: session.room,
      name: session.name,
      joinedAt: session.joinedAt,
      identity: session.identity,
      address: session.address,
      seq: session.seq,
      kept: session.kept.map((k) => ({
        event: k.event,
        seq: k.seq,
        // A signal kept with its text travels as the text, and `from` beside it.
        ...(k.text !== undefined ? { text: k.text } : {}),
        d:
          k.text !== undefined
            ? toWire({ from: (k.data as { from: string }).from })
            : k.data === undefined
              ? ''
              : toWire(k.data),
      })),
    });
    // Gone from here without a word: the new node announces it back.
    if (session.awayTimer) clearTimeout(session.awayTimer);
    this.#bySecret.delete(f.secret);
    this.sessions.delete(session.id);
    this.#noteGone();
    if (session.room !== null) {
      this.#exit(session, session.room);
      this.#views
        .get(session.room)
        ?.set(session.id, { id: session.id, name: session.name, node: f.node, away: true, joinedAt: session.joinedAt });
      this.#dropViewIfEmpty(session.room);
    } else this.#exit(session, session.lobby);
    session.ended = true;
    session.clear();
    this.#moved.set(session.id, f.node);
    setTimeout(() => this.#moved.delete(session.id), this.config.resumeWindowMs).unref();
    this.cluster!.send(f.node, { t: 'taken', req: f.req, s: snapshot, secret: f.secret });
  }
}

/** How long a resume through another node waits for the session's node to hand it over. */
const TAKE_OVER_MS = 3_000;

/** The link of a session taken over from another node, until its client's connection is bound. */
const PARKED: Link = { write() {}, close() {} };
