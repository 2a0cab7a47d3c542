/**
 * Who holds a PeerJS id. PeerJS server answers ID-TAKEN when an id is in use under another token,
 * and lets the same token take it back (the client's `reconnect()`). One node decides from its own
 * map; a cluster decides in Redis, in one atomic script, so two nodes never hand out the same id.
 */
import { createHash } from 'node:crypto';
import type { Store } from '../core/redis.js';

export interface IdClaims {
  /** Takes `id` for `token` on `node`: false when another token holds it. */
  claim(id: string, token: string): Promise<boolean>;
  /** Gives `id` back, if `token` still holds it here (a newer claim of another node stays). */
  release(id: string, token: string): void;
  close(): void;
}

/** On one node the endpoint's own map of connected peers already says who holds what. */
export const localClaims: IdClaims = {
  claim: async () => true,
  release: () => {},
  close: () => {},
};

/** A claim's value is `<node>|<sha256(token)>`: the token is a secret (possibly a JWT) and never stored. */
const CLAIM = `
local held = redis.call('GET', KEYS[1])
if held and string.sub(held, string.find(held, '|', 1, true) + 1) ~= ARGV[2] then return 0 end
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. ARGV[2], 'PX', ARGV[3])
return 1`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** Claims are leases, renewed while held, so ids of a node that died come free by themselves. */
const LEASE_MS = 30_000;

export function redisClaims(
  store: Store,
  node: string,
  /** The ids this node holds now, with their tokens. */
  held: () => Iterable<{ id: string; token: string }>,
): IdClaims {
  const key = (id: string) => `tsunagu:peerjs:id:${id}`;
  const hash = (token: string) => createHash('sha256').update(token).digest('base64url');
  const claim = (id: string, token: string) => store.eval(CLAIM, [key(id)], [node, hash(token), String(LEASE_MS)]);
  const renew = setInterval(() => {
    // The same script as a claim: it also puts a claim back if Redis lost it (a restart).
    for (const { id, token } of held()) claim(id, token).catch(() => {}); // Redis away: next round
  }, LEASE_MS / 3);
  renew.unref();
  return {
    claim: async (id, token) => (await claim(id, token)) === 1,
    release(id, token) {
      const value = `${node}|${hash(token)}`;
      store.eval(RELEASE, [key(id)], [value]).catch(() => {}); // the lease runs out otherwise
    },
    close: () => clearInterval(renew),
  };
}
