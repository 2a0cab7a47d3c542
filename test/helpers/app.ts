/** Drives the video-call app in Chromium: open, join, and wait on what getStats() says. */
import type { Browser, Page } from 'playwright-core';
import { mediaContext } from './browser.js';
import { watchCsp } from './csp.js';

const refusedByCsp = new WeakMap<Page, string[]>();

/** What the page's Content-Security-Policy refused since `openApp` opened it (see `watchCsp`). */
export const cspRefusals = (page: Page): string[] => refusedByCsp.get(page) ?? [];

/**
 * Opens the app in a fresh context, camera and mic allowed, name filled in. Small (480×360): these
 * pages test the call, not its looks, and the grid's tiles fill the window — four pages at
 * 1280×720 would spend this small machine's cores painting video.
 */
export async function openApp(browser: Browser, baseUrl: string, room: string, name: string): Promise<Page> {
  const context = await mediaContext(browser, baseUrl, { width: 480, height: 360 });
  const page = await context.newPage();
  page.on('pageerror', (err) => console.error(`[${name}] page error:`, err.message));
  refusedByCsp.set(page, await watchCsp(page));
  await page.goto(`${baseUrl}/?room=${room}`);
  await page.fill('#name-input', name);
  return page;
}

export async function join(page: Page): Promise<string> {
  await page.click('#join');
  await page.waitForFunction(() => window.tsunaguApp.joined && window.tsunaguApp.room.self !== null);
  return page.evaluate(() => window.tsunaguApp.room.self!.id);
}

export const selfId = (page: Page) => page.evaluate(() => window.tsunaguApp.room.self?.id ?? null);

/** Waits until the page holds a connected call with exactly these peers. */
export async function connectedTo(page: Page, ids: string[], timeout = 30_000): Promise<void> {
  await waitFor(page, `connected to ${ids.length} peers`, () =>
    page.waitForFunction(
      (ids) => {
        const { participants } = window.tsunaguApp.room;
        return (
          participants.size === ids.length && ids.every((id) => participants.get(id)?.connectionState === 'connected')
        );
      },
      ids,
      { timeout, polling: 100 },
    ),
  );
}

/** What the page's calls look like, for a failure message. */
export function describeCalls(page: Page): Promise<string> {
  return page.evaluate(() => {
    const { room } = window.tsunaguApp;
    const peers = [...room.participants.values()].map(
      (p) =>
        `${p.id}(${p.polite ? 'polite' : 'impolite'}): ${p.connectionState}/${p.pc.signalingState}/${p.pc.iceConnectionState}`,
    );
    return `self ${room.self?.id ?? '-'}; ${peers.join('; ') || 'no participants'}`;
  });
}

/** Runs a wait; on failure, says what it waited for and what the page's calls looked like. */
async function waitFor<T>(page: Page, what: string, wait: () => Promise<T>): Promise<T> {
  try {
    return await wait();
  } catch (err) {
    throw new Error(`${what}: ${(err as Error).message}\n  ${await describeCalls(page).catch(() => 'page gone')}`, {
      cause: err,
    });
  }
}

/** Video frames the page has decoded from one participant so far (getStats inbound-rtp). */
export function framesFrom(page: Page, id: string): Promise<number> {
  return page.evaluate(async (id) => {
    const participant = window.tsunaguApp.room.participants.get(id);
    return participant ? (await participant.getStats()).framesDecoded : -1;
  }, id);
}

/** Waits until frames decoded from `id` grow by `by`: media from that peer is flowing now. */
export async function framesFlowing(page: Page, id: string, by = 5, timeout = 30_000): Promise<void> {
  const start = await framesFrom(page, id);
  // Stats have no event to await: the page samples getStats() until the count grows, or gives up.
  // (Not waitForFunction: it takes a returned promise for a truthy value without awaiting it.)
  await waitFor(page, `frames from ${id}`, () =>
    page.evaluate(
      async ({ id, target, timeout }) => {
        const deadline = performance.now() + timeout;
        let frames = -1;
        while (performance.now() < deadline) {
          const participant = window.tsunaguApp.room.participants.get(id);
          frames = participant ? (await participant.getStats()).framesDecoded : -1;
          if (frames >= target) return frames;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        throw new Error(`frames decoded ${frames}, wanted ${target} within ${timeout} ms`);
      },
      { id, target: Math.max(start, 0) + by, timeout },
    ),
  );
}

/** Tiles in the page's grid, by their owner (a participant id, or 'self'). */
export function tileOwners(page: Page): Promise<string[]> {
  return page.$$eval('#grid .tile', (tiles) => tiles.map((t) => (t as HTMLElement).dataset.owner ?? ''));
}

/**
 * Two of the SDK's own Participants, wired back to back in `page` (each one's signals handed
 * straight to the other), with `options` per side (`selfId` and any ParticipantOptions; `page`
 * must hold a call, whose Participant class is borrowed). Resolves once both are connected, or
 * after 15 s, with their connection states and what each sent: `<selfId>: <offer|answer> with
 * candidates <true|false>` for a description (whether its SDP carries any), `<selfId>: candidates`.
 */
export async function participantsBackToBack(
  page: Page,
  options: [Record<string, unknown>, Record<string, unknown>],
): Promise<{ states: string[]; sent: string[] }> {
  return page.evaluate(async (sides) => {
    type P = {
      pc: RTCPeerConnection;
      handleSignal(d: unknown): Promise<void>;
      addTrack(t: MediaStreamTrack, s: MediaStream): void;
      close(): void;
    };
    const Participant = [...window.tsunaguApp.room.participants.values()][0].constructor as new (
      id: string,
      name: null,
      options: object,
    ) => P;
    const stream = await navigator.mediaDevices.getUserMedia({ video: true });
    // (No named functions here, nor arrows in object literals: the test runner's transform would
    // wrap them in a helper the page lacks.)
    const pair: P[] = [];
    const sent: string[] = [];
    sides.forEach((side, i) => {
      const self = String(side.selfId);
      const options: Record<string, unknown> = { rtcConfig: {}, offerFirst: false, ...side };
      options.signal = (data: { description?: RTCSessionDescriptionInit }) => {
        const sdp = data.description?.sdp ?? '';
        const carried = sdp.split('\r\n').some((line) => line.startsWith('a=candidate:'));
        sent.push(
          data.description ? `${self}: ${data.description.type} with candidates ${carried}` : `${self}: candidates`,
        );
        void pair[1 - i].handleSignal(data);
      };
      pair.push(new Participant(String(sides[1 - i].selfId), null, options));
    });
    for (const p of pair) p.addTrack(stream.getVideoTracks()[0], stream);
    const states = await Promise.race([
      Promise.all(
        pair.map(
          (p) =>
            new Promise<string>((resolve) => {
              if (p.pc.connectionState === 'connected') resolve('connected');
              p.pc.addEventListener('connectionstatechange', () => {
                if (p.pc.connectionState === 'connected') resolve('connected');
              });
            }),
        ),
      ),
      new Promise<string[]>((resolve) => setTimeout(() => resolve(pair.map((p) => p.pc.connectionState)), 15_000)),
    ]);
    for (const p of pair) p.close();
    return { states, sent };
  }, options);
}
