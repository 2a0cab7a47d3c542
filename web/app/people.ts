/**
 * The other people in the call as the page shows them: their streams as tiles, what each says of
 * their own mic, camera and screen (over the data channel), and who is speaking.
 */
import type { Participant } from '../../src/client/index.js';
import type { Speaking } from './levels.js';
import type { Tiles } from './tiles.js';

/** What app instances tell each other over the data channels. */
export type AppMessage =
  { kind: 'chat'; text: string } | { kind: 'state'; camera: boolean; mic: boolean; screen: string | null };

interface RemoteState {
  streams: Map<string, MediaStream>;
  camera: boolean;
  mic: boolean;
  screen: string | null;
}

export function nameOf(participant: Participant): string {
  return participant.name ?? `Guest ${participant.id.slice(0, 4)}`;
}

export class People {
  #remote = new Map<string, RemoteState>();

  constructor(
    private readonly tiles: Tiles,
    private readonly levels: Speaking,
    private readonly onChat: (from: Participant, text: string) => void,
  ) {}

  joined(participant: Participant): void {
    // Until its first state message says otherwise, a newcomer's camera and mic count as on.
    this.#remote.set(participant.id, { streams: new Map(), camera: true, mic: true, screen: null });
  }

  left(participant: Participant): void {
    for (const streamId of this.#remote.get(participant.id)?.streams.keys() ?? [])
      this.levels.unwatch(`${participant.id}:${streamId}`);
    this.#remote.delete(participant.id);
    this.tiles.removeOwner(participant.id);
  }

  track(participant: Participant, stream: MediaStream): void {
    this.#remote.get(participant.id)?.streams.set(stream.id, stream);
    this.#render(participant);
  }

  trackRemoved(participant: Participant, stream: MediaStream): void {
    if (stream.getTracks().length > 0) return;
    this.#remote.get(participant.id)?.streams.delete(stream.id);
    this.levels.unwatch(`${participant.id}:${stream.id}`);
    this.tiles.remove(`${participant.id}:${stream.id}`);
  }

  data(participant: Participant, data: unknown): void {
    const message = data as AppMessage;
    if (message.kind === 'chat' && typeof message.text === 'string') this.onChat(participant, message.text);
    if (message.kind !== 'state') return;
    const state = this.#remote.get(participant.id);
    if (!state) return;
    state.camera = message.camera;
    state.mic = message.mic;
    if (state.screen && state.screen !== message.screen) {
      state.streams.delete(state.screen);
      this.tiles.remove(`${participant.id}:${state.screen}`);
    }
    state.screen = message.screen;
    this.#render(participant);
  }

  clear(): void {
    for (const [id, state] of this.#remote)
      for (const streamId of state.streams.keys()) this.levels.unwatch(`${id}:${streamId}`);
    this.#remote.clear();
  }

  #render(participant: Participant): void {
    const state = this.#remote.get(participant.id);
    if (!state) return;
    for (const [streamId, stream] of state.streams) {
      const key = `${participant.id}:${streamId}`;
      const screen = streamId === state.screen;
      const label = screen ? `${nameOf(participant)} (screen)` : nameOf(participant);
      this.tiles.upsert(key, { label, stream, screen, owner: participant.id });
      this.tiles.setCameraOff(key, !screen && !state.camera);
      this.tiles.setMuted(key, !screen && !state.mic);
      // The receiver's own count of the audio's energy: no Web Audio graph per remote stream.
      if (!screen)
        this.levels.watch(key, () => {
          const track = stream.getAudioTracks()[0];
          return track
            ? (participant.pc
                .getReceivers()
                .find((r) => r.track === track)
                ?.getStats() ?? null)
            : null;
        });
    }
  }
}
