/** The server's socket.io types, bound to the shared protocol event maps. */
import type { Server, Socket } from 'socket.io';
import type { ClientToServerEvents, ServerToClientEvents } from '../protocol/index.js';

/** socket.io carries no state of tsunagu's: the core keeps sessions, so sockets have no data of ours. */
type NoData = Record<string, never>;

export type IoServer = Server<ClientToServerEvents, ServerToClientEvents, NoData, NoData>;
export type IoSocket = Socket<ClientToServerEvents, ServerToClientEvents, NoData, NoData>;
