/**
 * socket.io's own parser, with two jobs added to its decoder (plugged in through the `parser`
 * option) — both need the packet as it arrived, and the decoder is the one place that sees it
 * with its event:
 *
 * - Judging each event's size. socket.io decodes a packet as it arrives but hands the event to
 *   its socket a tick later, and packets read together (pipelined in one TCP read) are all decoded
 *   first, so anything that notes "the last packet's size" for the handler would give one event
 *   the size of the next. An event over `--max-payload` has its payload replaced here, before
 *   anyone sees it, by an `OversizePayload` that the handler answers with `payload-too-large`.
 *
 * - Refusing values nested deeper than `MAX_NESTING_DEPTH` (`tooDeep`, the packet's array being
 *   level 1): the payload is replaced by a `TooDeepPayload`, answered with `bad-request`, so no
 *   such value ever reaches an encoder (which would recurse until the stack runs out).
 *
 * - Relaying a description as the text its sender's client wrote. socket.io parses every packet
 *   (it must: the event name, the schema) and serialises every packet it sends: for a signal
 *   carrying a 4–7 KB description, a parse and then a second `JSON.stringify` with every line end
 *   escaped — under the call-rate load the largest single cost of the server (16 % of its CPU).
 *   The decoder remembers the `data` text of each such `signal`, and the relay writes it back
 *   between a server-stamped `from` and the packet's end (`signalPacket`). Only a packet of the
 *   exact shape socket.io-client writes for `emit('signal', { to, data })` is taken this way;
 *   anything else (other key orders, extra keys, whitespace, binary) is serialised as usual. The
 *   wire format is unchanged: receivers parse the same value either way.
 */
import { Decoder, type Packet } from 'socket.io-parser';
import type { SignalEvent } from '../protocol/index.js';
import { OversizePayload, TooDeepPayload, tooDeep } from './core/gate.js';

/** The text of each signal payload's `data`, by payload object (as the decoder handed it over). */
const texts = new WeakMap<object, string>();

const EVENT = '2'.charCodeAt(0);
/**
 * Signals at least this long are relayed as their text. A candidate (~250 bytes) is serialised
 * again: measured, the text path cost small signals ~10 % of throughput (a WeakMap entry and the
 * string checks against a JSON.stringify of a few hundred bytes).
 */
const TEXT_FROM = 1024;

/**
 * The `data` text of a packet `2<ack id>["signal",{"to":"<to>","data":<data>}]`: the JSON from the
 * packet's first `[`, with this exact prefix and `}]` at the end. Two keys exactly, so the middle
 * is `data`'s text — unless `to` was repeated after it (duplicate keys parse, last one wins), which
 * would carry a second `to` along: a middle holding `"to":` anywhere is left to the usual way.
 */
function dataText(packetText: string, payload: { to?: unknown }): string | undefined {
  if (typeof payload.to !== 'string' || Object.keys(payload).length !== 2) return undefined;
  const start = packetText.indexOf('[');
  const prefix = `["signal",{"to":${JSON.stringify(payload.to)},"data":`;
  if (!packetText.startsWith(prefix, start) || !packetText.endsWith('}]')) return undefined;
  const text = packetText.slice(start + prefix.length, -2);
  return text.includes('"to":') ? undefined : text;
}

export { OversizePayload, TooDeepPayload };

/** The decoder class for a server with this payload limit. */
export function decoderFor(maxPayloadBytes: number): typeof Decoder {
  // UTF-8 takes at most 3 bytes per UTF-16 unit: most packets are within the limit by their
  // length alone, and need no pass over their bytes (an SDP offer is ~6 KB).
  const surelyWithin = Math.floor(maxPayloadBytes / 3);
  return class TsunaguDecoder extends Decoder {
    #text = '';
    /** Bytes of the packet being decoded: its text, and the binary parts that follow it. */
    #bytes = 0;

    constructor(...args: ConstructorParameters<typeof Decoder>) {
      super(...args);
      // Registered before socket.io's own listener: whatever is done here is done when the event
      // reaches its socket. (socket.io-parser emits through its base class, so no override.)
      this.on('decoded', (packet: Packet) => {
        if (packet.type === 2) this.#decoded(packet);
      });
    }

    override add(obj: unknown): void {
      if (typeof obj === 'string') {
        this.#text = obj;
        this.#bytes = obj.length <= surelyWithin ? obj.length : Buffer.byteLength(obj);
      } else {
        this.#text = '';
        this.#bytes += (obj as { byteLength?: number }).byteLength ?? 0;
      }
      super.add(obj);
      this.#text = ''; // not kept alive by an idle connection
    }

    /** An event (a binary event is an EVENT by now), as decoded. */
    #decoded(packet: Packet): void {
      const data = packet.data as unknown[];
      if (this.#bytes > maxPayloadBytes) {
        packet.data = [data[0], new OversizePayload(this.#bytes)];
        return;
      }
      if (tooDeep(data)) {
        packet.data = [data[0], new TooDeepPayload()];
        return;
      }
      // Straight from a text packet (a binary event is decoded on its last attachment), and long
      // enough to be worth it: below a kilobyte, finding the text costs more than serialising.
      if (this.#bytes < TEXT_FROM || this.#text.charCodeAt(0) !== EVENT || packet.nsp !== '/') return;
      const [event, payload] = data;
      if (event !== 'signal' || typeof payload !== 'object' || payload === null) return;
      const text = dataText(this.#text, payload);
      if (text !== undefined) texts.set(payload, text);
    }
  };
}

/** The text `payload.data` arrived as, if the decoder could take it. */
export const signalDataText = (payload: unknown): string | undefined =>
  typeof payload === 'object' && payload !== null ? texts.get(payload) : undefined;

/**
 * A `signal` event as socket.io's encoder writes it (`2["signal",{"from":…,"data":…}]`, and the
 * recovery offset last if any), ready for `writeToEngine`: from `data`'s text when the decoder kept
 * it, else by `encoder` (whose output may be several parts when the data carries binary).
 */
export function encodeSignal(
  encoder: { encode(packet: Packet): unknown[] },
  signal: Pick<SignalEvent, 'from'> & { data?: unknown },
  dataText: string | undefined,
  offset?: string,
): unknown[] {
  if (dataText === undefined) {
    const data: unknown[] = offset === undefined ? ['signal', signal] : ['signal', signal, offset];
    return encoder.encode({ type: 2, nsp: '/', data });
  }
  const from = JSON.stringify(signal.from);
  return [`2["signal",{"from":${from},"data":${dataText}}${offset === undefined ? '' : `,${JSON.stringify(offset)}`}]`];
}
