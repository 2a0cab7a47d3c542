/** Starts a real tsunagu server on a free loopback port for one test file, closed when it ends. */
import { after } from 'node:test';
import { createServer, type Config, type TsunaguServer } from '../../src/server/index.js';

export async function startServer(options: Partial<Config> = {}): Promise<TsunaguServer> {
  const server = await createServer({ port: 0, host: '127.0.0.1', logLevel: 'silent', ...options });
  after(() => server.close());
  return server;
}
