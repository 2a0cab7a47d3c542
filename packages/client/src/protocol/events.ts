/** Protocol v1 as typed event maps: the server, the client SDK and the tests are all checked against these. */
import type { ProtocolError, Result } from './errors.js';

export const PROTOCOL_VERSION = 1;

/**
 * The request payloads, as plain types: the server's zod schemas (`src/protocol/schemas.ts`, which
 * checks at compile time that it parses exactly these) stay out of browser bundles.
 */
export interface JoinRequest {
  /** 1–64 characters of `A-Za-z0-9._-` (`ROOM_NAME_PATTERN`). */
  room: string;
  name?: string;
}

export interface SignalRequest {
  to: string;
  data: unknown;
}

/** `RTCIceServer` as the join ack hands it out (from the server's `--ice-servers` and TURN options). */
export interface IceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

export interface PeerInfo {
  /** Stable for the life of the session (a resume keeps it); stamped by the server, never chosen by a client. */
  id: string;
  name: string | null;
  /** In a join ack: the member's link is down and it may come back (`peer-resumed`) or leave (`peer-left`). */
  away?: true;
}

/** `removed`: the server's API took the member out (`DELETE /api/v1/rooms/:room/members/:id`). */
export type LeaveReason = 'left' | 'disconnected' | 'removed';

export interface JoinResult {
  self: PeerInfo;
  /** Everyone already in the room, without the joiner. */
  peers: PeerInfo[];
  iceServers: IceServer[];
  /** `/v1` only, with the resume window on: the secret to come back with after a drop (docs/protocol.md). */
  resume?: string;
}

export interface SignalEvent {
  /** Stamped by the server from the sending socket: it cannot be forged. */
  from: string;
  data: unknown;
}

export interface PeerAwayEvent {
  id: string;
}

export interface PeerLeftEvent {
  id: string;
  reason: LeaveReason;
}

/** To a member the server's API removed: its connection closes next, and it may not resume. */
export interface RemovedEvent {
  /** Why, as the API caller said (`removed`, `room-closed`, or their own words). */
  reason: string;
}

/** From the server's API to every member of a room (`POST /api/v1/rooms/:room/message`). */
export interface ServerMessageEvent {
  data: unknown;
}

/** Sent when an event came without an ack callback and failed, so the error is not lost. */
export interface ErrorEvent extends ProtocolError {
  event: string;
}

type Ack<T extends object = object> = (result: Result<T>) => void;

export interface ClientToServerEvents {
  join: (request: JoinRequest, ack?: Ack<JoinResult>) => void;
  leave: (ack?: Ack) => void;
  signal: (request: SignalRequest, ack?: Ack) => void;
  /** The classic tutorial's relay: `socket.send(obj)` reaches every other socket of the same group. */
  message: (data: unknown, ack?: Ack) => void;
}

export interface ServerToClientEvents {
  /**
   * socket.io only, once: right after the first join's answer. Its offset lets socket.io's client
   * resume from then on, even if nothing else has reached it yet.
   */
  session: (event: { id: string }) => void;
  'peer-joined': (peer: PeerInfo) => void;
  'peer-left': (event: PeerLeftEvent) => void;
  /** The peer's link dropped; it may come back (same id) within the resume window. */
  'peer-reconnecting': (event: PeerAwayEvent) => void;
  /** The peer came back within the window, with every signal sent to it meanwhile. */
  'peer-resumed': (event: PeerAwayEvent) => void;
  signal: (event: SignalEvent) => void;
  message: (data: unknown) => void;
  'user disconnected': () => void;
  error: (event: ErrorEvent) => void;
  /** The server is draining: reconnect (through the load balancer) within `graceMs`. */
  'server-shutdown': (event: { graceMs: number }) => void;
  /** The server's API removed this member; the server closes the connection right after (no resume). */
  removed: (event: RemovedEvent) => void;
  /** A message from the server's API to the whole room. */
  'server-message': (event: ServerMessageEvent) => void;
}

/** Who a token says the peer is (`--auth token`). */
export interface Identity {
  /** The token's `sub`. */
  sub: string;
  /** The rooms it may join: an exact name, or a `prefix*` pattern. */
  room: string;
  name: string | null;
}
