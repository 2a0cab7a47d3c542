// The floor for a Node relay: bare `ws` — parse, look up, stamp, forward, nothing else.
import { WebSocketServer, type WebSocket } from 'ws';

const port = Number(process.argv[2] ?? 0);
const peers = new Map<string, WebSocket>();
const wss = new WebSocketServer({ port, host: '127.0.0.1', perMessageDeflate: false });
wss.on('connection', (ws, req) => {
  const id = new URL(req.url ?? '/', 'http://x').searchParams.get('id') ?? '';
  peers.set(id, ws);
  ws.on('message', (raw) => {
    const { to, data } = JSON.parse(raw.toString()) as { to: string; data: unknown };
    peers.get(to)?.send(JSON.stringify({ from: id, data }));
  });
  ws.on('close', () => peers.delete(id));
});
wss.on('listening', () => console.log(`ready ${(wss.address() as { port: number }).port}`));
process.on('SIGINT', () => process.exit(0)); // lets --cpu-prof write its profile (npm run bench -- profile)
