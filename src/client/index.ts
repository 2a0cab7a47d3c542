/** The tsunagu browser SDK. */
export { SignalingClient, SignalingError } from './signaling-client.js';
export type { ConnectionState, SignalingClientEvents, SignalingClientOptions } from './signaling-client.js';
export type { JoinResult, PeerInfo, PeerLeftEvent, SignalEvent } from '../protocol/events.js';
export type { ErrorCode } from '../protocol/errors.js';
