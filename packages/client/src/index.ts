/**
 * The tsunagu client SDK: `SignalingClient` (the signaling link, over `/v1` or socket.io) and `Room`
 * (a mesh call on top of it). Importing it touches no browser global: a Node process may import it.
 */
export { SignalingClient, SignalingError } from './signaling-client.js';
export type {
  ConnectionState,
  SignalingClientEvents,
  SignalingClientOptions,
  StateReason,
} from './signaling-client.js';
export { Backoff } from './reconnect.js';
export type { BackoffOptions, ReconnectContext, ReconnectPolicy } from './reconnect.js';
export type { ConnectOptions, LinkClosed, LinkHandlers, ResumeTicket, Transport } from './transport.js';
export { WebSocketTransport } from './transports/websocket.js';
export type { WebSocketConstructor } from './transports/websocket.js';
export { SocketIoTransport } from './transports/socketio.js';
export type { SocketIoOptions } from './transports/socketio.js';
export { Room } from './room.js';
export type { RoomEvents, RoomOptions } from './room.js';
export { Participant } from './participant.js';
export type { ParticipantEvents } from './participant.js';
export { summarizeStats, quality } from './stats.js';
export type { ParticipantStats, Quality } from './stats.js';
export type { SignalPayload } from './negotiation.js';
export type {
  ErrorCode,
  IceServer,
  JoinResult,
  PeerAwayEvent,
  PeerInfo,
  PeerLeftEvent,
  ProtocolError,
  SignalEvent,
} from './protocol/index.js';
