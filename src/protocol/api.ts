/**
 * The server API (`/api/v1`) as zod schemas: the server validates with them, the OpenAPI document
 * is generated from them, and the webhook payloads are described by them — one source for all three.
 */
import { z } from 'zod';
import { peerId, roomName } from './schemas.js';

export const API_PREFIX = '/api/v1';

/** `:room` in a path: the same rule as `join`. */
export const roomParam = roomName;
/** `:id` in a path: a member's id. */
export const memberParam = peerId;

export const apiError = z
  .object({
    ok: z.literal(false),
    error: z.object({ code: z.string(), message: z.string() }),
  })
  .meta({ id: 'Error', description: 'The protocol’s error shape; `code` is one of the protocol’s error codes.' });

export const member = z
  .object({
    id: z.string(),
    name: z.string().nullable(),
    away: z.boolean().meta({ description: 'Its link is down; it may resume within the resume window.' }),
    joinedAt: z.number().int().meta({ description: 'ms since the epoch' }),
    node: z.string().meta({ description: 'The node holding it.' }),
  })
  .meta({ id: 'Member' });

export const roomSummary = z
  .object({
    room: z.string(),
    members: z.number().int(),
    createdAt: z.number().int().meta({ description: 'ms since the epoch: when its longest-present member joined' }),
  })
  .meta({ id: 'RoomSummary' });

export const roomsResponse = z.object({ ok: z.literal(true), rooms: z.array(roomSummary) }).meta({ id: 'Rooms' });

export const roomResponse = z
  .object({ ok: z.literal(true), room: z.string(), members: z.array(member) })
  .meta({ id: 'Room' });

/** `DELETE …/members/:id` and `DELETE /rooms/:room` take an optional `?reason=` for the member's `removed` event. */
export const removeReason = z.string().min(1).max(200);

export const removedResponse = z
  .object({ ok: z.literal(true), removed: z.number().int().meta({ description: 'Members removed.' }) })
  .meta({ id: 'Removed' });

export const messageRequest = z
  .object({
    data: z
      .unknown()
      .refine((v) => v !== undefined, 'data is required')
      .meta({ description: 'Any JSON: every member gets `server-message` `{ data }`.' }),
  })
  .strict()
  .meta({ id: 'MessageRequest' });

export const messageResponse = z
  .object({ ok: z.literal(true), members: z.number().int().meta({ description: 'Members it was sent to.' }) })
  .meta({ id: 'MessageSent' });

export const webhookEventName = z.enum([
  'room-started',
  'room-finished',
  'member-joined',
  'member-left',
  'member-away',
  'member-resumed',
]);

/** The body of every webhook POST (signed: see docs/operations.md). */
export const webhookEvent = z
  .object({
    id: z.string().meta({ description: 'Unique per event: a receiver may see a retry, and dedupes by it.' }),
    event: webhookEventName,
    at: z.number().int().meta({ description: 'ms since the epoch, when it happened' }),
    room: z.string(),
    member: member
      .omit({ away: true })
      .extend({ reason: z.enum(['left', 'disconnected', 'removed']).optional() })
      .optional()
      .meta({ description: 'For member-* events; `reason` for member-left.' }),
  })
  .meta({ id: 'WebhookEvent' });

export type ApiMember = z.infer<typeof member>;
export type RoomSummary = z.infer<typeof roomSummary>;
export type WebhookEventName = z.infer<typeof webhookEventName>;
export type WebhookEvent = z.infer<typeof webhookEvent>;
