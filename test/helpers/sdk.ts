/** For specs that drive the SDK (packages/client) from Node: its WebSocket, and its events awaited. */
import WebSocket from 'ws';
import type { SignalingClient, SignalingClientEvents, WebSocketConstructor } from '../../packages/client/src/index.js';

/** Node 20 has no global WebSocket: the `/v1` transport takes `ws`'s, as an app on Node would pass it. */
export const NODE_WEBSOCKET = WebSocket as unknown as WebSocketConstructor;

/** Resolves with the next `event` of `c` (its first argument), or rejects after `ms`. */
export function nextEvent<T>(c: SignalingClient, event: keyof SignalingClientEvents, ms = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${ms} ms`)), ms);
    c.once(event, ((value: T) => {
      clearTimeout(timer);
      resolve(value);
    }) as never);
  });
}

/** Resolves once `c` reaches `state`, with the reason it gave. */
export function reaches(c: SignalingClient, state: SignalingClient['state'], ms = 10_000): Promise<string> {
  if (c.state === state) return Promise.resolve(c.reason);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ${state} within ${ms} ms (${c.state} ${c.reason})`)), ms);
    const listener = (now: string, reason: string) => {
      if (now !== state) return;
      clearTimeout(timer);
      c.off('connection-state', listener);
      resolve(reason);
    };
    c.on('connection-state', listener);
  });
}
