/**
 * Real socket.io-client 1.7.4 and 2.5.0 (Engine.IO v3), installed under npm aliases, for the specs
 * of the classic tutorial's era: connected, awaited and closed like the v4 clients in clients.ts.
 */
import { after } from 'node:test';
import ioV1 from 'socket.io-client-v1';
import ioV2 from 'socket.io-client-v2';

/** The part of a 1.x/2.x socket the specs touch (neither version ships its own types). */
export interface LegacySocket {
  id: string;
  connected: boolean;
  /** Always the socket itself: `socket.json.send(obj)` is the tutorial's way to send. */
  json: LegacySocket;
  io: { engine: { close(): void } };
  on(event: string, listener: (...args: unknown[]) => void): LegacySocket;
  once(event: string, listener: (...args: unknown[]) => void): LegacySocket;
  off(event: string, listener: (...args: unknown[]) => void): LegacySocket;
  send(...args: unknown[]): LegacySocket;
  emit(event: string, ...args: unknown[]): LegacySocket;
  disconnect(): LegacySocket;
}

export type LegacyIo = ((url: string, options?: object) => LegacySocket) & {
  connect(url: string, options?: object): LegacySocket;
};

export const legacyClients = { '1.7.4': ioV1, '2.5.0': ioV2 } as const;
export type LegacyVersion = keyof typeof legacyClients;
export const LEGACY_VERSIONS = Object.keys(legacyClients) as LegacyVersion[];

const open = new Set<LegacySocket>();
after(() => {
  for (const socket of open) socket.disconnect();
});

/**
 * A socket of socket.io-client `version`, as the tutorial opened it: `io.connect(url)`, long-polling
 * first and upgraded to WebSocket. Rejects with what the client reported if it cannot connect.
 */
export function connectLegacy(version: LegacyVersion, url: string, options: object = {}): Promise<LegacySocket> {
  const socket = legacyClients[version].connect(url, { forceNew: true, reconnection: false, ...options });
  open.add(socket);
  return new Promise((resolve, reject) => {
    const fail = (err: unknown) => reject(err instanceof Error ? err : new Error(JSON.stringify(err)));
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', fail);
    // A refusal by the server's middleware reaches a 1.x/2.x client as `error`, with its data.
    socket.once('error', fail);
  });
}

/** Resolves with the arguments of the next `event` on `socket`, or rejects after `ms`. */
export function nextArgs(socket: Pick<LegacySocket, 'once' | 'off'>, event: string, ms = 5000): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const listener = (...args: unknown[]) => {
      clearTimeout(timer);
      resolve(args);
    };
    const timer = setTimeout(() => {
      socket.off(event, listener);
      reject(new Error(`timed out after ${ms} ms waiting for '${event}'`));
    }, ms);
    socket.once(event, listener);
  });
}

/** Emits `event` with an ack callback and resolves with the server's answer, or rejects after `ms`. */
export function requestLegacy(socket: LegacySocket, event: string, payload: unknown, ms = 5000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ack for '${event}' within ${ms} ms`)), ms);
    socket.emit(event, payload, (answer: unknown) => {
      clearTimeout(timer);
      resolve(answer);
    });
  });
}
