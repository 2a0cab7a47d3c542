/**
 * Real clients for the protocol specs, with awaitable events instead of sleeps: socket.io clients,
 * or protocol-v1 clients over the native WebSocket edge (`/v1`) offering the same interface, so the
 * specs of the protocol run against both edges from one table of cases (`EDGES`).
 */
import { after } from 'node:test';
import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, JoinResult, Result, ServerToClientEvents } from '../../src/protocol/index.js';
import { V1Client, type V1Options } from './v1-client.js';

export type Client = Socket<ServerToClientEvents, ClientToServerEvents>;

/** The edges protocol v1 is served on: every protocol spec runs once over each. */
export const EDGES = ['socket.io', 'v1'] as const;
export type Edge = (typeof EDGES)[number];

const open = new Set<{ disconnect(): unknown }>();
after(() => {
  for (const client of open) client.disconnect();
});

/**
 * A `/v1` client, typed as the socket.io client whose interface it offers for the specs (see
 * v1-client.ts); not connected yet unless `connect()` is called.
 */
export function v1Client(url: string, options: V1Options = {}): Client {
  const client = new V1Client(url, options);
  open.add(client);
  return client as unknown as Client;
}

/**
 * A connected client over `edge` (or socket.io with these `transports`); WebSocket by default, as
 * the SDK uses.
 */
export async function connect(
  url: string,
  edge: Edge | ('websocket' | 'polling')[] = ['websocket'],
  options: V1Options = {},
): Promise<Client> {
  let client: Client;
  if (edge === 'v1') client = v1Client(url, { reconnection: false, ...options });
  else {
    const transports = edge === 'socket.io' ? ['websocket' as const] : edge;
    client = io(url, { transports, forceNew: true, reconnection: false });
  }
  open.add(client);
  if (edge === 'v1') (client as unknown as V1Client).connect();
  await new Promise<void>((resolve, reject) => {
    client.once('connect', resolve);
    client.once('connect_error', reject);
  });
  return client;
}

/**
 * A connected client over `edge` that reconnects by itself `reconnectionDelayMs` after it notices
 * its link is gone, resuming its session as the real clients do (socket.io-client's recovery, or
 * a `/v1` resume).
 */
export async function reconnecting(url: string, edge: Edge, reconnectionDelayMs: number): Promise<Client> {
  const client: Client =
    edge === 'v1'
      ? v1Client(url, { reconnectionDelay: reconnectionDelayMs })
      : io(url, {
          transports: ['websocket'],
          forceNew: true,
          reconnectionDelay: reconnectionDelayMs,
          randomizationFactor: 0,
        });
  open.add(client);
  const connected = new Promise<void>((resolve) => client.once('connect', resolve));
  if (edge === 'v1') client.connect();
  await connected;
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
