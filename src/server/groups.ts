/**
 * Which socket.io room a socket talks to. A joined socket is in its room; any other socket is in the
 * classic lobby, where the tutorial's clients (which never join) find each other.
 */
import type { IoSocket } from './types.js';

/**
 * Room names are namespaced: user-chosen names could otherwise collide with socket ids, which are
 * socket.io rooms too, and a broadcast to "room x" would reach the socket whose id is x.
 */
export function roomKey(room: string): string {
  return ROOM_PREFIX + room;
}

export const ROOM_PREFIX = 'room:';

export const CLASSIC_LOBBY = 'classic:lobby';

/** The socket.io room that a socket's broadcasts go to. */
export function groupOf(socket: IoSocket): string {
  return socket.data.room === null ? CLASSIC_LOBBY : roomKey(socket.data.room);
}

/**
 * A room of one: the socket, while it is in `room`. Signals to a peer on another node (or one that
 * is away, reconnecting) are broadcast here, so the adapter delivers them only while the target is
 * still in the sender's room, and connection-state recovery replays them after a drop.
 */
export function peerKey(room: string, id: string): string {
  return `peer:${id}@${room}`;
}

export function enterRoom(socket: IoSocket, room: string): void {
  void socket.leave(CLASSIC_LOBBY);
  socket.data.room = room;
  void socket.join([roomKey(room), peerKey(room, socket.id)]);
}

/** Back to the lobby; returns the room that was left. */
export function exitRoom(socket: IoSocket): string | null {
  const room = socket.data.room;
  if (room === null) return null;
  void socket.leave(roomKey(room));
  void socket.leave(peerKey(room, socket.id));
  socket.data.room = null;
  void socket.join(CLASSIC_LOBBY);
  return room;
}

/** Joins the lobby every socket starts in. */
export function enterLobby(socket: IoSocket): void {
  socket.data.room = null;
  void socket.join(CLASSIC_LOBBY);
}
