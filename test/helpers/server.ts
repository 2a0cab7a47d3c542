/** Starts a real tsunagu server on a free loopback port for one test file, closed when it ends. */
import { after } from 'node:test';
import { createServer, type Config, type TsunaguServer } from '../../src/server/index.js';
import { EDGES, type Edge } from './clients.js';

export async function startServer(options: Partial<Config> = {}): Promise<TsunaguServer> {
  // Every test client comes from 127.0.0.1: the per-address cap would count them all as one client.
  const server = await createServer({
    port: 0,
    host: '127.0.0.1',
    logLevel: 'silent',
    maxConnectionsPerIp: 100_000,
    ...options,
  });
  after(() => server.close());
  return server;
}

/** One server per edge, so the specs that run over each edge never meet in a room. */
export async function serverPerEdge(options: Partial<Config> = {}): Promise<Record<Edge, TsunaguServer>> {
  const [socketio, v1] = await Promise.all(EDGES.map(() => startServer(options)));
  return { 'socket.io': socketio, v1 };
}
