/**
 * The classic tutorial's relay, kept so its pages work unchanged: whatever a socket `send`s reaches
 * every other socket of its group as `message`, and a socket that goes away is announced as
 * `user disconnected`. Unlike the original, a group is a room (or the lobby), not the whole server.
 */
import { schemas } from '../protocol/index.js';
import { groupOf } from './groups.js';
import { defineHandler, OK, type HandlerContext } from './handle.js';
import type { IoSocket } from './types.js';

export function classicHandlers(ctx: HandlerContext) {
  return {
    message: defineHandler(ctx, 'message', schemas.classicMessage, (socket, data) => {
      socket.to(groupOf(socket)).emit('message', data);
      ctx.metrics.classicMessage();
      return OK;
    }),
    // A lobby client is announced at once. A joined one is announced by presence when it is gone
    // for good, which, with a resume window, may be later (or never, if it comes back).
    disconnect(this: IoSocket) {
      if (this.data.room === null) this.to(groupOf(this)).emit('user disconnected');
    },
  };
}
