/**
 * A TCP link between clients and a server that a test can break the ways networks break: go silent
 * (bytes vanish, nobody notices), be cut, hold reconnections, and lead elsewhere when it comes back.
 */
import { after } from 'node:test';
import { connect, createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface Link {
  /** `http://127.0.0.1:<port>` of the link's own end. */
  url: string;
  /** From now on, bytes in both directions are dropped; both ends still think the link is up. */
  silence(): void;
  /** Closes every connection through the link, at both ends; new ones are held until `release`. */
  cut(): void;
  /** Lets held and new connections through, to `port` if given (another node). */
  release(port?: number): void;
}

export async function openLink(port: number): Promise<Link> {
  let target = port;
  let silent = false;
  let holding = false;
  const pairs = new Set<[Socket, Socket]>();
  const held: Socket[] = [];
  const join = (client: Socket) => {
    const server = connect(target, '127.0.0.1');
    const pair: [Socket, Socket] = [client, server];
    pairs.add(pair);
    client.on('data', (chunk) => silent || server.write(chunk));
    server.on('data', (chunk) => silent || client.write(chunk));
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      server.destroy();
    };
    client.on('close', end).on('error', end);
    server.on('close', end).on('error', end);
  };
  // A held connection's bytes wait in its socket (no reader yet) until it is joined.
  const listener = createServer((client) => (holding ? held.push(client) : join(client)));
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  after(() => {
    for (const pair of pairs) pair.forEach((socket) => socket.destroy());
    for (const client of held) client.destroy();
    listener.close();
  });
  return {
    url: `http://127.0.0.1:${(listener.address() as AddressInfo).port}`,
    silence: () => void (silent = true),
    cut() {
      holding = true;
      silent = false;
      for (const pair of pairs) pair.forEach((socket) => socket.destroy());
    },
    release(port) {
      if (port !== undefined) target = port;
      holding = false;
      for (const client of held.splice(0)) join(client);
    },
  };
}
