/** The tsunagu browser SDK: `SignalingClient` (transport) and `Room` (a mesh call on top of it). */
export { SignalingClient, SignalingError } from './signaling-client.js';
export type { ConnectionState, SignalingClientEvents, SignalingClientOptions } from './signaling-client.js';
export { Room } from './room.js';
export type { RoomEvents, RoomOptions } from './room.js';
export { Participant } from './participant.js';
export type { ParticipantEvents } from './participant.js';
export { summarizeStats, quality } from './stats.js';
export type { ParticipantStats, Quality } from './stats.js';
export type { SignalPayload } from './negotiation.js';
export type { JoinResult, PeerAwayEvent, PeerInfo, PeerLeftEvent, SignalEvent } from '../protocol/events.js';
export type { ErrorCode } from '../protocol/errors.js';
