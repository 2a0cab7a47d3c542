/** A socket.io client written by hand over a bare WebSocket: it can send any text at all. */
import type { Socket } from 'node:net';
import assert from 'node:assert/strict';
import { after } from 'node:test';
import WebSocket from 'ws';

export interface RawClient {
  /** The socket.io id the server gave it. */
  id: string;
  /** Sends one engine.io packet, e.g. `42["signal",{…}]`. */
  send(packet: string): void;
  /** Sends packets so that the server reads them in one go (pipelined). */
  sendTogether(...packets: string[]): void;
  /** The next packet the server sent (pings are answered, not returned). */
  answer(): Promise<string>;
}

/** Engine.io open, socket.io connect; then raw event packets. */
export async function rawClient(port: number): Promise<RawClient> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`);
  after(() => ws.close());
  const inbox: string[] = [];
  const waiting: Array<(text: string) => void> = [];
  ws.on('message', (raw) => {
    const text = raw.toString();
    if (text === '2') return ws.send('3'); // engine.io ping
    const waiter = waiting.shift();
    if (waiter) waiter(text);
    else inbox.push(text);
  });
  const answer = () =>
    new Promise<string>((resolve, reject) => {
      const queued = inbox.shift();
      if (queued !== undefined) return resolve(queued);
      const timer = setTimeout(() => reject(new Error('no answer within 5 s')), 5000);
      waiting.push((text) => {
        clearTimeout(timer);
        resolve(text);
      });
    });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  assert.match(await answer(), /^0\{/); // engine.io handshake
  ws.send('40');
  const connected = await answer();
  const id = (JSON.parse(connected.slice(2)) as { sid: string }).sid;
  return {
    id,
    send: (packet) => ws.send(packet),
    sendTogether(...packets) {
      // ws writes each frame to its TCP socket: corked, they leave in one write, and on loopback
      // the server reads them in one go.
      const socket = (ws as unknown as { _socket: Socket })._socket;
      socket.cork();
      for (const packet of packets) ws.send(packet);
      socket.uncork();
    },
    answer,
  };
}
