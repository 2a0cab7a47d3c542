/**
 * The classic tutorial's relay, kept so its pages work unchanged: whatever a socket `send`s reaches
 * every other socket of its group as `message`, and a socket that goes away is announced as
 * `user disconnected`. Unlike the original, a group is a room (or the lobby), not the whole server.
 */
import { schemas } from '../protocol/index.js';
import { groupOf } from './groups.js';
import { handle, OK, type HandlerContext } from './handle.js';

export function attachClassic(ctx: HandlerContext): void {
  const { socket, metrics } = ctx;
  handle(ctx, 'message', schemas.classicMessage, (data) => {
    socket.to(groupOf(socket)).emit('message', data);
    metrics.classicMessage();
    return OK;
  });

  // A lobby client is announced at once. A joined one is announced by presence when it is gone
  // for good, which, with a resume window, may be later (or never, if it comes back).
  socket.on('disconnect', () => {
    if (socket.data.room === null) socket.to(groupOf(socket)).emit('user disconnected');
  });
}
