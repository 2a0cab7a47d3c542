// PeerJS server (npm `peer`) as its users run it.
import { PeerServer } from 'peer';

const server = PeerServer({ port: Number(process.argv[2] ?? 9000), host: '127.0.0.1', path: '/' }, (http) =>
  console.log(`ready ${(http.address() as { port: number }).port}`),
);
void server;
