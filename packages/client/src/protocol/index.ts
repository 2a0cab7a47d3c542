/**
 * Protocol v1 without a runtime dependency: event maps, request and result types, error codes,
 * limits and the `/v1` wire frames. The server re-exports this from `src/protocol/` beside its zod
 * schemas; the SDK and the tests import the same definitions.
 */
export * from './errors.js';
export * from './events.js';
export * from './limits.js';
export * from './v1.js';
