/**
 * Who may connect, shared by every edge: not while draining, within the connection limits, with a
 * valid token when tokens are required. A connection is counted from the moment its transport
 * opens and given back when the transport closes — whatever happens in between — so no path can
 * leak a count.
 */
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import type { ErrorCode, Identity } from '../../protocol/index.js';
import { AuthError, type Verify } from '../auth.js';
import type { Config } from '../config.js';

/** Which proxies are believed about the client's address (`--trust-proxy`). */
export type TrustProxy = { hops: number } | { addresses: ReadonlySet<string> };

/** Parses `--trust-proxy`: false, true (one hop), a hop count, or a comma-separated list of proxy addresses. */
export function parseTrustProxy(raw: string): TrustProxy {
  const value = raw.trim();
  if (/^(0|false|no|off)?$/i.test(value)) return { hops: 0 };
  if (/^(true|yes|on)$/i.test(value)) return { hops: 1 };
  if (/^\d+$/.test(value)) return { hops: Number(value) };
  const addresses = value.split(',').map((a) => a.trim());
  for (const a of addresses)
    if (isIP(a) === 0) throw new Error(`must be true, false, a hop count or IP addresses (${a})`);
  return { addresses: new Set(addresses) };
}

const bare = (address: string) => (address.startsWith('::ffff:') ? address.slice(7) : address);

/**
 * The client's address: the connection's peer, or — behind trusted proxies — the rightmost
 * `X-Forwarded-For` entry that is not a trusted proxy. Proxies append what they saw, so the entries
 * a client wrote itself stand to the left and are never taken.
 */
export function clientAddress(req: IncomingMessage, trust: TrustProxy): string {
  const peer = bare(req.socket.remoteAddress ?? 'unknown');
  if ('hops' in trust && trust.hops === 0) return peer;
  const header = req.headers['x-forwarded-for'];
  const forwarded = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((a) => bare(a.trim()))
    .filter(Boolean);
  const chain = [...forwarded, peer];
  if ('hops' in trust) return chain[Math.max(0, chain.length - 1 - trust.hops)];
  for (let i = chain.length - 1; i >= 0; i--) if (!trust.addresses.has(chain[i])) return chain[i];
  return chain[0];
}

export class Refusal extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export class Admission {
  #perAddress = new Map<string, number>();
  total = 0;
  draining = false;

  constructor(
    private readonly config: Pick<Config, 'maxConnections' | 'maxConnectionsPerIp'>,
    private readonly verify: Verify | null,
  ) {}

  /**
   * Counts a transport that just opened from `address`; call the returned function when it closes.
   * `over` says whether it is beyond a limit (it is counted all the same, until it closes).
   */
  open(address: string): { over: boolean; release: () => void } {
    const mine = (this.#perAddress.get(address) ?? 0) + 1;
    this.total++;
    this.#perAddress.set(address, mine);
    let released = false;
    return {
      over: this.total > this.config.maxConnections || mine > this.config.maxConnectionsPerIp,
      release: () => {
        if (released) return;
        released = true;
        this.total--;
        const left = (this.#perAddress.get(address) ?? 1) - 1;
        if (left <= 0) this.#perAddress.delete(address);
        else this.#perAddress.set(address, left);
      },
    };
  }

  /** The checks after counting: draining, limits, token. Resolves with the identity (null in open mode). */
  async admit(over: boolean, token: unknown): Promise<Identity | null> {
    if (this.draining) throw new Refusal('shutting-down', 'this server is shutting down');
    if (over) throw new Refusal('too-many-connections', 'too many connections');
    if (!this.verify) return null;
    try {
      return await this.verify(token);
    } catch (err) {
      if (err instanceof AuthError) throw new Refusal(err.code, err.message);
      throw err;
    }
  }
}
