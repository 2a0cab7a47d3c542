/**
 * The tsunagu protocol v1 (event maps, schemas, error codes, limits) and the PeerJS server protocol
 * tsunagu also serves: shared by the server, the client SDK and the tests.
 */
export * from './errors.js';
export * from './events.js';
export * from './limits.js';
export * from './peerjs.js';
export * from './v1.js';
export * as schemas from './schemas.js';
export type { IceServer, JoinRequest, SignalRequest } from './schemas.js';
export * as api from './api.js';
export type { ApiMember, RoomSummary, WebhookEvent, WebhookEventName } from './api.js';
