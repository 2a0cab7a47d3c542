/**
 * Where every peer is: on this node (a socket), away (dropped, resumable for `--resume-window`), or
 * on another node. Other nodes' peers come from a directory the nodes keep in step over the adapter
 * (serverSideEmit), so relaying a signal never asks Redis or the other nodes anything.
 */
import { randomUUID } from 'node:crypto';
import type { DirectoryEntry } from '../protocol/index.js';
import type { Capacity } from './capacity.js';
import { peerKey, roomKey } from './groups.js';
import type { Logger } from './logger.js';
import type { IoServer, IoSocket } from './types.js';

/** How often a node says it is alive, and how long the others wait before they give up on it. */
export const HEARTBEAT_MS = 2_000;
export const NODE_TIMEOUT_MS = 7_000;

/** Directory entries that are not socket.io peers in a room: their `room` starts with `#`. */
const isRealm = (room: string) => room.startsWith('#');

export type Whereabouts = { at: 'here'; socket: IoSocket } | { at: 'elsewhere' } | null;

export class Presence {
  readonly node = randomUUID();
  /** Peers of other nodes, and peers of any node that dropped and may resume. */
  #directory = new Map<string, DirectoryEntry>();
  /** Peers of this node whose link dropped: their place is kept until the timer fires. */
  #away = new Map<string, { room: string; timer: ReturnType<typeof setTimeout> }>();
  #lastSeen = new Map<string, number>();
  /** Other endpoints' peers on this node (the PeerJS endpoint's), for a newcomer's bulk. */
  #sources: Array<() => Iterable<DirectoryEntry>> = [];
  #timers: ReturnType<typeof setInterval>[] = [];

  constructor(
    private readonly io: IoServer,
    private readonly capacity: Capacity,
    private readonly log: Logger,
    private readonly options: { clustered: boolean; resumeWindow: number },
  ) {}

  /** Joins the cluster's directory: heartbeats, and answers a newcomer with the peers it holds. */
  start(): void {
    if (!this.options.clustered) return;
    const { io } = this;
    io.on('dir:add', (entry) => this.#add(entry));
    io.on('dir:bulk', (entries) => entries.forEach((entry) => this.#add(entry)));
    io.on('dir:remove', (id) => this.#directory.delete(id));
    io.on('dir:heartbeat', (node) => {
      // A node we have not heard of has just started (or came back): tell it who is here.
      if (!this.#lastSeen.has(node)) io.serverSideEmit('dir:bulk', this.#localEntries());
      this.#lastSeen.set(node, Date.now());
    });
    const beat = () => {
      io.serverSideEmit('dir:heartbeat', this.node);
      this.#sweep();
    };
    beat();
    this.#timers.push(setInterval(beat, HEARTBEAT_MS));
    for (const timer of this.#timers) timer.unref();
  }

  /** Where peer `id` is, if it is in `room`: the hot path's only question, answered from memory. */
  locate(room: string, id: string): Whereabouts {
    const socket = this.io.sockets.sockets.get(id);
    if (socket !== undefined) return socket.data.room === room ? { at: 'here', socket } : null;
    const away = this.#away.get(id);
    if (away !== undefined) return away.room === room ? { at: 'elsewhere' } : null;
    return this.#directory.get(id)?.room === room ? { at: 'elsewhere' } : null;
  }

  /**
   * The directory also carries the PeerJS endpoint's peers: under their own keys (`peerjs:<id>`),
   * in a realm that is no room name (`#peerjs`), so they never meet socket.io peers.
   */
  addSource(source: () => Iterable<DirectoryEntry>): void {
    this.#sources.push(source);
  }

  publish(entry: DirectoryEntry): void {
    this.#announce('dir:add', entry);
  }

  withdraw(id: string): void {
    this.#announce('dir:remove', id);
  }

  /** The node another node's entry `id` is on, from memory. */
  nodeOf(id: string): string | undefined {
    return this.#directory.get(id)?.node;
  }

  /** Other nodes' entries in `room` (or realm). */
  *elsewhereIn(room: string): Iterable<DirectoryEntry> {
    for (const entry of this.#directory.values()) if (entry.room === room) yield entry;
  }

  /** The places this node holds, for capacity leases. */
  *held(): Iterable<{ room: string; id: string }> {
    for (const entry of this.#localEntries()) if (!isRealm(entry.room)) yield entry;
  }

  entered(socket: IoSocket, room: string): void {
    this.#announce('dir:add', { id: socket.id, room, node: this.node });
  }

  /** Left for good: asked to, or away past the window. */
  left(id: string, room: string, reason: 'left' | 'disconnected'): void {
    this.io.to(roomKey(room)).emit('peer-left', { id, reason });
    // The classic relay's word for the same thing, for pages that joined a room.
    if (reason === 'disconnected') this.io.to(roomKey(room)).emit('user disconnected');
    this.capacity.release(room, id);
    this.#announce('dir:remove', id);
  }

  /** The link dropped. Resumable: the peers hear `peer-reconnecting` and the place is kept a while. */
  dropped(socket: IoSocket, room: string, resumable: boolean): void {
    if (!resumable || this.options.resumeWindow === 0) return this.left(socket.id, room, 'disconnected');
    const id = socket.id;
    // Not to the peer itself: socket.io's log would replay this news of its own drop to it.
    this.io.to(roomKey(room)).except(peerKey(room, id)).emit('peer-reconnecting', { id });
    const timer = setTimeout(() => {
      this.#away.delete(id);
      this.log.info({ socket: id, room }, 'resume window over');
      this.left(id, room, 'disconnected');
    }, this.options.resumeWindow);
    timer.unref();
    this.#away.set(id, { room, timer });
  }

  /** A dropped peer came back (to this node or, in a cluster, to any). */
  resumed(socket: IoSocket, room: string): void {
    this.#cancelAway(socket.id);
    socket.to(roomKey(room)).emit('peer-resumed', { id: socket.id });
    this.#announce('dir:add', { id: socket.id, room, node: this.node });
  }

  close(): void {
    for (const timer of this.#timers) clearInterval(timer);
    for (const { timer } of this.#away.values()) clearTimeout(timer);
    this.capacity.close();
  }

  #announce<E extends 'dir:add' | 'dir:remove'>(
    event: E,
    payload: E extends 'dir:add' ? DirectoryEntry : string,
  ): void {
    if (!this.options.clustered) return;
    (this.io.serverSideEmit as (e: string, p: unknown) => void)(event, payload);
  }

  #add(entry: DirectoryEntry): void {
    // A peer of ours that resumed on another node is no longer ours to time out.
    this.#cancelAway(entry.id);
    this.#directory.set(entry.id, entry);
    this.#lastSeen.set(entry.node, Math.max(this.#lastSeen.get(entry.node) ?? 0, Date.now()));
  }

  #cancelAway(id: string): void {
    const away = this.#away.get(id);
    if (!away) return;
    clearTimeout(away.timer);
    this.#away.delete(id);
  }

  #localEntries(): DirectoryEntry[] {
    const entries: DirectoryEntry[] = [];
    for (const socket of this.io.sockets.sockets.values()) {
      if (socket.data.room !== null) entries.push({ id: socket.id, room: socket.data.room, node: this.node });
    }
    for (const [id, { room }] of this.#away) entries.push({ id, room, node: this.node });
    for (const source of this.#sources) entries.push(...source());
    return entries;
  }

  /** A node gone quiet has died: its peers are gone, and our local peers in their rooms are told. */
  #sweep(): void {
    const now = Date.now();
    for (const [node, seen] of this.#lastSeen) {
      if (now - seen < NODE_TIMEOUT_MS) continue;
      this.#lastSeen.delete(node);
      for (const [id, entry] of this.#directory) {
        if (entry.node !== node) continue;
        this.#directory.delete(id);
        if (!isRealm(entry.room))
          this.io.local.to(roomKey(entry.room)).emit('peer-left', { id, reason: 'disconnected' });
      }
      this.log.warn({ node }, 'node went quiet; its peers are gone');
    }
  }
}
