/** Rooms, presence and targeted signals: `join`, `leave`, `signal`, and `peer-left` on disconnect. */
import { protocolError, schemas, type IceServer, type JoinResult, type PeerInfo } from '../protocol/index.js';
import { enterRoom, exitRoom, roomKey } from './groups.js';
import { handle, OK } from './handle.js';
import type { Logger } from './logger.js';
import type { IoServer, IoSocket } from './types.js';

export interface SignalingOptions {
  iceServers: IceServer[];
  maxPeersPerRoom: number;
}

export function attachSignaling(io: IoServer, socket: IoSocket, log: Logger, options: SignalingOptions): void {
  const self = (): PeerInfo => ({ id: socket.id, name: socket.data.name });

  const leaveCurrentRoom = (): string | null => {
    const room = exitRoom(socket);
    if (room !== null) io.to(roomKey(room)).emit('peer-left', { id: socket.id, reason: 'left' });
    return room;
  };

  handle(socket, log, 'join', schemas.joinRequest, async ({ room, name }) => {
    if (socket.data.room !== room) {
      const size = io.of('/').adapter.rooms.get(roomKey(room))?.size ?? 0;
      if (size >= options.maxPeersPerRoom) {
        return protocolError('room-full', `join: room '${room}' is full (${options.maxPeersPerRoom} peers)`);
      }
      leaveCurrentRoom();
      socket.data.name = name ?? null;
      enterRoom(socket, room);
      // Announced before the presence list is read: a peer joining meanwhile is then seen at least
      // once (in `peers` or as `peer-joined`), never missed. Clients key peers by id.
      socket.to(roomKey(room)).emit('peer-joined', self());
      log.info({ socket: socket.id, room }, 'joined');
    }
    // fetchSockets() asks every node when a cluster adapter is plugged in: presence is cluster-wide.
    const members = await io.in(roomKey(room)).fetchSockets();
    const peers = members.filter((s) => s.id !== socket.id).map((s) => ({ id: s.id, name: s.data.name }));
    const result: JoinResult = { self: self(), peers, iceServers: options.iceServers };
    return { ok: true, ...result };
  });

  handle(socket, log, 'leave', schemas.leaveRequest, () => {
    const room = leaveCurrentRoom();
    if (room === null) return protocolError('not-in-room', 'leave: not in a room');
    log.info({ socket: socket.id, room }, 'left');
    return OK;
  });

  // The hot path: a map lookup, a field compare and one emit. No fetchSockets(), no awaits.
  handle(socket, log, 'signal', schemas.signalRequest, ({ to, data }) => {
    const room = socket.data.room;
    if (room === null) return protocolError('not-in-room', 'signal: join a room first');
    const target = io.sockets.sockets.get(to);
    if (target === undefined || target.data.room !== room || to === socket.id) {
      return protocolError('peer-not-found', `signal: no peer '${to}' in room '${room}'`);
    }
    target.emit('signal', { from: socket.id, data });
    return OK;
  });

  // socket.io has already taken the socket out of its rooms; only the others need telling.
  socket.on('disconnect', (reason) => {
    const room = socket.data.room;
    if (room !== null) io.to(roomKey(room)).emit('peer-left', { id: socket.id, reason: 'disconnected' });
    log.info({ socket: socket.id, room, reason }, 'disconnected');
  });
}
