/**
 * The gate every inbound event passes, whatever edge it came through: a known event, within the
 * session's rate, within the payload limit, then its schema. Whatever happens, the sender gets one
 * answer, in one error shape.
 */
import type { z } from 'zod';
import { MAX_NESTING_DEPTH, protocolError, type Result } from '../../protocol/index.js';

/** Shared, frozen: the hot path answers without allocating. */
export const OK = Object.freeze({ ok: true as const });

/**
 * The payload of an event whose frame was over `--max-payload` (its `bytes`, binary parts
 * included): an edge's decoder puts it in place of the payload, and the gate answers it.
 */
export class OversizePayload {
  constructor(readonly bytes: number) {}
}

/**
 * In place of an event whose frame was no request at all (not JSON, binary where text is due, no
 * event name): an edge that decodes frames itself hands it over, and the gate answers `bad-request`
 * — after the rate limit, like every other frame.
 */
export class MalformedFrame {
  constructor(readonly problem: string) {}
}

/**
 * The payload of an event whose frame nested deeper than `MAX_NESTING_DEPTH`: an edge's decoder
 * puts it in place of the payload (the value never goes further), and the gate answers it.
 */
export class TooDeepPayload {
  constructor(readonly max = MAX_NESTING_DEPTH) {}
}

/**
 * Whether `value` (as JSON.parse or socket.io's decoder made it) nests deeper than `max` arrays
 * and objects, its outermost one being level 1. Every edge asks this of each decoded frame,
 * before any schema: JSON.stringify, socket.io's encoder and a resume's replay all recurse, and a
 * few KB of `[[[[…]]]]` would make them throw wherever the value went next. It walks with its own
 * stack (so it cannot overflow itself), stops at the first level too deep, and treats binary
 * (Buffer, ArrayBuffer, typed arrays) as leaves. A signal's value is a handful of nodes: cheap.
 * @example
 * const value: unknown = JSON.parse(text);
 * if (tooDeep(value)) return fail('bad-request', `nested deeper than ${MAX_NESTING_DEPTH} levels`);
 */
export function tooDeep(value: unknown, max: number = MAX_NESTING_DEPTH): boolean {
  if (typeof value !== 'object' || value === null) return false;
  // Two parallel stacks and `for…in`: nothing allocated per node (it runs on every frame).
  const stack: object[] = [value];
  const depths: number[] = [1];
  while (stack.length > 0) {
    const v = stack.pop()!;
    const d = depths.pop()!;
    if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) continue;
    if (d > max) return true;
    if (Array.isArray(v)) {
      for (const child of v as unknown[]) {
        if (typeof child === 'object' && child !== null) {
          stack.push(child);
          depths.push(d + 1);
        }
      }
    } else {
      for (const key in v) {
        if (!Object.hasOwn(v, key)) continue;
        const child = (v as Record<string, unknown>)[key];
        if (typeof child === 'object' && child !== null) {
          stack.push(child);
          depths.push(d + 1);
        }
      }
    }
  }
  return false;
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
