/** Sizes the protocol promises; the schemas and the server's transport settings both read them. */

/** Room names: 1–64 characters of `A-Za-z0-9._-`, so they are safe in URLs and logs. */
export const ROOM_NAME_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
export const MAX_ROOM_NAME_LENGTH = 64;
/** Display names are free text but bounded, so presence lists stay small. */
export const MAX_PEER_NAME_LENGTH = 64;
/** Peer ids are socket.io ids (20 characters); anything much longer is not an id. */
export const MAX_PEER_ID_LENGTH = 64;
/** Largest single frame the server accepts. An SDP offer is ~4 KB; 64 KiB leaves room for many m-lines. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 64 * 1024;
/**
 * How deep a frame's JSON may nest (its outermost array or object is level 1). Signalling data is
 * a few levels deep; thousands of levels fit in a few KB and make every recursive encoder (JSON,
 * socket.io's, a replay's) throw, so deeper frames are refused where they are decoded.
 */
export const MAX_NESTING_DEPTH = 32;
