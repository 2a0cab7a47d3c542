/**
 * The gate every inbound event passes, whatever edge it came through: a known event, within the
 * session's rate, within the payload limit, then its schema. Whatever happens, the sender gets one
 * answer, in one error shape.
 */
import type { z } from 'zod';
import { protocolError, type Result } from '../../protocol/index.js';

/** Shared, frozen: the hot path answers without allocating. */
export const OK = Object.freeze({ ok: true as const });

/**
 * The payload of an event whose frame was over `--max-payload` (its `bytes`, binary parts
 * included): an edge's decoder puts it in place of the payload, and the gate answers it.
 */
export class OversizePayload {
  constructor(readonly bytes: number) {}
}

export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'payload'}: ${issue.message}`)
    .join('; ');
}

/**
 * A token bucket: `rate` tokens a second, at most `burst` saved up. Written here rather than taken
 * from a rate-limiting package because it runs on every event of the hot path: two numbers and a
 * subtraction, no promise, no timer, nothing allocated.
 */
export class TokenBucket {
  #tokens: number;
  #last: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    now = performance.now(),
  ) {
    this.#tokens = burst;
    this.#last = now;
  }

  take(now = performance.now()): boolean {
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) * this.rate) / 1000);
    this.#last = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

/** The schema check: the parsed payload, or the `bad-request` answer. */
export function parse<S extends z.ZodType>(
  event: string,
  schema: S,
  payload: unknown,
): { ok: true; value: z.infer<S> } | Result {
  const parsed = schema.safeParse(payload);
  if (!parsed.success) return protocolError('bad-request', `${event}: ${describeIssues(parsed.error)}`);
  return { ok: true, value: parsed.data };
}
