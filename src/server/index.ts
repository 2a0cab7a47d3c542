/** `createServer(options)`: one HTTP server carrying the web app and socket.io, ready on return. */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { attachClassic } from './classic.js';
import { defaults, type Config } from './config.js';
import { rejectUnknownEvents } from './handle.js';
import { createHttpHandler } from './http.js';
import { createLogger, type Logger } from './logger.js';
import { attachSignaling } from './signaling.js';
import type { IoServer } from './types.js';
import { enterLobby } from './groups.js';

export { defaults, resolveConfig, type Config } from './config.js';

export interface TsunaguServer {
  /** Base URL, e.g. `http://127.0.0.1:9001`, with the port actually bound. */
  url: string;
  port: number;
  io: IoServer;
  http: HttpServer;
  config: Config;
  log: Logger;
  close(): Promise<void>;
}

const EVENTS = new Set(['join', 'leave', 'signal', 'message']);

/**
 * Starts a tsunagu server. Options not given take their documented defaults (see `config.ts`).
 * @example
 * const server = await createServer({ port: 0, host: '127.0.0.1' });
 * console.log(server.url); // http://127.0.0.1:40123
 * await server.close();
 */
export async function createServer(options: Partial<Config> & { logger?: Logger } = {}): Promise<TsunaguServer> {
  const { logger, ...rest } = options;
  const config: Config = { ...defaults, ...rest };
  const log = logger ?? createLogger(config.logLevel);

  const http = createHttpServer(createHttpHandler(log));
  const origins = config.allowedOrigins === '*' ? '*' : config.allowedOrigins.split(',').map((o) => o.trim());
  const io: IoServer = new Server(http, {
    maxHttpBufferSize: config.maxPayload,
    cors: { origin: origins },
  });

  io.on('connection', (socket) => {
    socket.data.name = null;
    enterLobby(socket);
    rejectUnknownEvents(socket, EVENTS);
    attachClassic(socket, log);
    attachSignaling(io, socket, log, config);
  });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(config.port, config.host || undefined, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const { port } = http.address() as AddressInfo;
  const urlHost = ['', '0.0.0.0', '::'].includes(config.host)
    ? 'localhost'
    : config.host.includes(':')
      ? `[${config.host}]`
      : config.host;
  const url = `http://${urlHost}:${port}`;
  log.info({ url, port }, 'listening');

  return {
    url,
    port,
    io,
    http,
    config,
    log,
    async close() {
      // io.close() disconnects every socket and closes the HTTP server; idle keep-alive
      // connections would otherwise hold it open.
      const closed = io.close();
      http.closeAllConnections();
      await closed;
    },
  };
}
