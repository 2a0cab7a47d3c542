/**
 * Fuzzing clients at the packet level, one per "lane": a raw WebSocket on one edge that sends the
 * inputs of packets.ts, judges every frame it receives (answers.ts), and carries on over a new
 * connection when the server closes one.
 *
 * Inputs go out in segments: well-formed inputs pipelined, up to and including one `hostile`
 * input, then a probe (a request that is always answered). The probe's answer means the server
 * read the whole segment and kept the connection; a close means it ended the connection at the
 * hostile input — which only a hostile input may cause: a close after a segment of well-formed
 * inputs is a finding, narrowed down to the input that caused it.
 */
import { once } from 'node:events';
import WebSocket from 'ws';
import { SocketIoJudge, peerjsProblem, v1Problem } from './answers.js';
import { NotUtf8, PEER, type Frame, type Input } from './packets.js';

/** What differs between edges: how to connect, the probe, and what a valid frame is. */
export interface EdgeWire {
  name: string;
  /** The WebSocket URL of a new connection (`n`: its number, for ids). */
  url(port: number, n: number): string;
  /** The connection's id once it is ready (after the handshake frames, which `judge` also sees). */
  ready(frame: string, ws: WebSocket): string | null;
  probe(n: number): string;
  isProbeAnswer(frame: string, n: number): boolean;
  judge(): (frame: string | Buffer) => string | null;
}

/** Probe numbers sit above any ack id the fuzz generates below 2^31 and below 2^53. */
const PROBE_BASE = 2 ** 50;

export const socketIoWire: EdgeWire = {
  name: 'socket.io',
  url: (port) => `ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`,
  ready(frame, ws) {
    if (frame.startsWith('0{')) ws.send('40');
    return frame.startsWith('40{') ? (JSON.parse(frame.slice(2)) as { sid: string }).sid : null;
  },
  probe: (n) => `42${PROBE_BASE + n}["fuzz-probe"]`,
  isProbeAnswer: (frame, n) => frame.startsWith(`43${PROBE_BASE + n}[`),
  judge() {
    const judge = new SocketIoJudge();
    return (frame) => judge.judge(frame);
  },
};

export const v1Wire: EdgeWire = {
  name: '/v1',
  url: (port) => `ws://127.0.0.1:${port}/v1`,
  ready: (frame) =>
    frame.startsWith('{"event":"welcome"') ? (JSON.parse(frame) as { data: { id: string } }).data.id : null,
  probe: (n) => `{"event":"ping","ack":${PROBE_BASE + n}}`,
  isProbeAnswer: (frame, n) => frame.startsWith(`{"ack":${PROBE_BASE + n},`),
  judge() {
    let first = true;
    return (frame) => v1Problem(frame, first ? !(first = false) : false);
  },
};

export const peerjsWire: EdgeWire = {
  name: '/peerjs',
  url: (port, n) => `ws://127.0.0.1:${port}/peerjs/peerjs?key=peerjs&id=fuzz${n}&token=t${n}`,
  ready: (frame, ws) => (frame === '{"type":"OPEN"}' ? new URL(ws.url).searchParams.get('id') : null),
  // An unknown type is answered ERROR unknown-event, naming it.
  probe: (n) => `{"type":"PROBE-${n}"}`,
  isProbeAnswer: (frame, n) => frame.startsWith('{"type":"ERROR"') && frame.includes(`'PROBE-${n}'`),
  judge() {
    let first = true;
    return (frame) => peerjsProblem(frame, first ? !(first = false) : false);
  },
};

/** What all lanes of a run share: the live ids `$peer` stands for, counts, and findings. */
export class FuzzRun {
  readonly ids = new Set<string>();
  readonly problems: string[] = [];
  received = 0;
  reconnects = 0;
  #connections = 0;
  #probes = 0;
  constructor(readonly port: number) {}
  nextConnection = () => ++this.#connections;
  nextProbe = () => ++this.#probes;
  problem(text: string): void {
    if (this.problems.length < 20) this.problems.push(text);
  }
}

interface Connection {
  ws: WebSocket;
  id: string;
  closed: Promise<void>;
  /** Called with each frame after the handshake. */
  waiter: ((frame: string) => void) | null;
}

export class Lane {
  #conn: Connection | null = null;
  #turn = 0;
  constructor(
    readonly run: FuzzRun,
    readonly wire: EdgeWire,
    /** The ids `$peer` may stand for in this lane's frames. */
    readonly peers: () => string[],
  ) {}

  async #open(): Promise<Connection> {
    const n = this.run.nextConnection();
    const ws = new WebSocket(this.wire.url(this.run.port, n));
    const judge = this.wire.judge();
    const conn: Connection = { ws, id: '', closed: once(ws, 'close').then(() => {}), waiter: null };
    ws.on('error', () => {}); // a close follows
    let ready: (id: string) => void = () => {};
    const opened = new Promise<string>((resolve) => (ready = resolve));
    ws.on('message', (data: Buffer, isBinary) => {
      const frame = isBinary ? data : data.toString();
      this.run.received++;
      if (frame === '2') ws.send('3'); // engine.io's ping (socket.io lanes)
      const problem = judge(frame);
      if (problem) this.run.problem(`${this.wire.name} received ${String(frame).slice(0, 300)}: ${problem}`);
      if (typeof frame !== 'string') return;
      if (conn.id === '') {
        const id = this.wire.ready(frame, ws);
        if (id !== null) ready((conn.id = id));
      } else conn.waiter?.(frame);
    });
    await Promise.race([
      opened,
      conn.closed.then(() => Promise.reject(new Error(`${this.wire.name}: closed at once`))),
    ]);
    this.run.ids.add(conn.id);
    void conn.closed.then(() => this.run.ids.delete(conn.id));
    return conn;
  }

  #send(ws: WebSocket, frame: Frame): void {
    if (frame instanceof NotUtf8) ws.send(frame.bytes, { binary: false });
    else if (typeof frame === 'string') {
      const peers = this.peers();
      ws.send(
        frame.includes(PEER)
          ? frame.replaceAll(`"${PEER}"`, JSON.stringify(peers[this.#turn++ % peers.length] ?? 'x'))
          : frame,
      );
    } else ws.send(frame);
  }

  /** Sends `inputs` and a probe on the current connection: true when it answered, false when it closed. */
  async #segment(inputs: Input[]): Promise<boolean> {
    const conn = (this.#conn ??= await this.#open());
    for (const input of inputs) for (const frame of input.frames) this.#send(conn.ws, frame);
    const n = this.run.nextProbe();
    const answered = new Promise<boolean>((resolve) => {
      conn.waiter = (frame) => this.wire.isProbeAnswer(frame, n) && resolve(true);
    });
    this.#send(conn.ws, this.wire.probe(n));
    const survived = await Promise.race([answered, conn.closed.then(() => false)]);
    if (!survived) {
      this.#conn = null;
      this.run.reconnects++;
    }
    return survived;
  }

  /** Sends every input, segment by segment; a close after a well-formed segment is narrowed down to its input. */
  async send(inputs: Input[]): Promise<void> {
    for (let start = 0; start < inputs.length;) {
      let end = start;
      while (end < inputs.length && !inputs[end]!.hostile) end++;
      end = Math.min(end + 1, inputs.length);
      const segment = inputs.slice(start, end);
      if (!(await this.#segment(segment)) && !segment.at(-1)!.hostile) await this.#culprit(segment);
      start = end;
    }
  }

  async #culprit(segment: Input[]): Promise<void> {
    for (const input of segment) {
      if (!(await this.#segment([input]))) {
        const shown = input.frames.map((f) => (typeof f === 'string' ? f.slice(0, 300) : `<${f.constructor.name}>`));
        return this.run.problem(
          `${this.wire.name} closed the connection after a well-formed input: ${shown.join(' ')}`,
        );
      }
    }
    this.run.problem(`${this.wire.name} closed the connection after a well-formed segment, not after any one input`);
  }

  close(): Promise<void> {
    const conn = this.#conn;
    this.#conn = null;
    if (!conn) return Promise.resolve();
    conn.ws.close();
    return conn.closed;
  }
}
