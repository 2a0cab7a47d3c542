/** Looks at the video-call app as a person would: sizes on screen, what is visible, axe's verdict. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Browser, Page } from 'playwright-core';

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };
/** For people who only fill a room: small, so six pages cost less to paint. */
export const SMALL = { width: 480, height: 360 };

export interface OpenOptions {
  viewport?: { width: number; height: number };
  colorScheme?: 'light' | 'dark';
}

/** Opens the app at `baseUrl` in a fresh context (camera and mic allowed) with the name filled in. */
export async function openAt(
  browser: Browser,
  baseUrl: string,
  room: string,
  name: string,
  { viewport = SMALL, colorScheme = 'light' }: OpenOptions = {},
): Promise<Page> {
  const context = await browser.newContext({ viewport, colorScheme });
  await context.grantPermissions(['camera', 'microphone'], { origin: baseUrl });
  const page = await context.newPage();
  page.on('pageerror', (err) => console.error(`[${name}] page error:`, err.message));
  await page.goto(`${baseUrl}/?room=${room}`);
  await page.fill('#name-input', name);
  return page;
}

/** Waits until the lobby's preview plays the camera (a frame decoded, not paused). */
export async function previewLive(page: Page): Promise<void> {
  await page.waitForFunction(() => {
    const video = document.getElementById('preview') as HTMLVideoElement;
    return video.videoWidth > 0 && !video.paused && video.readyState >= 2;
  });
}

/** Waits until the grid holds `count` tiles and none is still moving to its place. */
export async function tilesSettled(page: Page, count: number, timeout = 60_000): Promise<void> {
  try {
    await page.waitForFunction(
      (count) => {
        const tiles = [...document.querySelectorAll('#grid .tile')];
        return tiles.length === count && tiles.every((t) => t.getAnimations().length === 0);
      },
      count,
      { timeout },
    );
  } catch (err) {
    const seen = await page.evaluate(() =>
      [...document.querySelectorAll('#grid .tile')].map(
        (t) => `${(t as HTMLElement).dataset.key}(${t.getAnimations().length} moving)`,
      ),
    );
    throw new Error(`${count} settled tiles: ${(err as Error).message}; saw ${seen.join(', ') || 'none'}`, {
      cause: err,
    });
  }
}

export interface TileBox {
  key: string;
  owner: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Every tile's box on screen, in CSS pixels. */
export function tileBoxes(page: Page): Promise<TileBox[]> {
  return page.$$eval('#grid .tile', (tiles) =>
    tiles.map((t) => {
      const r = t.getBoundingClientRect();
      const { key = '', owner = '' } = (t as HTMLElement).dataset;
      return { key, owner, x: r.x, y: r.y, width: r.width, height: r.height };
    }),
  );
}

/** Share of the viewport the tiles cover (clipped to it), and the area where two tiles overlap. */
export async function coverage(page: Page): Promise<{ share: number; overlap: number }> {
  const boxes = await tileBoxes(page);
  const viewport = page.viewportSize()!;
  const clip = (b: TileBox) => ({
    x0: Math.max(0, b.x),
    y0: Math.max(0, b.y),
    x1: Math.min(viewport.width, b.x + b.width),
    y1: Math.min(viewport.height, b.y + b.height),
  });
  const area = (r: { x0: number; y0: number; x1: number; y1: number }) =>
    Math.max(0, r.x1 - r.x0) * Math.max(0, r.y1 - r.y0);
  const covered = boxes.reduce((sum, b) => sum + area(clip(b)), 0);
  let overlap = 0;
  for (const [i, a] of boxes.entries()) {
    for (const b of boxes.slice(i + 1)) {
      const [ra, rb] = [clip(a), clip(b)];
      overlap += area({
        x0: Math.max(ra.x0, rb.x0),
        y0: Math.max(ra.y0, rb.y0),
        x1: Math.min(ra.x1, rb.x1),
        y1: Math.min(ra.y1, rb.y1),
      });
    }
  }
  return { share: covered / (viewport.width * viewport.height), overlap };
}

/** Whether the element's whole box lies inside the viewport (seen without scrolling). */
export function inViewport(page: Page, selector: string): Promise<boolean> {
  return page.$eval(selector, (el) => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight && r.right <= innerWidth;
  });
}

const require = createRequire(import.meta.url);

/** axe-core's serious and critical violations on the page as it is now, one line each. */
export async function seriousViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) {
    // Evaluated through DevTools, not added as a <script>: the app's CSP refuses inline scripts.
    await page.evaluate(readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8'));
  }
  return page.evaluate(async () => {
    type Result = { id: string; impact?: string; help: string; nodes: { target: unknown[] }[] };
    const axe = (window as unknown as { axe: { run(): Promise<{ violations: Result[]; passes: Result[] }> } }).axe;
    const { violations, passes } = await axe.run();
    if (passes.length === 0) return ['axe checked nothing: is the page empty?'];
    return violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
}
