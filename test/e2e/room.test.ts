/**
 * The multi-party app and SDK in real headless Chromium: mesh calls, perfect negotiation under
 * glare, late joiners, leavers, screen share, chat, room capacity and a signaling reconnect.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import {
  connectedTo,
  cspRefusals,
  framesFlowing,
  join,
  openApp,
  participantsBackToBack,
  selfId,
  tileOwners,
} from '../helpers/app.js';
import { E2E, launchBrowser } from '../helpers/browser.js';
import { connect, joined } from '../helpers/clients.js';
import { startServer } from '../helpers/server.js';

const server = await startServer();
const browser = await launchBrowser();

/** In the page: ends its /v1 WebSocket without a `leave`, which the SDK sees as a lost link. */
const cutLink = () => (window.tsunaguApp.room.client.transport as unknown as { socket: WebSocket }).socket.close(4000);

async function closeAll(pages: Page[]): Promise<void> {
  await Promise.all(pages.map((p) => p.context().close()));
}

describe('a mesh call in Chromium', () => {
  it(
    "four pages in one room each decode video from the other three: all 12 directed links flow; a leaver's tiles vanish everywhere",
    E2E,
    async () => {
      const pages = await Promise.all(
        ['Aiko', 'Ben', 'Chie', 'Dai'].map((n) => openApp(browser, server.url, 'four', n)),
      );
      const ids = await Promise.all(pages.map(join));

      for (const [i, page] of pages.entries())
        await connectedTo(
          page,
          ids.filter((_, j) => j !== i),
        );
      let links = 0;
      for (const [i, page] of pages.entries()) {
        for (const [j, id] of ids.entries()) {
          if (i === j) continue;
          await framesFlowing(page, id);
          links++;
        }
      }
      assert.equal(links, 12);
      for (const page of pages) assert.equal((await tileOwners(page)).length, 4);
      // All of it under the server's CSP (scripts, styles and connections from its origin only):
      // nothing the app does was refused.
      for (const page of pages) assert.deepEqual(cspRefusals(page), []);

      // Dai leaves: Dai's tile disappears from the three others, who stay connected to each other.
      await pages[3].click('#leave');
      for (const page of pages.slice(0, 3)) {
        await page.waitForFunction((id) => !document.querySelector(`#grid .tile[data-owner="${id}"]`), ids[3]);
        assert.equal((await tileOwners(page)).length, 3);
      }
      await connectedTo(pages[0], [ids[1], ids[2]]);
      await closeAll(pages);
    },
  );

  it(
    "two pages that offer at the same instant (glare) both end connected, with each other's new track",
    E2E,
    async () => {
      const pages = await Promise.all(['Eri', 'Fumi'].map((n) => openApp(browser, server.url, 'glare', n)));
      const ids = await Promise.all(pages.map(join));
      const polite = await Promise.all(
        pages.map((p, i) => p.evaluate((id) => window.tsunaguApp.room.participants.get(id)!.polite, ids[1 - i])),
      );
      assert.notEqual(polite[0], polite[1], 'exactly one side of the pair is polite');
      await connectedTo(pages[0], [ids[1]]);
      await connectedTo(pages[1], [ids[0]]);

      // Both add a track in the same instant: both fire negotiationneeded and their offers cross.
      await Promise.all(
        pages.map((p) =>
          p.evaluate(() => {
            const canvas = Object.assign(document.createElement('canvas'), { width: 320, height: 240 });
            const ctx = canvas.getContext('2d')!;
            setInterval(() => {
              ctx.fillStyle = `hsl(${Date.now() % 360} 80% 50%)`;
              ctx.fillRect(0, 0, 320, 240);
            }, 33);
            const stream = canvas.captureStream(30);
            window.tsunaguApp.room.publish(stream.getVideoTracks()[0], stream);
          }),
        ),
      );
      for (const page of pages) {
        await page.waitForFunction(() => document.querySelectorAll('#grid .tile').length === 3, null, {
          timeout: 30_000,
        });
      }
      await connectedTo(pages[0], [ids[1]]);
      await connectedTo(pages[1], [ids[0]]);
      await framesFlowing(pages[0], ids[1]);
      await framesFlowing(pages[1], ids[0]);
      await closeAll(pages);
    },
  );

  it('the page that joins makes the first offer to everyone already there; they answer', E2E, async () => {
    const pages: Page[] = [];
    const ids: string[] = [];
    for (const name of ['Kai', 'Mio', 'Nori', 'Oto']) {
      const page = await openApp(browser, server.url, 'first-offer', name);
      // Every description the page sends, by whom to and of what type, in order.
      await page.evaluate(() => {
        const sent: string[] = [];
        (window as unknown as { sent: string[] }).sent = sent;
        window.tsunaguApp.room.on('signal-log', ({ direction, peer, data }) => {
          const type = (data as { description?: { type?: string } }).description?.type;
          if (direction === 'sent' && type) sent.push(`${type} ${peer}`);
        });
      });
      ids.push(await join(page));
      pages.push(page);
      await connectedTo(page, ids.slice(0, -1));
    }
    const sent = await Promise.all(pages.map((p) => p.evaluate(() => (window as unknown as { sent: string[] }).sent)));
    // Six pairs: under a rule of ids, each would have had even odds of offering the other way.
    pages.forEach((_, i) => {
      const firstTo = (peer: string) => sent[i].find((s) => s.endsWith(` ${peer}`))?.split(' ')[0];
      for (const earlier of ids.slice(0, i))
        assert.equal(firstTo(earlier), 'offer', `${ids[i]} offers first to ${earlier}`);
      for (const later of ids.slice(i + 1)) assert.equal(firstTo(later), 'answer', `${ids[i]} answers ${later}`);
    });
    await closeAll(pages);
  });

  it(
    'a description waits for its first candidates and carries them: the first signal either side sends',
    E2E,
    async () => {
      const page = await openApp(browser, server.url, 'carried', 'Sae');
      const ids = [await join(page)];
      const other = await openApp(browser, server.url, 'carried', 'Tao');
      ids.push(await join(other));
      await connectedTo(page, [ids[1]]);
      // The SDK's Participant class, back to back in one page; a window long enough that this busy
      // machine's timers cannot cut the wait for the first candidates short.
      const { states, sent } = await participantsBackToBack(page, [
        { selfId: 'sae', offerFirst: true, candidateBatchMs: 1000 },
        { selfId: 'tao', candidateBatchMs: 1000 },
      ]);
      assert.deepEqual(states, ['connected', 'connected']);
      // Candidates of a later pass (TCP) may follow in a batch; the first pass rides in the SDP.
      const first = (who: string) => sent.find((s) => s.startsWith(`${who}:`));
      assert.equal(first('sae'), 'sae: offer with candidates true', sent.join(', '));
      assert.equal(first('tao'), 'tao: answer with candidates true', sent.join(', '));
      await closeAll([page, other]);
    },
  );

  it(
    'two peers that each met the other by peer-joined (joined at once) still connect: one offers after a wait',
    E2E,
    async () => {
      const pages = await Promise.all(['Pia', 'Ryo'].map((n) => openApp(browser, server.url, 'at-once', n)));
      const ids = await Promise.all(pages.map(join));
      await connectedTo(pages[0], [ids[1]]);
      // The SDK's own Participant class, wired back to back in one page, neither side told to offer
      // first: the state the race leaves both sides in.
      const { states } = await participantsBackToBack(pages[0], [{ selfId: 'pia' }, { selfId: 'ryo' }]);
      assert.deepEqual(states, ['connected', 'connected']);
      await closeAll(pages);
    },
  );

  it('a late joiner connects to everyone already in the call', E2E, async () => {
    const early = await Promise.all(['Gen', 'Hana'].map((n) => openApp(browser, server.url, 'late', n)));
    const earlyIds = await Promise.all(early.map(join));
    await connectedTo(early[0], [earlyIds[1]]);
    const late = await openApp(browser, server.url, 'late', 'Isamu');
    const lateId = await join(late);
    await connectedTo(late, earlyIds);
    for (const id of earlyIds) await framesFlowing(late, id);
    for (const page of early) await framesFlowing(page, lateId);
    await closeAll([...early, late]);
  });

  it(
    'a shared screen reaches the others as a second tile, and they decode it; a chat message reaches all',
    E2E,
    async () => {
      const pages = await Promise.all(['Jun', 'Kei', 'Mio'].map((n) => openApp(browser, server.url, 'share', n)));
      const ids = await Promise.all(pages.map(join));
      for (const [i, page] of pages.entries())
        await connectedTo(
          page,
          ids.filter((_, j) => j !== i),
        );

      await pages[0].click('#screen');
      for (const page of pages.slice(1)) {
        await page.waitForFunction(
          () => {
            const tile = [...document.querySelectorAll('#grid .tile')].find((t) =>
              t.textContent?.includes('Jun (screen)'),
            );
            const video = tile?.querySelector('video');
            return video !== undefined && video !== null && video.getVideoPlaybackQuality().totalVideoFrames > 10;
          },
          null,
          { timeout: 30_000, polling: 200 },
        );
      }
      await pages[0].click('#screen');
      for (const page of pages.slice(1)) {
        await page.waitForFunction(
          () => ![...document.querySelectorAll('#grid .tile')].some((t) => t.textContent?.includes('(screen)')),
        );
      }

      await pages[1].click('#chat-toggle'); // the chat is a panel, closed until asked for
      await pages[1].fill('#chat-input', 'こんにちは, everyone');
      await pages[1].click('#chat-form button');
      for (const page of [pages[0], pages[2]]) {
        await page.waitForFunction(() =>
          document.getElementById('chat-log')!.textContent!.includes('Keiこんにちは, everyone'),
        );
      }
      await closeAll(pages);
    },
  );

  it('a page whose signaling link drops resumes with the same id; its call never stops', E2E, async () => {
    const pages = await Promise.all(['Nao', 'Ren'].map((n) => openApp(browser, server.url, 'resume', n)));
    const ids = await Promise.all(pages.map(join));
    await connectedTo(pages[0], [ids[1]]);
    await pages[1].evaluate(() => {
      const seen: string[] = ((window as unknown as { seen: string[] }).seen = []);
      window.tsunaguApp.room.on('participant-reconnecting', () => seen.push('reconnecting'));
      window.tsunaguApp.room.on('participant-resumed', () => seen.push('resumed'));
      window.tsunaguApp.room.on('participant-left', () => seen.push('left'));
    });

    // Cut the page's /v1 link under the SDK, as a network blip would.
    await pages[0].evaluate(cutLink);
    await pages[1].waitForFunction(() => (window as unknown as { seen: string[] }).seen.includes('resumed'));
    assert.deepEqual(await pages[1].evaluate(() => (window as unknown as { seen: string[] }).seen), [
      'reconnecting',
      'resumed',
    ]);
    assert.equal(await selfId(pages[0]), ids[0]);
    await connectedTo(pages[0], [ids[1]]);
    await framesFlowing(pages[1], ids[0]);
    await framesFlowing(pages[0], ids[1]);
    await closeAll(pages);
  });

  it(
    'without a resume window, a page whose link drops rejoins under a new id, and its calls recover',
    E2E,
    async () => {
      const noResume = await startServer({ resumeWindowMs: 0 });
      const pages = await Promise.all(['Oto', 'Riku'].map((n) => openApp(browser, noResume.url, 'rejoin', n)));
      const ids = await Promise.all(pages.map(join));
      await connectedTo(pages[0], [ids[1]]);
      await framesFlowing(pages[1], ids[0]);

      await pages[0].evaluate(cutLink);
      await pages[0].waitForFunction((old) => {
        const self = window.tsunaguApp.room.self;
        return self !== null && self.id !== old;
      }, ids[0]);
      const newId = (await selfId(pages[0]))!;
      await connectedTo(pages[0], [ids[1]]);
      await connectedTo(pages[1], [newId]);
      await framesFlowing(pages[0], ids[1]);
      await framesFlowing(pages[1], newId);
      await closeAll(pages);
    },
  );
});

describe('the app tells people what went wrong', () => {
  it('a ninth page in a room of 8 is told the room is full and stays out', E2E, async () => {
    const full = await startServer({ maxPeersPerRoom: 8 });
    const eight = await Promise.all([...Array(8).keys()].map(() => connect(full.url)));
    for (const client of eight) await joined(client, 'crowded');
    const ninth = await openApp(browser, full.url, 'crowded', 'Sora');
    await ninth.click('#join');
    await ninth.waitForFunction(() => !document.getElementById('message')!.hidden);
    assert.match((await ninth.textContent('#message'))!, /room is full/);
    assert.equal(await ninth.evaluate(() => window.tsunaguApp.joined), false);
    assert.equal(await ninth.isVisible('#lobby'), true);
    await ninth.context().close();
  });

  it('a page whose user blocks the camera says so, and still joins to watch', E2E, async () => {
    const blocking = await launchBrowser({ denyMedia: true });
    const watcher = await (await blocking.newContext()).newPage();
    await watcher.goto(`${server.url}/?room=blocked`);
    await watcher.fill('#name-input', 'Taro');
    const sender = await openApp(browser, server.url, 'blocked', 'Umi');
    const senderId = await join(sender);
    await watcher.click('#join');
    await watcher.waitForFunction(() => window.tsunaguApp.joined);
    assert.match((await watcher.textContent('#message'))!, /Camera and microphone are blocked/);
    await connectedTo(watcher, [senderId]);
    await framesFlowing(watcher, senderId);
    await Promise.all([watcher.context().close(), sender.context().close()]);
  });
});
