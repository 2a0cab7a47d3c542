/**
 * Frames of protocol v1 over a plain WebSocket (src/protocol/v1.ts): one JSON object per text
 * frame, parsed once. A signal's `data` is kept as the text its sender wrote when the frame has the
 * exact shape clients write (as src/server/parser.ts does for socket.io's large ones), so it is
 * relayed without a second stringify and its ledger entry holds one string, not the parsed tree.
 * Unlike on socket.io (no WeakMap to fill here), finding the text is cheaper than serialising even
 * for a 250-byte candidate: every signal takes this path (measured: `bench/micro/hot.ts`).
 */
import type { Result } from '../../protocol/index.js';
import type { Numbered } from '../core/session.js';
import { payloadOf } from '../core/session.js';

/** A request as decoded: its event, payload and ack number, and for a signal its data's text. */
export interface Decoded {
  event: string;
  data: unknown;
  ack: number | undefined;
  text: string | undefined;
}

/** Why a frame is not a request: answered `bad-request` (with its ack when it had a valid one). */
export interface Undecodable {
  problem: string;
  ack: number | undefined;
}

const SIGNAL_PREFIX = '{"event":"signal","data":{"to":';
const DATA_KEY = ',"data":';

const isAck = (ack: unknown): ack is number => typeof ack === 'number' && Number.isSafeInteger(ack) && ack > 0;

/**
 * The text of `data.data` in `{"event":"signal","data":{"to":"<to>","data":<data>}}` with an
 * optional `,"ack":<n>` before the last brace — the SDK's exact output; anything else (other key
 * orders, whitespace, extra keys) is serialised again as usual.
 */
function signalText(frame: string, to: string, ack: number | undefined): string | undefined {
  // Compared in place (no prefix string built per frame): `{"event":"signal","data":{"to":` `"<to>"` `,"data":`.
  if (!frame.startsWith(SIGNAL_PREFIX)) return undefined;
  const quoted = JSON.stringify(to);
  if (!frame.startsWith(quoted, SIGNAL_PREFIX.length)) return undefined;
  const start = SIGNAL_PREFIX.length + quoted.length;
  if (!frame.startsWith(DATA_KEY, start)) return undefined;
  const suffix = ack === undefined ? '}}' : `},"ack":${ack}}`;
  if (!frame.endsWith(suffix)) return undefined;
  const text = frame.slice(start + DATA_KEY.length, frame.length - suffix.length);
  // `to` repeated after `data` (duplicate keys parse, the last wins) would carry a second `to` along.
  return text.includes('"to":') ? undefined : text;
}

/** How many keys a parsed object has (no array made, as `Object.keys` would, once per frame). */
function keyCount(o: object): number {
  let n = 0;
  for (const key in o) if (Object.hasOwn(o, key)) n++;
  return n;
}

/** Parses one text frame. */
export function decodeFrame(frame: string): Decoded | Undecodable {
  let value: unknown;
  try {
    value = JSON.parse(frame);
  } catch {
    return { problem: 'a frame is one JSON object', ack: undefined };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { problem: 'a frame is one JSON object', ack: undefined };
  }
  const { event, data, ack } = value as { event?: unknown; data?: unknown; ack?: unknown };
  if (ack !== undefined && !isAck(ack)) return { problem: 'ack: a positive integer', ack: undefined };
  if (typeof event !== 'string') return { problem: 'event: a string', ack };
  let text: string | undefined;
  if (
    event === 'signal' &&
    typeof data === 'object' &&
    data !== null &&
    typeof (data as { to?: unknown }).to === 'string' &&
    keyCount(data) === 2 &&
    keyCount(value) === (ack === undefined ? 2 : 3)
  ) {
    text = signalText(frame, (data as { to: string }).to, ack);
  }
  return { event, data, ack, text };
}

/** The frame of a numbered event; a signal with its data's text is written around that text. */
export function encodeEvent(n: Numbered): string {
  if (n.event === 'signal' && n.text !== undefined) {
    const { from } = n.data as { from: string };
    return `{"event":"signal","data":{"from":${JSON.stringify(from)},"data":${n.text}},"seq":${n.seq}}`;
  }
  return JSON.stringify({ event: n.event, data: payloadOf(n), seq: n.seq });
}

/** The frame of an event outside the session's numbering (`seq` 0): the welcome, an unasked-for error. */
export const encodeUnnumbered = (event: string, data: unknown): string => JSON.stringify({ event, data, seq: 0 });

export const encodeAnswer = (ack: number, result: Result): string => JSON.stringify({ ack, data: result });
