/**
 * The tsunagu protocol v1 (event maps, schemas, error codes, limits) and the PeerJS server protocol
 * tsunagu also serves: shared by the server, the client SDK and the tests. The zod-free part (types,
 * error codes, limits, the `/v1` wire frames) lives with the SDK in `packages/client/src/protocol/`,
 * so browser bundles carry no zod; it is re-exported here, the one place the server reads it from.
 */
export * from '../../packages/client/src/protocol/index.js';
export * from './peerjs.js';
export * as schemas from './schemas.js';
export * as api from './api.js';
export type { ApiMember, RoomSummary, WebhookEvent, WebhookEventName } from './api.js';
