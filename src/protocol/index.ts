/** The tsunagu protocol v1: event maps, schemas, error codes and limits, shared by server and client. */
export * from './errors.js';
export * from './events.js';
export * from './limits.js';
export * as schemas from './schemas.js';
export type { IceServer, JoinRequest, SignalRequest } from './schemas.js';
