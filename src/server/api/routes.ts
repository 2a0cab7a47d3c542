/**
 * The server API's routes, declared once: the router runs them, and the OpenAPI document is
 * generated from the same table (its paths, parameters and zod schemas).
 */
import type { z } from 'zod';
import { api, type ErrorCode } from '../../protocol/index.js';
import type { Core } from '../core/index.js';
import type { Member } from '../core/cluster.js';

/** What a handler answers: a status and a JSON body, or an error of the protocol. */
export type Reply = { status: number; body: object } | { status: number; code: ErrorCode; message: string };

export interface RouteInput {
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
}

export interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  /** OpenAPI form, `{name}` for a parameter. */
  path: string;
  summary: string;
  params: Record<string, z.ZodType>;
  query?: Record<string, z.ZodType>;
  body?: z.ZodType;
  response: z.ZodType;
  /** Error statuses besides 400/401/403 that every route has. */
  errors: number[];
  run(core: Core, input: RouteInput): Promise<Reply>;
}

const notFound = (room: string, id?: string): Reply => ({
  status: 404,
  code: 'not-found',
  message: id === undefined ? `no room '${room}'` : `no member '${id}' in room '${room}'`,
});

const publicMember = ({ id, name, away, joinedAt, node }: Member) => ({ id, name, away, joinedAt, node });

export const routes: Route[] = [
  {
    method: 'GET',
    path: '/rooms',
    summary: 'Every room with a member, cluster-wide.',
    params: {},
    response: api.roomsResponse,
    errors: [],
    async run(core) {
      const rooms = (await core.rooms()).map(({ room, members }) => ({
        room,
        members: members.length,
        createdAt: Math.min(...members.map((m) => m.joinedAt)),
      }));
      rooms.sort((a, b) => a.room.localeCompare(b.room));
      return { status: 200, body: { ok: true, rooms } };
    },
  },
  {
    method: 'GET',
    path: '/rooms/{room}',
    summary: "A room's members, wherever they are connected.",
    params: { room: api.roomParam },
    response: api.roomResponse,
    errors: [404],
    async run(core, { params }) {
      const members = await core.members(params.room);
      if (members.length === 0) return notFound(params.room);
      members.sort((a, b) => a.joinedAt - b.joinedAt);
      return { status: 200, body: { ok: true, room: params.room, members: members.map(publicMember) } };
    },
  },
  {
    method: 'DELETE',
    path: '/rooms/{room}/members/{id}',
    summary:
      'Removes a member: it gets `removed` `{ reason }` and is disconnected without resume; the others see `peer-left` `{ reason: "removed" }`.',
    params: { room: api.roomParam, id: api.memberParam },
    query: { reason: api.removeReason },
    response: api.removedResponse,
    errors: [404],
    async run(core, { params, query }) {
      const removed = await core.remove(params.room, params.id, query.get('reason') ?? 'removed');
      return removed ? { status: 200, body: { ok: true, removed: 1 } } : notFound(params.room, params.id);
    },
  },
  {
    method: 'DELETE',
    path: '/rooms/{room}',
    summary: 'Closes a room: every member is removed (as by `DELETE …/members/{id}`, with reason `room-closed`).',
    params: { room: api.roomParam },
    query: { reason: api.removeReason },
    response: api.removedResponse,
    errors: [404],
    async run(core, { params, query }) {
      const members = await core.members(params.room);
      if (members.length === 0) return notFound(params.room);
      const reason = query.get('reason') ?? 'room-closed';
      const done = await Promise.all(members.map((m) => core.remove(params.room, m.id, reason)));
      return { status: 200, body: { ok: true, removed: done.filter(Boolean).length } };
    },
  },
  {
    method: 'POST',
    path: '/rooms/{room}/message',
    summary: 'Sends `server-message` `{ data }` to every member of the room.',
    params: { room: api.roomParam },
    body: api.messageRequest,
    response: api.messageResponse,
    errors: [404, 413],
    async run(core, { params, body }) {
      const members = await core.serverMessage(params.room, (body as { data: unknown }).data);
      return members === 0 ? notFound(params.room) : { status: 200, body: { ok: true, members } };
    },
  },
];
