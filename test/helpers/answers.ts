/**
 * What a client may hear from the server, edge by edge, written from the protocol's types: every
 * frame a fuzzing client receives goes through one of these, and anything else is a finding. An
 * answer is a `Result` (`{ ok: true, … }` or exactly `{ ok: false, error: { code, message } }` with
 * a known code); an event is one of ServerToClientEvents with its payload's shape; PeerJS clients
 * hear PeerJS's own messages.
 */
import { errorCodes } from '../../src/protocol/index.js';

const CODES = new Set(Object.keys(errorCodes));
/** ServerToClientEvents (packages/client/src/protocol/events.ts), and the welcome on `/v1`. */
const EVENTS = new Set([
  'session',
  'peer-joined',
  'peer-left',
  'peer-reconnecting',
  'peer-resumed',
  'signal',
  'message',
  'user disconnected',
  'error',
  'server-shutdown',
  'removed',
  'server-message',
]);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const keys = (v: object) => Object.keys(v).sort().join(',');

/** The problem with an error's `{ code, message }` (plus `event` for an error event), or null. */
function errorProblem(error: unknown, withEvent: boolean): string | null {
  if (!isObject(error)) return 'error: not an object';
  if (keys(error) !== (withEvent ? 'code,event,message' : 'code,message')) return `error keys ${keys(error)}`;
  if (!CODES.has(error.code as string)) return `unknown code ${String(error.code)}`;
  if (typeof error.message !== 'string') return 'error.message: not a string';
  if (withEvent && typeof error.event !== 'string') return 'error.event: not a string';
  return null;
}

/** The problem with an ack's `Result`, or null. */
export function resultProblem(result: unknown): string | null {
  if (!isObject(result)) return 'result: not an object';
  if (result.ok === true) return null;
  if (result.ok !== false || keys(result) !== 'error,ok') return `result keys ${keys(result)}`;
  return errorProblem(result.error, false);
}

/** The problem with a server→client event and its payload, or null. */
export function eventProblem(event: unknown, data: unknown): string | null {
  if (typeof event !== 'string' || !EVENTS.has(event)) return `unknown event ${String(event)}`;
  switch (event) {
    case 'error':
      return errorProblem(data, true);
    case 'signal':
      return isObject(data) && typeof data.from === 'string' && 'data' in data ? null : 'signal: no from/data';
    case 'session':
    case 'peer-joined':
    case 'peer-left':
    case 'peer-reconnecting':
    case 'peer-resumed':
      return isObject(data) && typeof data.id === 'string' ? null : `${event}: no id`;
    default:
      return null;
  }
}

const json = (text: string): { value?: unknown; problem?: string } => {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return { problem: 'not JSON' };
  }
};

/**
 * Judges what one raw socket.io connection receives (engine.io packets over a WebSocket): the open
 * packet, pings, CONNECT and CONNECT_ERROR, DISCONNECT, acks carrying a Result, events, and the
 * binary attachments a binary event announced. `ackId` may be any number socket.io's encoder
 * writes (an absurd id comes back as the client sent it, e.g. `1e+20`).
 */
export class SocketIoJudge {
  #attachments = 0;
  #opened = false;
  /** Null when the frame is a valid one; `frame` is text or a binary frame. */
  judge(frame: string | Buffer): string | null {
    if (typeof frame !== 'string') return this.#attachments-- > 0 ? null : 'binary frame not announced';
    if (this.#attachments > 0) return 'text frame while attachments were due';
    if (!this.#opened) {
      this.#opened = true;
      return frame.startsWith('0{') ? null : 'first packet is not open';
    }
    if (frame === '2') return null;
    if (frame === '41') return null;
    const packet = /^4([0-6])(?:(\d+)-)?(\/[^,]*,)?((?:\d+(?:\.\d+)?(?:e\+\d+)?)?)(.*)$/s.exec(frame);
    if (!packet) return 'not a socket.io packet';
    const [, type, attachments, nsp, id, body] = packet;
    const parsed = json(body!);
    if (parsed.problem) return parsed.problem;
    const value = parsed.value;
    switch (type) {
      case '0':
        return isObject(value) && typeof value.sid === 'string' && !nsp ? null : 'CONNECT without sid';
      case '4':
        return isObject(value) &&
          typeof value.message === 'string' &&
          (value.data === undefined || errorProblem(value.data, false) === null)
          ? null
          : 'CONNECT_ERROR shape';
      case '3':
        if (nsp || id === '' || !Array.isArray(value) || value.length !== 1) return 'ACK shape';
        return resultProblem(value[0]);
      case '2':
      case '5': {
        if (nsp || id !== '' || !Array.isArray(value)) return 'EVENT shape';
        if (type === '5') this.#attachments = Number(attachments);
        // With the resume window on, socket.io appends the event's offset (a string).
        const [event, data, offset, ...rest] = value as unknown[];
        if (rest.length > 0 || (offset !== undefined && typeof offset !== 'string')) return 'EVENT arguments';
        return eventProblem(event, data);
      }
      default:
        return `packet type ${type}`;
    }
  }
}

/** Judges a `/v1` frame: the answer `{ ack, data: Result }` or the event `{ event, data, seq }`; binary never. */
export function v1Problem(frame: string | Buffer, first: boolean): string | null {
  if (typeof frame !== 'string') return 'binary frame';
  const { value, problem } = json(frame);
  if (problem) return problem;
  if (!isObject(value)) return 'not an object';
  if (first) return value.event === 'welcome' && value.seq === 0 ? null : 'first frame is not the welcome';
  if ('ack' in value) {
    if (keys(value) !== 'ack,data') return `answer keys ${keys(value)}`;
    if (!Number.isSafeInteger(value.ack) || (value.ack as number) < 1) return `ack ${String(value.ack)}`;
    return resultProblem(value.data);
  }
  // An event without a payload (`user disconnected`) has no `data`.
  const expected = value.event === 'user disconnected' ? 'event,seq' : 'data,event,seq';
  if (keys(value) !== expected) return `event keys ${keys(value)}`;
  if (!Number.isSafeInteger(value.seq) || (value.seq as number) < 0) return `seq ${String(value.seq)}`;
  return eventProblem(value.event, value.data);
}

const RELAYED = new Set(['OFFER', 'ANSWER', 'CANDIDATE', 'LEAVE', 'EXPIRE']);

/** Judges a PeerJS frame: OPEN first, then ERROR with a known code, or a relayed message with src and dst. */
export function peerjsProblem(frame: string | Buffer, first: boolean): string | null {
  if (typeof frame !== 'string') return 'binary frame';
  const { value, problem } = json(frame);
  if (problem) return problem;
  if (!isObject(value)) return 'not an object';
  if (first) return value.type === 'OPEN' && keys(value) === 'type' ? null : 'first frame is not OPEN';
  if (value.type === 'ERROR') {
    if (keys(value) !== 'payload,type' || !isObject(value.payload)) return 'ERROR shape';
    const { msg, code } = value.payload;
    return typeof msg === 'string' && CODES.has(code as string) && keys(value.payload) === 'code,msg'
      ? null
      : 'ERROR payload';
  }
  if (!RELAYED.has(value.type as string)) return `type ${String(value.type)}`;
  if (typeof value.src !== 'string' || typeof value.dst !== 'string') return 'relay without src/dst';
  return /^(dst,payload,src,type|dst,src,type)$/.test(keys(value)) ? null : `relay keys ${keys(value)}`;
}
