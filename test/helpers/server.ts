/** Starts a real tsunagu server on a free loopback port for one test file, closed when it ends. */
import { after } from 'node:test';
import { createServer, type Config, type TsunaguServer } from '../../src/server/index.js';

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
