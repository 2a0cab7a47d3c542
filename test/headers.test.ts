/**
 * What every HTTP answer tells the browser: run only our own scripts, never be framed, send no
 * referrer, sniff no types; and how long to keep it (pages revalidated, hashed files for a year,
 * live state and the API never kept). The SDK script stays loadable by pages on any origin.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startServer } from './helpers/server.js';

const server = await startServer();

/** The headers every answer of ours carries, whatever it is. */
function assertHardened(res: Response, what: string): void {
  const csp = res.headers.get('content-security-policy') ?? '';
  assert.match(csp, /(^|; )script-src 'self'(;|$)/, `${what}: scripts from our origin only`);
  assert.match(csp, /(^|; )frame-ancestors 'none'(;|$)/, `${what}: framed by nobody`);
  assert.match(csp, /(^|; )connect-src 'self'(;|$)/, `${what}: talks to our origin only`);
  assert.doesNotMatch(csp, /unsafe-(inline|eval)/, `${what}: no inline code`);
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff', what);
  assert.equal(res.headers.get('x-frame-options'), 'DENY', what);
  assert.equal(res.headers.get('referrer-policy'), 'no-referrer', what);
}

/** The app's own script or stylesheet a page names, e.g. `/app-YTFFT4IG.js`. */
async function assetOf(page: string, ext: 'js' | 'css'): Promise<string> {
  const html = await (await fetch(`${server.url}${page}`)).text();
  const name = new RegExp(`(?:src|href)="(/[\\w-]+\\.${ext})"`).exec(html)?.[1];
  assert.ok(name, `${page} names a .${ext} file`);
  return name;
}

describe('security headers', () => {
  for (const page of ['/', '/one-to-one.html']) {
    it(`${page} is served with the CSP and its companions, revalidated on every use`, async () => {
      const res = await fetch(`${server.url}${page}`);
      assert.equal(res.status, 200);
      assertHardened(res, page);
      assert.equal(res.headers.get('cache-control'), 'no-cache');
      assert.ok(res.headers.get('etag'), 'an ETag to revalidate with');
      const again = await fetch(`${server.url}${page}`, { headers: { 'if-none-match': res.headers.get('etag')! } });
      assert.equal(again.status, 304);
      assert.equal(again.headers.get('cache-control'), 'no-cache', 'a 304 does not make the page storable forever');
    });

    it(`${page} has no inline script, event handler or style attribute for the CSP to refuse`, async () => {
      const html = await (await fetch(`${server.url}${page}`)).text();
      for (const tag of html.match(/<script\b[^>]*>/g) ?? []) assert.match(tag, /\bsrc="\//, tag);
      assert.doesNotMatch(html, /<style\b/);
      assert.doesNotMatch(html, /\s(on[a-z]+|style)=/);
      assert.doesNotMatch(html, /javascript:/);
    });
  }

  it("the app's scripts and styles are named by their content and kept for a year", async () => {
    for (const asset of [
      await assetOf('/', 'js'),
      await assetOf('/', 'css'),
      await assetOf('/one-to-one.html', 'js'),
    ]) {
      assert.match(asset, /-[A-Z2-7]{8}\.(js|css)$/);
      const res = await fetch(`${server.url}${asset}`);
      assert.equal(res.status, 200, asset);
      assertHardened(res, asset);
      assert.equal(res.headers.get('cache-control'), 'public, max-age=31536000, immutable', asset);
      // Only our own pages load them: other origins may not embed them.
      assert.equal(res.headers.get('cross-origin-resource-policy'), 'same-origin', asset);
    }
  });

  it('the SDK script stays loadable from any origin (CORP cross-origin, CORS *)', async () => {
    const res = await fetch(`${server.url}/sdk/tsunagu.js`, { headers: { origin: 'https://elsewhere.example' } });
    assert.equal(res.status, 200);
    assertHardened(res, '/sdk/tsunagu.js');
    assert.equal(res.headers.get('cross-origin-resource-policy'), 'cross-origin');
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.equal(res.headers.get('cache-control'), 'public, max-age=300');
  });

  it('the classic socket.io client script is loadable from any origin, and read only as a script', async () => {
    const res = await fetch(`${server.url}/socket.io/socket.io.js`);
    assert.equal(res.status, 200);
    await res.arrayBuffer();
    assert.equal(res.headers.get('cross-origin-resource-policy'), 'cross-origin');
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  });

  it('the API, /ice-servers, /readyz and a 404 are never stored', async () => {
    for (const path of ['/api/v1/rooms', '/api/v1/openapi.json', '/ice-servers', '/readyz', '/healthz', '/nope']) {
      const res = await fetch(`${server.url}${path}`);
      await res.arrayBuffer();
      assertHardened(res, path);
      assert.equal(res.headers.get('cache-control'), 'no-store', path);
    }
  });

  it('CORS answers are as before: an allowed origin is echoed, the preflight answered', async () => {
    const res = await fetch(`${server.url}/api/v1/rooms`, {
      method: 'OPTIONS',
      headers: { origin: 'https://a.example' },
    });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.match(res.headers.get('access-control-allow-headers') ?? '', /authorization/);
    assertHardened(res, 'the preflight');
  });
});
