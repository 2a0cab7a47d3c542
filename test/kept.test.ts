/**
 * What the server keeps for a resume is bounded, since other clients choose what it is: nothing
 * older than the resume window, at most `KEPT_BYTES_PER_SESSION` per session and
 * `KEPT_BYTES_PER_ADDRESS` for all sessions of one client address, nothing at all for a client that
 * cannot resume — and a lobby flooded with large messages leaves the server's heap within budget,
 * answering `/healthz` and letting a bystander in.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KEPT_BYTES_PER_ADDRESS, KEPT_BYTES_PER_SESSION, approxBytes } from '../src/server/core/session.js';
import { connect, joined, next, request, settle, type Client } from './helpers/clients.js';
import { startNode } from './helpers/processes.js';
import { rawClient } from './helpers/raw-client.js';
import { startServer } from './helpers/server.js';

const WINDOW_MS = 5_000;
const server = await startServer({ resumeWindowMs: WINDOW_MS, rateLimit: 100_000, rateBurst: 100_000 });

/** The events the server keeps for `client`, and their size as the budget counts it. */
function keptFor(client: Client) {
  const kept = server.core.sessions.get(client.id!)?.kept ?? [];
  return { events: kept.length, bytes: kept.reduce((sum, k) => sum + approxBytes(k.text ?? k.data), 0) };
}

describe('what is kept for a resume', () => {
  it('is let go once older than the resume window', async () => {
    const [alice, bob] = await Promise.all([connect(server.url), connect(server.url)]);
    await joined(alice, 'window');
    await joined(bob, 'window');
    for (let i = 0; i < 3; i++) {
      const got = next(bob, 'signal');
      assert.deepEqual(await request(alice, 'signal', { to: bob.id, data: `offer-${i}` }), { ok: true });
      await got;
    }
    server.core.sweep(Date.now());
    assert.ok(keptFor(bob).events >= 3, 'kept within the window');
    // The clock the sweep is given stands for the window having passed (the core sweeps by itself
    // every quarter of it).
    server.core.sweep(Date.now() + WINDOW_MS + 1_000);
    assert.equal(keptFor(bob).events, 0);
  });

  it(`is at most ${KEPT_BYTES_PER_SESSION / 1024} KiB per session and ${KEPT_BYTES_PER_ADDRESS / 1048576} MiB per client address`, async () => {
    // Every test client comes from 127.0.0.1: one address, as an attacker's connections would be.
    const listeners = await Promise.all(Array.from({ length: 24 }, () => connect(server.url)));
    const sender = await connect(server.url);
    const big = 'x'.repeat(60_000);
    // The classic relay's lobby: every message goes to every other lobby client, and is kept for each.
    for (let i = 0; i < 40; i++) assert.deepEqual(await request(sender, 'message', `${i}${big}`), { ok: true });
    await Promise.all(listeners.map((l) => settle(l)));
    const kept = listeners.map(keptFor);
    for (const k of kept) assert.ok(k.bytes <= KEPT_BYTES_PER_SESSION, `${k.bytes} bytes kept for one session`);
    const total = kept.reduce((sum, k) => sum + k.bytes, 0);
    assert.ok(total <= KEPT_BYTES_PER_ADDRESS, `${total} bytes kept for one address`);
    for (const l of [...listeners, sender]) l.disconnect();
  });

  it('is nothing when the server has no resume window', async () => {
    const noWindow = await startServer({ resumeWindowMs: 0 });
    const [alice, bob] = await Promise.all([connect(noWindow.url), connect(noWindow.url)]);
    const got = next(bob, 'message');
    assert.deepEqual(await request(alice, 'message', 'hello lobby'), { ok: true });
    await got;
    assert.equal(noWindow.core.sessions.get(bob.id!)?.kept.length, 0);
  });
});

describe('a lobby flooded with large messages', () => {
  it('leaves the heap within 256 MiB, /healthz answering and a bystander joining', async () => {
    const node = await startNode();
    const bystanders = await Promise.all(Array.from({ length: 4 }, () => connect(node.url)));
    const flooders = await Promise.all(Array.from({ length: 6 }, () => rawClient(node.port)));
    // 63 KB of `[[],[],…]`: small as text, ~20 times that as parsed values on the heap.
    const flood = `["message",[${Array.from({ length: 21_000 }, () => '[]').join(',')}]]`;
    // Each sends a burst within the rate limit, every message acknowledged.
    await Promise.all(
      flooders.map(async (raw) => {
        for (let i = 0; i < 60; i++) raw.send(`42${i}${flood}`);
        for (let answered = 0; answered < 60;) if (/^43\d+/.test(await raw.answer())) answered++;
      }),
    );
    await Promise.all(bystanders.map((b) => settle(b)));
    const health = await fetch(`${node.url}/healthz`);
    assert.equal(health.status, 200);
    const metrics = await (await fetch(`${node.url}/metrics`)).text();
    const heap = Number(/^tsunagu_nodejs_heap_size_used_bytes (\S+)$/m.exec(metrics)?.[1]);
    assert.ok(heap < 256 * 1048576, `heap ${(heap / 1048576).toFixed(0)} MiB`);
    const late = await connect(node.url);
    assert.equal((await joined(late, 'after-the-flood')).self.id, late.id);
    assert.equal(node.proc.exitCode, null);
  });
});
