// tsunagu as `npm start` runs it (environment variables included: REDIS_URL, RESUME_WINDOW, …),
// without logs (BENCH_LOG_LEVEL=warn keeps warnings and errors, on stdout), and with the per-client
// limits opened up for a load test.
import { createServer, resolveConfig } from '../../src/server/index.js';

const server = await createServer({
  ...resolveConfig({}, process.env),
  port: Number(process.argv[2] ?? 0),
  host: '127.0.0.1',
  logLevel: process.env.BENCH_LOG_LEVEL === 'warn' ? 'warn' : 'silent',
  rateLimit: 1_000_000,
  rateBurst: 1_000_000,
  maxConnectionsPerIp: 1_000_000,
  maxConnections: 1_000_000,
  maxPeersPerRoom: 10_000,
});
console.log(`ready ${server.port}`);
process.on('SIGINT', () => process.exit(0)); // lets --cpu-prof write its profile
