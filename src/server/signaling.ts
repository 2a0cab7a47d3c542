/** Rooms, presence and targeted signals: `join`, `leave`, `signal`, and `peer-left` on disconnect. */
import { protocolError, schemas, type JoinResult, type PeerInfo } from '../protocol/index.js';
import { roomAllowed } from './auth.js';
import type { Config } from './config.js';
import { enterRoom, exitRoom, peerKey, roomKey } from './groups.js';
import { defineHandler, OK, type HandlerContext } from './handle.js';
import { signalKind } from './metrics.js';
import type { Capacity } from './capacity.js';
import type { Presence } from './presence.js';
import type { Resume } from './resume.js';
import { signalDataText } from './parser.js';
import { iceServersFor } from './turn.js';
import type { IoServer, IoSocket } from './types.js';

export interface SignalingDeps {
  io: IoServer;
  config: Config;
  /** Rooms open on this node, for `--max-rooms`. */
  rooms: { readonly size: number };
  capacity: Capacity;
  presence: Presence;
  resume: Resume;
}

/** Why a socket may come back with its session (socket.io's own list of recoverable reasons). */
const RESUMABLE = new Set([
  'transport error',
  'transport close',
  'forced close',
  'ping timeout',
  'server shutting down',
]);

export function signalingHandlers(ctx: HandlerContext, deps: SignalingDeps) {
  const { io, config, rooms, capacity, presence, resume } = deps;
  const { log, metrics } = ctx;
  const self = (socket: IoSocket): PeerInfo => ({ id: socket.id, name: socket.data.name });

  const leaveCurrentRoom = (socket: IoSocket): string | null => {
    const room = exitRoom(socket);
    if (room !== null) presence.left(socket.id, room, 'left');
    return room;
  };

  const join = defineHandler(ctx, 'join', schemas.joinRequest, async (socket, { room, name }) => {
    const identity = socket.data.identity;
    if (identity && !roomAllowed(identity.room, room)) {
      return protocolError('forbidden', `join: the token does not allow room '${room}'`);
    }
    if (socket.data.room !== room) {
      const opensRoom = !io.of('/').adapter.rooms.has(roomKey(room));
      if (opensRoom && rooms.size >= config.maxRooms) {
        return protocolError('too-many-rooms', `join: this server holds ${config.maxRooms} rooms already`);
      }
      if (!(await capacity.admit(room, socket.id))) {
        return protocolError('room-full', `join: room '${room}' is full (${config.maxPeersPerRoom} peers)`);
      }
      if (!socket.connected) return protocolError('not-in-room', 'join: disconnected while joining');
      leaveCurrentRoom(socket);
      // A token names its holder; without one, the peer names itself.
      socket.data.name = identity ? (identity.name ?? identity.sub) : (name ?? null);
      enterRoom(socket, room);
      presence.entered(socket, room);
      // Announced before the presence list is read: a peer joining meanwhile is then seen at least
      // once (in `peers` or as `peer-joined`), never missed. Clients key peers by id.
      socket.to(roomKey(room)).emit('peer-joined', self(socket));
      log.info({ socket: socket.id, room }, 'joined');
    }
    // fetchSockets() asks every node when a cluster adapter is plugged in: presence is cluster-wide.
    const others = await io.in(roomKey(room)).fetchSockets();
    const peers = others.filter((s) => s.id !== socket.id).map((s) => ({ id: s.id, name: s.data.name }));
    const iceServers = iceServersFor(config, identity?.sub ?? socket.id);
    const result: JoinResult = { self: self(socket), peers, iceServers };
    return { ok: true, ...result };
  });

  const leave = defineHandler(ctx, 'leave', schemas.leaveRequest, (socket) => {
    const room = leaveCurrentRoom(socket);
    if (room === null) return protocolError('not-in-room', 'leave: not in a room');
    log.info({ socket: socket.id, room }, 'left');
    return OK;
  });

  // The hot path: map lookups, a field compare and one write. No fetchSockets(), no awaits, no Redis
  // round trip: a peer on this node gets the packet directly, `data` as its sender's text
  // (parser.ts), kept in its ledger (resume.ts); one
  // elsewhere (another node, or away and resumable) through its room of one, which the adapter
  // forwards and socket.io's recovery replays.
  const signal = defineHandler(ctx, 'signal', schemas.signalRequest, (socket, { to, data }, original) => {
    const room = socket.data.room;
    if (room === null) return protocolError('not-in-room', 'signal: join a room first');
    const target = to === socket.id ? null : presence.locate(room, to);
    if (target === null) return protocolError('peer-not-found', `signal: no peer '${to}' in room '${room}'`);
    if (target.at === 'here') resume.deliver(target.socket, { from: socket.id, data }, signalDataText(original));
    else io.to(peerKey(room, to)).emit('signal', { from: socket.id, data });
    metrics.signal(signalKind(data));
    return OK;
  });

  // socket.io has already taken the socket out of its rooms; only the others need telling.
  function disconnect(this: IoSocket, reason: string) {
    const room = this.data.room;
    // An Engine.IO v3 client (socket.io-client 1.x/2.x) cannot resume: keeping its place would only
    // keep its peers waiting for the window, looking at a frozen picture.
    const resumable = config.resumeWindow > 0 && RESUMABLE.has(reason) && this.conn.protocol !== 3;
    if (room !== null) presence.dropped(this, room, resumable);
    log.info({ socket: this.id, room, reason }, 'disconnected');
  }

  return { join, leave, signal, disconnect };
}
