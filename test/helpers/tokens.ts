/** Tokens for the auth specs, signed with jose the way an app's issuer would. */
import { SignJWT, type CryptoKey } from 'jose';

export const SECRET = 'test-secret-0123456789abcdefghijklmnop';

export interface Claims {
  sub?: string;
  room?: string;
  name?: string;
  /** Seconds from now; negative for the past. */
  exp?: number;
  nbf?: number;
}

export async function sign(
  claims: Claims,
  key: Uint8Array | CryptoKey = new TextEncoder().encode(SECRET),
  alg = 'HS256',
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({
    ...(claims.room ? { room: claims.room } : {}),
    ...(claims.name ? { name: claims.name } : {}),
  })
    .setProtectedHeader({ alg })
    .setIssuedAt();
  if (claims.sub) jwt.setSubject(claims.sub);
  jwt.setExpirationTime(now + (claims.exp ?? 3600));
  if (claims.nbf !== undefined) jwt.setNotBefore(now + claims.nbf);
  return jwt.sign(key);
}
