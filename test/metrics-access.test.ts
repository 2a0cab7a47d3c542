/**
 * Who may read /metrics (it tells room and traffic counts): anyone on the main port by default;
 * with `--metrics-port`, only whoever reaches that port (the main one answers 404); with
 * `--metrics-token`, only who sends the bearer token (401 otherwise).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveConfig } from '../src/server/config.js';
import { startServer } from './helpers/server.js';

const TOKEN = 'metrics-token-for-specs-0123456789';

const get = (url: string, token?: string) =>
  fetch(url, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });

describe('/metrics on its own port (--metrics-port)', async () => {
  const server = await startServer({ metricsPort: 0, metricsHost: '127.0.0.1' });

  it('is served on the metrics port, as Prometheus text', async () => {
    assert.ok(server.metricsUrl);
    assert.notEqual(server.metricsUrl, server.url);
    const res = await get(`${server.metricsUrl}/metrics`);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /^# HELP tsunagu_/m);
    assert.equal(res.headers.get('cache-control'), 'no-store');
  });

  it('is 404 on the main port, which serves everything else as before', async () => {
    const res = await get(`${server.url}/metrics`);
    assert.equal(res.status, 404);
    await res.arrayBuffer();
    assert.equal((await get(`${server.url}/healthz`)).status, 200);
  });

  it('the metrics port serves nothing else: not the app, not the API', async () => {
    for (const path of ['/', '/healthz', '/api/v1/rooms', '/sdk/tsunagu.js']) {
      const res = await get(`${server.metricsUrl}${path}`);
      assert.equal(res.status, 404, path);
      await res.arrayBuffer();
    }
  });
});

describe('/metrics behind a bearer token (--metrics-token)', async () => {
  const server = await startServer({ metricsToken: TOKEN });
  const moved = await startServer({ metricsToken: TOKEN, metricsPort: 0 });

  it('answers 401 unauthorized without the token, or with another one', async () => {
    for (const token of [undefined, '', 'wrong', TOKEN.slice(0, -1), `${TOKEN}x`]) {
      const res = await get(`${server.url}/metrics`, token);
      assert.equal(res.status, 401, `token ${token}`);
      assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer/);
      const body = (await res.json()) as { ok: boolean; error: { code: string } };
      assert.deepEqual([body.ok, body.error.code], [false, 'unauthorized']);
    }
  });

  it('answers 200 with the token', async () => {
    const res = await get(`${server.url}/metrics`, TOKEN);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /^# HELP tsunagu_/m);
  });

  it('asks for it on the metrics port too', async () => {
    const without = await get(`${moved.metricsUrl}/metrics`);
    assert.equal(without.status, 401);
    await without.arrayBuffer();
    assert.equal((await get(`${moved.metricsUrl}/metrics`, TOKEN)).status, 200);
  });

  it('a token under 16 characters, or --metrics-host without --metrics-port, is refused at start', () => {
    assert.throws(() => resolveConfig({ metricsToken: 'short' }), /--metrics-token must be at least 16 characters/);
    assert.throws(() => resolveConfig({ metricsHost: '127.0.0.1' }), /--metrics-host needs --metrics-port/);
  });
});
