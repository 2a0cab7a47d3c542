/**
 * The socket.io client served at `/socket.io/socket.io.js`: socket.io-client v4 as a global `io`,
 * keeping the tutorial-era API that costs nothing to keep, so pages written for socket.io 1.x run
 * unchanged. Built by `scripts/build.mjs`; served by `src/server/classic-client.ts`.
 */
import { io, Socket } from 'socket.io-client';

// socket.io 1.x/2.x made `socket.json` a flag that was always on (the client set `this.json = this`);
// v4 dropped it, and the tutorial's `socket.json.send(sdp)` throws without it.
Object.defineProperty(Socket.prototype, 'json', {
  configurable: true,
  get(this: Socket) {
    return this;
  },
});

// `io.connect(url)` is v4's own alias of `io(url)` (kept by socket.io-client for this reason); a
// script tag's global is all the tutorial's page ever used.
(globalThis as unknown as { io: typeof io }).io = io;
