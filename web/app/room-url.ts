/** The room a page is for: `?room=` in its address, or a new random one put there (so the link can be shared). */
import { ROOM_NAME_PATTERN } from '../../packages/client/src/protocol/limits.js';

export function roomFromUrl(): { room: string; url: URL } {
  const url = new URL(location.href);
  let room = url.searchParams.get('room');
  if (!room || !ROOM_NAME_PATTERN.test(room)) {
    room = crypto.randomUUID().slice(0, 8);
    url.searchParams.set('room', room);
    history.replaceState(null, '', url);
  }
  return { room, url };
}
