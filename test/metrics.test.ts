/** /metrics is Prometheus text, and its numbers move with the traffic; /readyz says when not to send any. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import parsePrometheus from 'parse-prometheus-text-format';
import { connect, joined, next, request } from './helpers/clients.js';
import { startServer } from './helpers/server.js';

const server = await startServer();
const SOCKETIO = { protocol: 'socketio' };

interface Family {
  name: string;
  type: string;
  metrics: Array<{ value?: string; labels?: Record<string, string>; buckets?: Record<string, string>; count?: string }>;
}

async function scrape(): Promise<Map<string, Family> & { text: string }> {
  const res = await fetch(`${server.url}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  const families = parsePrometheus(text) as Family[];
  return Object.assign(new Map(families.map((f) => [f.name, f])), { text });
}

/** A histogram's sample count for one event (the parser drops histogram labels, so read the text). */
function observations(families: { text: string }, event: string): number {
  const match = new RegExp(`^tsunagu_event_duration_seconds_count\\{event="${event}"\\} (\\d+)$`, 'm').exec(
    families.text,
  );
  return Number(match?.[1] ?? 0);
}

function value(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number {
  const family = families.get(name);
  assert.ok(family, `${name} is exported`);
  const sample = family.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  return Number(sample?.value ?? sample?.count ?? 0);
}

describe('/metrics', () => {
  it('parses as Prometheus text with the gauges, counters, histogram and process metrics', async () => {
    const families = await scrape();
    for (const [name, type] of [
      ['tsunagu_connected_sockets', 'GAUGE'],
      ['tsunagu_rooms', 'GAUGE'],
      ['tsunagu_peers', 'GAUGE'],
      ['tsunagu_signals_relayed_total', 'COUNTER'],
      ['tsunagu_errors_total', 'COUNTER'],
      ['tsunagu_event_duration_seconds', 'HISTOGRAM'],
      ['tsunagu_process_resident_memory_bytes', 'GAUGE'],
    ]) {
      assert.equal(families.get(name)?.type, type, name);
    }
  });

  it('moves with traffic: sockets, rooms, peers, signals by kind, errors by code, event durations', async () => {
    const before = await scrape();
    const [alice, bob] = await Promise.all([connect(server.url), connect(server.url)]);
    await joined(alice, 'metrics-1');
    await joined(bob, 'metrics-1');
    const got = next(bob, 'signal');
    await request(alice, 'signal', { to: bob.id, data: { description: { type: 'offer', sdp: 'v=0' } } });
    await got;
    await request(alice, 'signal', { to: bob.id, data: { candidates: [{ candidate: 'c' }] } });
    await request(alice, 'join', { room: '' });
    const after = await scrape();

    assert.equal(
      value(after, 'tsunagu_connected_sockets', SOCKETIO) - value(before, 'tsunagu_connected_sockets', SOCKETIO),
      2,
    );
    assert.equal(value(after, 'tsunagu_rooms') - value(before, 'tsunagu_rooms'), 1);
    assert.equal(value(after, 'tsunagu_peers') - value(before, 'tsunagu_peers'), 2);
    const kind = (k: string) => ({ kind: k, protocol: 'socketio' });
    assert.equal(
      value(after, 'tsunagu_signals_relayed_total', kind('offer')) -
        value(before, 'tsunagu_signals_relayed_total', kind('offer')),
      1,
    );
    assert.equal(
      value(after, 'tsunagu_signals_relayed_total', kind('candidate')) -
        value(before, 'tsunagu_signals_relayed_total', kind('candidate')),
      1,
    );
    const bad = { code: 'bad-request' };
    assert.equal(value(after, 'tsunagu_errors_total', bad) - value(before, 'tsunagu_errors_total', bad), 1);
    assert.equal(observations(after, 'signal') - observations(before, 'signal'), 2);
  });

  it("each event's durations form a histogram: cumulative buckets, +Inf equal to the count, a sum", async () => {
    const client = await connect(server.url);
    for (let i = 0; i < 3; i++) await joined(client, `metrics-h-${i}`);
    const { text } = await scrape();
    const buckets = [...text.matchAll(/^tsunagu_event_duration_seconds_bucket\{le="([^"]+)",event="join"\} (\d+)$/gm)];
    assert.equal(buckets.at(-1)?.[1], '+Inf');
    const counts = buckets.map((b) => Number(b[2]));
    counts.forEach((c, i) => assert.ok(i === 0 || c >= counts[i - 1], `bucket ${buckets[i][1]} is cumulative`));
    assert.equal(counts.at(-1), observations({ text }, 'join'));
    assert.ok(observations({ text }, 'join') >= 3);
    const sum = /^tsunagu_event_duration_seconds_sum\{event="join"\} (\S+)$/m.exec(text);
    assert.ok(Number(sum?.[1]) > 0);
    client.disconnect();
  });
});

describe('/healthz and /readyz', () => {
  it('are 200 while serving; /readyz turns 503 while draining, with the reason', async () => {
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    const ready = await fetch(`${server.url}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { ready: true, reasons: [] });
    server.health.draining = true;
    try {
      const draining = await fetch(`${server.url}/readyz`);
      assert.equal(draining.status, 503);
      assert.deepEqual(await draining.json(), { ready: false, reasons: ['draining for shutdown'] });
    } finally {
      server.health.draining = false;
    }
  });
});

describe('label cardinality', () => {
  it('event names a client invents are all counted as other: no client grows the metrics', async () => {
    const client = await connect(server.url);
    for (let i = 0; i < 50; i++) await request(client, `invented-${i}`, {});
    const families = await scrape();
    assert.ok(!families.text.includes('invented-'), 'no label per invented name');
    assert.ok(observations(families, 'other') >= 50);
  });
});
