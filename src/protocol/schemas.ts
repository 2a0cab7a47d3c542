/** zod schemas for every client→server payload; the server parses with them before any handler runs. */
import { z } from 'zod';
import type { IceServer, JoinRequest, SignalRequest } from '../../packages/client/src/protocol/events.js';
import {
  MAX_PEER_ID_LENGTH,
  MAX_PEER_NAME_LENGTH,
  ROOM_NAME_PATTERN,
} from '../../packages/client/src/protocol/limits.js';

export const roomName = z.string().regex(ROOM_NAME_PATTERN, 'room must be 1-64 characters of A-Za-z0-9._-');

/**
 * Bidirectional controls (U+061C, U+200E-U+200F, U+202A-U+202E, U+2066-U+2069) and zero-width
 * characters (U+200B-U+200D, U+2060, U+FEFF): in a name shown to others they reorder or hide what
 * is displayed ("Trojan Source"), so one name can pass for another.
 */
const INVISIBLE = /[\u061C\u200B-\u200F\u202A-\u202E\u2060\u2066-\u2069\uFEFF]/u;

export const peerName = z
  .string()
  .trim()
  // One spelling per name: composed and decomposed accents compare (and display) the same.
  .transform((name) => name.normalize('NFC'))
  .pipe(
    z
      .string()
      .min(1, 'name must not be empty')
      .max(MAX_PEER_NAME_LENGTH, `name must be at most ${MAX_PEER_NAME_LENGTH} characters`)
      // Control characters in a display name only ever serve to confuse a UI or a log.
      .regex(/^[^\p{Cc}]*$/u, 'name must not contain control characters')
      .refine((name) => !INVISIBLE.test(name), 'name must not contain bidirectional or zero-width characters'),
  );

export const peerId = z.string().min(1).max(MAX_PEER_ID_LENGTH);

export const joinRequest = z.object({
  room: roomName,
  name: peerName.optional(),
});

/** `leave` takes no payload; an empty object is tolerated for clients that always send one. */
export const leaveRequest = z.union([z.undefined(), z.object({}).strict()]);

export const signalRequest = z.object({
  to: peerId,
  // Opaque to the server: whatever the two peers agree on (SDP, candidates, app messages).
  data: z.unknown().refine((v) => v !== undefined, 'data is required'),
});

/** The classic relay forwards anything JSON-like that socket.io can carry; only `undefined` is meaningless. */
export const classicMessage = z.unknown().refine((v) => v !== undefined, 'message must have a payload');

/** `RTCIceServer[]` as handed to clients in the `join` ack (from the `--ice-servers` option). */
export const iceServers = z.array(
  z.object({
    urls: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
    username: z.string().optional(),
    credential: z.string().optional(),
  }),
);

/**
 * The SDK declares the request types by hand (no zod in browsers); these fail to compile the day a
 * schema and its type part ways.
 */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const agreed: [
  Same<z.infer<typeof joinRequest>, JoinRequest>,
  // `data` is opaque: anything but `undefined` (zod infers `{} | null` from the refine).
  Same<Omit<z.infer<typeof signalRequest>, 'data'>, Omit<SignalRequest, 'data'>>,
  Same<z.infer<typeof iceServers>[number], IceServer>,
] = [true, true, true];
void agreed;
export type { IceServer, JoinRequest, SignalRequest };
