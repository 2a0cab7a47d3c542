/**
 * Token auth (`--auth token`): a JWT verified once, on connect, with jose. Its claims say who the
 * peer is (`sub`, `name`) and which rooms it may join (`room`: exact, or a `prefix*` pattern).
 */
import { readFileSync } from 'node:fs';
import { errors, importSPKI, jwtVerify, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { z } from 'zod';
import { ROOM_NAME_PATTERN, schemas, type Identity } from '../protocol/index.js';
import type { Config } from './config.js';

/** A rejected token, with the protocol's code and a message safe to show (never the token). */
export class AuthError extends Error {
  constructor(
    readonly code: 'unauthorized' | 'forbidden',
    message: string,
  ) {
    super(message);
  }
}

const claims = z.object({
  sub: z.string().min(1).max(256),
  // An exact room, or a prefix ending in `*` ("team-a.*" allows every room starting "team-a.").
  room: z
    .string()
    .regex(/^[A-Za-z0-9._-]{0,64}\*?$/, 'room must be a room name or a prefix ending in *')
    .min(1),
  // The same rules as a name a client chooses (NFC, no bidi or zero-width characters).
  name: schemas.peerName.optional(),
});

export type Verify = (token: unknown) => Promise<Identity>;

const ASYMMETRIC = ['EdDSA', 'ES256'];

interface VerifyKey {
  key: CryptoKey | Uint8Array;
  algorithms: string[];
}

/** The key tokens are checked with (a shared secret, or a public key), or null when none is configured. */
async function loadKey(config: Config): Promise<VerifyKey | null> {
  if (config.tokenSecret) return { key: new TextEncoder().encode(config.tokenSecret), algorithms: ['HS256'] };
  if (!config.tokenPublicKey) return null;
  const pem = readFileSync(config.tokenPublicKey, 'utf8');
  return { key: await importAnyPublicKey(pem), algorithms: ASYMMETRIC };
}

async function verifyJwt(
  token: unknown,
  { key, algorithms }: VerifyKey,
  requiredClaims: string[],
): Promise<JWTPayload> {
  if (typeof token !== 'string' || token.length === 0) throw new AuthError('unauthorized', 'a token is required');
  if (token.length > 8192) throw new AuthError('unauthorized', 'the token is too long');
  try {
    return (await jwtVerify(token, key, { algorithms, requiredClaims })).payload;
  } catch (err) {
    throw new AuthError('unauthorized', describeJoseError(err));
  }
}

/** Builds the verifier for `config`, or null when rooms are open. */
export async function createVerifier(config: Config): Promise<Verify | null> {
  if (config.auth !== 'token') return null;
  const key = (await loadKey(config))!; // checkConfig: --auth token has a key
  return async (token) => {
    const payload = await verifyJwt(token, key, ['sub', 'room', 'exp']);
    // A token is a bearer secret: one that never (or only far in the future) expires works for
    // anyone who ever saw it, so its lifetime left is capped (`--token-max-ttl`).
    if (payload.exp! - Date.now() / 1000 > config.tokenMaxTtlSeconds) {
      throw new AuthError('unauthorized', `the token expires more than ${config.tokenMaxTtlSeconds} s from now`);
    }
    const parsed = claims.safeParse(payload);
    if (!parsed.success) throw new AuthError('unauthorized', `token claims: ${parsed.error.issues[0].message}`);
    return { sub: parsed.data.sub, room: parsed.data.room, name: parsed.data.name ?? null };
  };
}

/** Checks an admin token (`admin: true`, minted by `tsunagu token --admin`): its `sub`, or an AuthError. */
export type VerifyAdmin = (token: unknown) => Promise<string>;

/**
 * Builds the server API's verifier: the same key as client tokens (whatever `--auth` says), or
 * null when the server has none (then the API refuses everyone).
 */
export async function createAdminVerifier(config: Config): Promise<VerifyAdmin | null> {
  const key = await loadKey(config);
  if (key === null) return null;
  return async (token) => {
    const payload = await verifyJwt(token, key, ['sub']);
    if (payload.admin !== true) throw new AuthError('forbidden', 'the token has no admin grant');
    return String(payload.sub);
  };
}

async function importAnyPublicKey(pem: string): Promise<CryptoKey> {
  for (const alg of ASYMMETRIC) {
    try {
      return await importSPKI(pem, alg);
    } catch {
      // Not a key of that algorithm; try the next.
    }
  }
  throw new Error('--token-public-key: not an Ed25519 or P-256 public key in SPKI PEM form');
}

function describeJoseError(err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'the token has expired';
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'exp' && err.reason === 'missing') return 'the token has no exp claim (it must expire)';
    return err.claim === 'nbf' ? 'the token is not valid yet' : `the token's ${err.claim} claim is invalid`;
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'the token signature does not verify';
  if (err instanceof errors.JOSEAlgNotAllowed)
    return 'the token is signed with an algorithm this server does not accept';
  return 'the token is malformed';
}

/** Whether a token's `room` claim admits `room`. */
export function roomAllowed(pattern: string, room: string): boolean {
  return pattern.endsWith('*') ? room.startsWith(pattern.slice(0, -1)) : pattern === room;
}

export interface MintOptions {
  secret: string;
  sub: string;
  /** Required unless `admin`. */
  room?: string;
  /** The server API's grant (`admin: true`). */
  admin?: boolean;
  name?: string;
  /** Lifetime in seconds. */
  ttl: number;
}

/**
 * Mints an HS256 token, for development and tests (`tsunagu token`); production issuers sign
 * their own.
 * @example await mintToken({ secret, sub: 'aiko', room: 'standup', ttl: 3600 })
 */
export async function mintToken(options: MintOptions): Promise<string> {
  if (options.room === undefined ? !options.admin : !ROOM_NAME_PATTERN.test(options.room.replace(/\*$/, '') || 'x'))
    throw new Error('room: not a room name or prefix*');
  const jwt = new SignJWT({
    ...(options.room !== undefined ? { room: options.room } : {}),
    ...(options.name ? { name: options.name } : {}),
    ...(options.admin ? { admin: true } : {}),
  })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(options.sub)
    .setIssuedAt()
    .setExpirationTime(`${options.ttl}s`);
  return jwt.sign(new TextEncoder().encode(options.secret));
}
