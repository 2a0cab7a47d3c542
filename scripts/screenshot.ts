// Makes docs/images/four-party-call.png: four Chromium pages (fake cameras) in one call.
// Run with `npx tsx scripts/screenshot.ts` (needs /usr/bin/chromium).
import { chromium } from 'playwright-core';
import { createServer } from '../src/server/index.js';
import { CHROMIUM_ARGS } from '../test/helpers/browser.js';

const server = await createServer({ port: 0, host: '127.0.0.1', logLevel: 'silent' });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
const pages = [];
for (const name of ['Aiko', 'Ben', 'Chie', 'Dai']) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 820 } });
  await context.grantPermissions(['camera', 'microphone'], { origin: server.url });
  const page = await context.newPage();
  await page.goto(`${server.url}/?room=standup`);
  await page.fill('#name-input', name);
  await page.click('#join');
  pages.push(page);
}
const [first] = pages;
await first.waitForFunction(
  () => {
    const { participants } = window.tsunaguApp.room;
    return participants.size === 3 && [...participants.values()].every((p) => p.connectionState === 'connected');
  },
  null,
  { timeout: 60_000 },
);
// Let a few stats rounds colour the quality dots, and a chat line arrive.
await pages[1].fill('#chat-input', 'Good morning! Shall we start?');
await pages[1].click('#chat-form button');
await first.waitForFunction(() => document.querySelectorAll('#grid .quality:not(.unknown)').length >= 3, null, {
  timeout: 30_000,
});
await first.screenshot({ path: 'docs/images/four-party-call.png' });
await browser.close();
await server.close();
