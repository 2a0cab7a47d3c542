// PeerJS server (npm `peer`) as its users run it.
import { PeerServer } from 'peer';

// concurrent_limit defaults to 5,000 peers; raised as an operator with more users would.
const server = PeerServer(
  { port: Number(process.argv[2] ?? 9000), host: '127.0.0.1', path: '/', concurrent_limit: 1_000_000 },
  (http) => console.log(`ready ${(http.address() as { port: number }).port}`),
);
void server;
process.on('SIGINT', () => process.exit(0)); // lets --cpu-prof write its profile (npm run bench -- profile)
