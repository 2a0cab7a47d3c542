// tsunagu as `npm start` runs it, without logs, limits opened up for a load test.
import { createServer } from '../../src/server/index.js';

const server = await createServer({
  port: Number(process.argv[2] ?? 0),
  host: '127.0.0.1',
  logLevel: 'silent',
  rateLimit: 1_000_000,
  rateBurst: 1_000_000,
  maxConnectionsPerIp: 1_000_000,
  maxConnections: 1_000_000,
  maxPeersPerRoom: 10_000,
  ...(process.env.RESUME_WINDOW === '0' ? { resumeWindow: 0 } : {}),
});
console.log(`ready ${server.port}`);
process.on('SIGINT', () => process.exit(0)); // lets --cpu-prof write its profile
