// The classic tutorial's relay, ported to socket.io 4: what comes in from one side goes out to the others.
import { Server } from 'socket.io';

const io = new Server(Number(process.argv[2] ?? 0));
io.on('connection', (socket) => {
  socket.on('message', (message) => socket.broadcast.emit('message', message));
  socket.on('disconnect', () => socket.broadcast.emit('user disconnected'));
});
io.httpServer.on('listening', () => console.log(`ready ${(io.httpServer.address() as { port: number }).port}`));
process.on('SIGINT', () => process.exit(0)); // lets --cpu-prof write its profile (npm run bench -- profile)
