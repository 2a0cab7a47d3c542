/**
 * When to try again after a link is lost or refused: a small replaceable object, as LiveKit's
 * `ReconnectPolicy`. The default backs off exponentially with jitter, so the clients of a node
 * that went away do not all come back in the same instant.
 */

export interface ReconnectContext {
  /** Attempts since the link was last up: 0 for the first try after it went. */
  attempt: number;
  /** Why: `link-lost`, `server-shutdown`, or a refusal's code (`shutting-down`, `too-many-connections`). */
  reason: string;
}

export interface ReconnectPolicy {
  /** How long to wait before the next attempt, in ms; `null` gives up (the client ends `closed`). */
  nextDelayMs(context: ReconnectContext): number | null;
}

export interface BackoffOptions {
  /** The first delay, in ms, doubled per attempt. Default 250. */
  initialDelayMs?: number;
  /** The ceiling, in ms. Default 5 000 (socket.io's `reconnectionDelayMax`). */
  maxDelayMs?: number;
  /** Give up after this many attempts in a row. Default: never. */
  maxAttempts?: number;
}

/**
 * @example
 * new SignalingClient(url, { reconnect: new Backoff({ maxAttempts: 10 }) });
 */
export class Backoff implements ReconnectPolicy {
  #options: Required<BackoffOptions>;

  constructor(options: BackoffOptions = {}) {
    this.#options = { initialDelayMs: 250, maxDelayMs: 5_000, maxAttempts: Infinity, ...options };
  }

  nextDelayMs({ attempt }: ReconnectContext): number | null {
    const { initialDelayMs, maxDelayMs, maxAttempts } = this.#options;
    if (attempt >= maxAttempts) return null;
    const ceiling = Math.min(maxDelayMs, initialDelayMs * 2 ** attempt);
    // Half fixed, half random ("equal jitter"): spread out, yet never much sooner than planned.
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }
}
