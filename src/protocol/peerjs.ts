/**
 * The PeerJS server protocol, as the `peerjs` client (1.x) speaks it and PeerJS server (npm `peer`
 * 1.0) answers it: JSON text frames `{ type, src?, dst?, payload? }` on one WebSocket per peer.
 * tsunagu serves it under `/peerjs` so a PeerJS app changes only its host, port and path.
 */
import { z } from 'zod';
import type { ErrorCode } from '../../packages/client/src/protocol/errors.js';

/** Where PeerJS clients find us: `new Peer({ host, port, path: PEERJS_PATH })`. */
export const PEERJS_PATH = '/peerjs';
/** The client appends `peerjs` to its path for the WebSocket: `/peerjs/peerjs?key=&id=&token=`. */
export const PEERJS_SOCKET_PATH = `${PEERJS_PATH}/peerjs`;

/** Relayed from one peer to another, `src` stamped by the server. */
export const RELAYED_TYPES = ['OFFER', 'ANSWER', 'CANDIDATE', 'LEAVE', 'EXPIRE'] as const;
export const CLIENT_TYPES = ['HEARTBEAT', ...RELAYED_TYPES] as const;

export type RelayedType = (typeof RELAYED_TYPES)[number];

/** A message on its way to `dst`, exactly the fields PeerJS server forwards (nothing else survives). */
export interface PeerjsRelay {
  type: RelayedType;
  src: string;
  dst: string;
  payload?: unknown;
}

/** What the server says of its own accord. */
export type PeerjsServerMessage =
  | { type: 'OPEN' }
  | { type: 'ID-TAKEN'; payload: { msg: string } }
  | { type: 'INVALID-KEY'; payload: { msg: string } }
  | { type: 'ERROR'; payload: { msg: string; code?: ErrorCode } }
  | PeerjsRelay;

/**
 * PeerJS server's own words for refusing a socket, kept verbatim: apps match on them.
 * (`INVALID_KEY` goes out as an `INVALID-KEY` message, which the client turns into its
 * `invalid-key` error; PeerJS server sends it as a generic `ERROR`.)
 */
export const PEERJS_ERRORS = {
  INVALID_KEY: 'Invalid key provided',
  INVALID_TOKEN: 'Invalid token provided',
  INVALID_WS_PARAMETERS: 'No id, token, or key supplied to websocket server',
  CONNECTION_LIMIT_EXCEED: 'Server has reached its concurrent user limit',
  ID_TAKEN: 'ID is taken',
} as const;

/** PeerJS server's defaults, which PeerJS apps are written against. */
export const PEERJS_DEFAULTS = {
  key: 'peerjs',
  /** A peer that sends nothing (its client sends HEARTBEAT every 5 s) for this long is closed. */
  aliveTimeoutMs: 90_000,
  /** How long a message waits for a `dst` that is not connected before its sender hears EXPIRE. */
  expireTimeoutMs: 5_000,
} as const;

/** The id rule of the PeerJS client (`util.validateId`), plus a length cap. */
export const PEERJS_ID_PATTERN = /^[A-Za-z0-9]+(?:[ _-][A-Za-z0-9]+)*$/;
export const MAX_PEERJS_ID_LENGTH = 128;

export const peerjsId = z
  .string()
  .max(MAX_PEERJS_ID_LENGTH, `id must be at most ${MAX_PEERJS_ID_LENGTH} characters`)
  .regex(PEERJS_ID_PATTERN, 'id must be letters and digits, optionally joined by single spaces, _ or -');

/**
 * One client→server frame. OFFER/ANSWER/CANDIDATE need a `dst` and an object payload (the client
 * always sends both); LEAVE and EXPIRE may omit them. `src` from a client is ignored: the server
 * stamps it.
 */
export const peerjsMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('HEARTBEAT') }),
  z.object({
    type: z.enum(['OFFER', 'ANSWER', 'CANDIDATE']),
    dst: peerjsId,
    payload: z.looseObject({}),
  }),
  z.object({
    type: z.enum(['LEAVE', 'EXPIRE']),
    dst: peerjsId.optional(),
    payload: z.unknown().optional(),
  }),
]);

export type PeerjsClientMessage = z.infer<typeof peerjsMessage>;
