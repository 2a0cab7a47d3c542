/**
 * fast-check arbitraries for the edges' wire, at the packet level: Engine.IO/socket.io packets, `/v1`
 * frames and PeerJS messages, built as the text (and binary frames) a client puts on its socket —
 * well-formed packets around every event with every wrong type in each field, and the transports'
 * own garbage: unknown packet types, lying binary attachment counts, absurd ack ids, deep nesting.
 *
 * An input is the frames of one packet (a binary event is its text and its attachments). `hostile`
 * marks an input that breaks the transport's own framing, after which the server may close the
 * connection; it is always the last of its connection's segment (see fuzz-lanes.ts). `"$peer"` in
 * a frame stands for a live fuzzing client's id, filled in when it is sent, so signals reach
 * someone.
 */
import fc from 'fast-check';

/** A text frame's bytes that are not UTF-8: the WebSocket layer refuses them. */
export class NotUtf8 {
  constructor(readonly bytes: Buffer) {}
}
export type Frame = string | Buffer | NotUtf8;
export interface Input {
  frames: Frame[];
  hostile: boolean;
}

const j = JSON.stringify;
/** The rooms the fuzzing clients meet in (none is the bystanders'). */
export const FUZZ_ROOMS = ['fz-0', 'fz-1', 'fz-2'];
/** Stands for a live fuzzing client's id. */
export const PEER = '$peer';

const nest = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
/** JSON text of a value of every wrong type, and the values limits are about. */
const wrongType = fc.constantFrom(
  'null',
  'true',
  'false',
  '0',
  '-1',
  '1.5',
  '1e308',
  '-0',
  '""',
  '"x"',
  '[]',
  '{}',
  '[1,"2",null]',
  '[[[]]]',
  '{"__proto__":{"polluted":true}}',
  '{"constructor":{"prototype":{"polluted":true}}}',
  '"\\u0000\\ud800"',
  '{"_placeholder":true,"num":0}',
  '"__proto__"',
  '"toString"',
  '9007199254740993',
  '-1e400',
);
/** Nesting around the limit (32, the packet array being level 1 on socket.io) and far past it. */
const deep = fc.constantFrom(30, 31, 32, 33, 40, 3_000).map(nest);
const huge = fc.constantFrom(`"${'x'.repeat(70_000)}"`, `"${'y'.repeat(60_000)}"`, `[${'1,'.repeat(20_000)}1]`);

/** JSON text of anything a field might hold. */
export const anyJson: fc.Arbitrary<string> = fc.oneof(
  { weight: 200, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => j(v)) },
  { weight: 120, arbitrary: wrongType },
  { weight: 40, arbitrary: deep },
  { weight: 40, arbitrary: fc.string({ maxLength: 40 }).map(j) },
  { weight: 1, arbitrary: huge },
);

const text = fc.oneof(fc.string({ maxLength: 80 }).map(j), fc.constantFrom('"a b"', '"../x"', `"${'r'.repeat(65)}"`));
/** A field: its right type or any other. */
const field = (valid: fc.Arbitrary<string>) =>
  fc.oneof({ weight: 3, arbitrary: valid }, { weight: 2, arbitrary: anyJson }, { weight: 1, arbitrary: text });

/** An object's JSON text: each field there or not, with an extra key now and then. */
function object(fields: Record<string, fc.Arbitrary<string>>): fc.Arbitrary<string> {
  const keys = Object.keys(fields);
  const extra = fc.option(fc.tuple(fc.constantFrom('__proto__', 'constructor', 'src', 'x', ''), anyJson), { freq: 4 });
  return fc.tuple(fc.tuple(...keys.map((k) => fc.option(fields[k]!, { freq: 6 }))), extra).map(([values, more]) => {
    const parts = keys.flatMap((k, i) => (values[i] === null ? [] : [`${j(k)}:${values[i]}`]));
    if (more) parts.splice(parts.length >> 1, 0, `${j(more[0])}:${more[1]}`);
    return `{${parts.join(',')}}`;
  });
}

const room = fc.oneof(fc.constantFrom(...FUZZ_ROOMS).map(j), fc.constantFrom('""', '"fz 0"', '"ü"'));
const name = fc.oneof(fc.string({ maxLength: 70 }).map(j), fc.constantFrom('"a\\u0007b"', '"\\u202eevil"', '"  "'));
const peer = fc.oneof(
  { weight: 4, arbitrary: fc.constant(j(PEER)) },
  { weight: 1, arbitrary: fc.constant('"nobody"') },
);

/** Every event of the protocol, the keep-alive, and names that are none. */
export const eventName = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom('join', 'leave', 'signal', 'message', 'ping') },
  {
    weight: 3,
    arbitrary: fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'welcome', 'error', ''),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 100 }) },
);

/** A payload for `event`: its own fields with wrong types in them, or anything at all. */
export function payloadFor(event: string): fc.Arbitrary<string> {
  const own =
    event === 'join'
      ? object({ room: field(room), name: field(name) })
      : event === 'signal'
        ? object({ to: field(peer), data: anyJson })
        : event === 'leave'
          ? fc.constant('{}')
          : anyJson;
  return fc.oneof({ weight: 4, arbitrary: own }, { weight: 1, arbitrary: anyJson });
}

/** An event and its payload's JSON text (undefined: no payload). */
const request = eventName.chain((event) =>
  fc.tuple(fc.constant(event), fc.option(payloadFor(event), { freq: 8, nil: undefined })),
);

/** Ack ids: none, ordinary, and absurd (past 2^53, zeros first, twenty digits). */
const ackId = fc.oneof(
  { weight: 4, arbitrary: fc.constant('') },
  { weight: 4, arbitrary: fc.nat({ max: 2 ** 31 }).map(String) },
  { weight: 1, arbitrary: fc.constantFrom('0', '007', '9007199254740993', '99999999999999999999', '1'.repeat(40)) },
);
const bytes = fc.uint8Array({ minLength: 0, maxLength: 64 }).map((b) => Buffer.from(b));
const placeholders = (n: number) => Array.from({ length: n }, (_, num) => `{"_placeholder":true,"num":${num}}`);

/** socket.io EVENT packets on `/` (engine.io message `4`): every event, every payload, any ack id. */
const socketIoEvent = fc
  .tuple(ackId, request, fc.option(fc.array(anyJson, { maxLength: 2 }), { freq: 6 }))
  .map(([id, [event, payload], extra]): Input => {
    const args = [j(event), ...(payload === undefined ? [] : [payload]), ...(extra ?? [])];
    return { frames: [`42${id}[${args.join(',')}]`], hostile: false };
  });

/** BINARY_EVENT and BINARY_ACK with as many attachments as they announce, in signals and messages. */
const honestBinary = fc
  .tuple(fc.integer({ min: 1, max: 3 }), ackId, fc.constantFrom('signal', 'message', 'join', 'nope'), bytes)
  .map(([n, id, event, data]): Input => {
    const held = `[${placeholders(n).join(',')}]`;
    const payload = event === 'signal' ? `{"to":${j(PEER)},"data":${held}}` : held;
    return {
      frames: [`45${n}-${id}[${j(event)},${payload}]`, ...Array.from({ length: n }, () => data)],
      hostile: false,
    };
  });

/** What a client may send besides events: acks for nothing asked, the keep-alive's pong, noop. */
const socketIoOther = fc.oneof(
  anyJson.map((p): Input => ({ frames: [`43${p.length % 7}[${p}]`], hostile: false })),
  bytes.map((b): Input => ({ frames: [`461-12[${placeholders(1)[0]}]`, b], hostile: false })),
  fc.constantFrom('3', '6').map((f): Input => ({ frames: [f], hostile: false })),
);

/**
 * Engine.IO and socket.io framing broken every way: unknown packet types, a client ping (wrong
 * direction on EIO 4), CONNECT again, DISCONNECT, other namespaces, reserved event names, JSON that
 * is none, attachment counts that lie (fewer or more binary frames than announced, counts of 0, −1,
 * 11, 1e3), placeholders pointing nowhere, binary out of the blue, text that is not UTF-8, and a
 * frame past the transport's cap.
 */
const socketIoHostile: fc.Arbitrary<Input> = fc
  .oneof(
    fc
      .constantFrom(
        '',
        '0',
        '1',
        '2',
        '2probe',
        '5',
        '7',
        '8',
        '9',
        'x',
        '\u{1F4A5}',
        '4',
        '47[]',
        '4x',
        '4-1',
        '40',
        '41',
      )
      .map((f) => [f]),
    fc.constantFrom('40{}', '44{"message":"x"}', '40/admin,', '42/admin,["join",{}]', '41/admin,').map((f) => [f]),
    fc
      .constantFrom('42[', '42{}', '42"x"', '42[]', '42[null]', '42[{}]', '42["connect"]', '42["disconnect"]')
      .map((f) => [f]),
    fc
      .constantFrom('42-1["join",{}]', '42x["join",{}]', '421.5["join",{}]', '42 1["join",{}]', '43/admin,1[{}]')
      .map((f) => [f]),
    fc.constantFrom('451-/admin,["message",{"_placeholder":true,"num":0}]').map((f) => [f, Buffer.from([1])]),
    fc.constantFrom('42["newListener",{}]', '42["removeListener"]', '43{}', '4' + nest(5_000)).map((f) => [f]),
    fc.string({ maxLength: 60 }).map((s) => [`4${s}`]),
    fc
      .tuple(fc.integer({ min: 1, max: 10 }), fc.integer({ min: 0, max: 12 }), bytes)
      .filter(([told, sent]) => told !== sent)
      .map(([told, sent, b]) => [
        `45${told}-["signal",{"to":${j(PEER)},"data":[${placeholders(told)}]}]`,
        ...Array(sent).fill(b),
      ]),
    fc
      .tuple(fc.constantFrom('99999', '-1', '"0"', '1e308', 'null', '{}'), bytes)
      .map(([num, b]) => [`451-["message",{"_placeholder":true,"num":${num}}]`, b]),
    fc.constantFrom('0', '-1', '11', 'x', '1e3', '99999999999', '').map((n) => [`45${n}-["message",{}]`]),
    fc.constantFrom('451-[' + nest(4_000) + ',{"_placeholder":true,"num":0}]').map((f) => [f, Buffer.from([1])]),
    bytes.map((b) => [b]),
    bytes.map((b) => [`b${b.toString('base64')}`]),
    fc.constant<Frame[]>([new NotUtf8(Buffer.from([0x34, 0x32, 0xff, 0xfe]))]),
    fc.constant<Frame[]>([`42["message","${'z'.repeat(300_000)}"]`]),
  )
  .map((frames: Frame[]): Input => ({ frames, hostile: true }));

/** Frames for the socket.io edge. */
export const socketIoInput: fc.Arbitrary<Input> = fc.oneof(
  { weight: 80, arbitrary: socketIoEvent },
  { weight: 6, arbitrary: honestBinary },
  { weight: 6, arbitrary: socketIoOther },
  { weight: 1, arbitrary: socketIoHostile },
);

/** `/v1` ack numbers: none, valid, and every wrong one (0, negative, fractional, past 2^53, strings). */
const v1Ack = fc.oneof(
  { weight: 3, arbitrary: fc.constant(undefined) },
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 2 ** 31 }).map(String) },
  { weight: 2, arbitrary: fc.constantFrom('0', '-1', '1.5', '9007199254740993', '1e400', '"1"', 'null', 'true', '[]') },
);

/** `/v1` frames: requests with every event and payload, wrong ack types, and frames that are no request. */
export const v1Input: fc.Arbitrary<Input> = fc.oneof(
  {
    weight: 160,
    arbitrary: fc.tuple(request, v1Ack, fc.boolean()).map(([[event, data], ack, ackFirst]): Input => {
      const parts = [`"event":${j(event)}`, ...(data === undefined ? [] : [`"data":${data}`])];
      if (ack !== undefined) parts.splice(ackFirst ? 0 : parts.length, 0, `"ack":${ack}`);
      return { frames: [`{${parts.join(',')}}`], hostile: false };
    }),
  },
  {
    weight: 20,
    arbitrary: fc.tuple(anyJson, anyJson, v1Ack).map(([event, data, ack]): Input => ({
      frames: [`{"event":${event},"data":${data},"ack":${ack ?? 1}}`],
      hostile: false,
    })),
  },
  { weight: 8, arbitrary: anyJson.map((f): Input => ({ frames: [f], hostile: false })) },
  { weight: 6, arbitrary: fc.string({ maxLength: 80 }).map((f): Input => ({ frames: [f], hostile: false })) },
  { weight: 4, arbitrary: bytes.map((b): Input => ({ frames: [b], hostile: false })) },
  {
    weight: 1,
    arbitrary: fc
      .oneof(
        { weight: 4, arbitrary: fc.constant<Frame>(new NotUtf8(Buffer.from('{"event":"\xff"}', 'latin1'))) },
        { weight: 1, arbitrary: fc.constant<Frame>(`{"event":"message","data":"${'z'.repeat(300_000)}"}`) },
      )
      .map((f: Frame): Input => ({ frames: [f], hostile: true })),
  },
);

/** A LEAVE to no one: PeerJS's way for a peer to leave the server. */
function leavesServer(frame: string): boolean {
  if (!frame.includes('"LEAVE"')) return false;
  const { type, dst } = JSON.parse(frame) as { type?: unknown; dst?: unknown };
  return type === 'LEAVE' && dst === undefined;
}

const peerjsType = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('OFFER', 'ANSWER', 'CANDIDATE', 'LEAVE', 'EXPIRE', 'HEARTBEAT').map(j) },
  { weight: 1, arbitrary: fc.constantFrom('"OPEN"', '"ERROR"', '"ID-TAKEN"', '"offer"', '""') },
  { weight: 1, arbitrary: anyJson },
);
const peerjsDst = fc.oneof(
  { weight: 5, arbitrary: fc.constant(j(PEER)) },
  { weight: 1, arbitrary: fc.constantFrom('"nobody-here"', '"bad id!"', `"${'a'.repeat(129)}"`) },
  { weight: 1, arbitrary: anyJson },
);

/** PeerJS messages: every type with a missing or wrong dst, payloads of every type, and frames that are none. */
export const peerjsInput: fc.Arbitrary<Input> = fc.oneof(
  {
    weight: 85,
    arbitrary: object({ type: peerjsType, dst: peerjsDst, payload: fc.oneof(anyJson, payloadFor('signal')), src: text })
      // A LEAVE to no one is the peer leaving the server: its connection ends there.
      .map((f): Input => ({ frames: [f], hostile: leavesServer(f) })),
  },
  { weight: 6, arbitrary: anyJson.map((f): Input => ({ frames: [f], hostile: false })) },
  { weight: 4, arbitrary: fc.string({ maxLength: 80 }).map((f): Input => ({ frames: [f], hostile: false })) },
  { weight: 2, arbitrary: bytes.map((b): Input => ({ frames: [b], hostile: false })) },
  {
    weight: 1,
    arbitrary: fc
      .oneof(
        { weight: 4, arbitrary: fc.constant<Frame>(new NotUtf8(Buffer.from('{"type":"\xff"}', 'latin1'))) },
        { weight: 1, arbitrary: fc.constant<Frame>(`{"type":"OFFER","dst":"x","payload":"${'z'.repeat(300_000)}"}`) },
      )
      .map((f: Frame): Input => ({ frames: [f], hostile: true })),
  },
);
