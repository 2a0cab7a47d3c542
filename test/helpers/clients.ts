/** Real socket.io clients for the protocol specs, with awaitable events instead of sleeps. */
import { after } from 'node:test';
import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, JoinResult, Result, ServerToClientEvents } from '../../src/protocol/index.js';

export type Client = Socket<ServerToClientEvents, ClientToServerEvents>;

const open = new Set<Client>();
after(() => {
  for (const client of open) client.disconnect();
});

/** A connected client; `transports` defaults to WebSocket, as the SDK uses. */
export async function connect(url: string, transports: ('websocket' | 'polling')[] = ['websocket']): Promise<Client> {
  const client: Client = io(url, { transports, forceNew: true, reconnection: false });
  open.add(client);
  await new Promise<void>((resolve, reject) => {
    client.once('connect', resolve);
    client.once('connect_error', reject);
  });
  return client;
}

/** Resolves with the next `event` on `client`, or rejects after `ms`. */
export function next<T = unknown>(client: Client, event: string, ms = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off(event as 'signal', listener);
      reject(new Error(`timed out after ${ms} ms waiting for '${event}'`));
    }, ms);
    const listener = (...args: unknown[]) => {
      clearTimeout(timer);
      resolve(args[0] as T);
    };
    client.once(event as 'signal', listener as never);
  });
}

/** Sends `event` with an ack and resolves with the server's answer. */
export function request<T extends object = object>(
  client: Client,
  event: string,
  ...args: unknown[]
): Promise<Result<T>> {
  const socket = client.timeout(5000) as unknown as { emitWithAck(e: string, ...a: unknown[]): Promise<Result<T>> };
  return socket.emitWithAck(event, ...args);
}

export async function joined(client: Client, room: string, name?: string): Promise<JoinResult> {
  const result = await request<JoinResult>(client, 'join', name === undefined ? { room } : { room, name });
  if (!result.ok) throw new Error(`join failed: ${result.error.code}`);
  return result;
}

/**
 * Records every event a client receives, so a test can assert what never arrived. Read it after
 * `settle(client)`: the server writes to a connection in order, so anything sent to the client
 * before its own round trip has arrived by the time that round trip's answer has.
 */
export function record(client: Client): Array<{ event: string; args: unknown[] }> {
  const seen: Array<{ event: string; args: unknown[] }> = [];
  client.onAny((event: string, ...args: unknown[]) => seen.push({ event, args }));
  return seen;
}

export async function settle(client: Client): Promise<void> {
  await request(client, 'no-such-event-barrier');
}
