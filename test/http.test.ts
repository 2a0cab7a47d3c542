/** The HTTP side of the one port: the web app, the classic socket.io client script, and /healthz. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startServer } from './helpers/server.js';

const server = await startServer();

describe('http', () => {
  it('serves the 1:1 call page with the four classic buttons', async () => {
    const res = await fetch(`${server.url}/one-to-one.html?room=x`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
    const html = await res.text();
    for (const label of ['Start video', 'Stop video', 'Connect', 'Hang up']) assert.ok(html.includes(label), label);
  });

  it('serves the bundled app script the page names (app-<content hash>.js)', async () => {
    const html = await (await fetch(`${server.url}/`)).text();
    const script = /<script type="module" src="(\/app-[A-Z2-7]{8}\.js)"><\/script>/.exec(html)?.[1];
    assert.ok(script, 'the page names its hashed script');
    const res = await fetch(`${server.url}${script}`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /javascript/);
  });

  it('serves the socket.io client at /socket.io/socket.io.js, as the classic page loads it', async () => {
    const res = await fetch(`${server.url}/socket.io/socket.io.js`);
    assert.equal(res.status, 200);
  });

  it('answers /healthz', async () => {
    const res = await fetch(`${server.url}/healthz`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ok' });
  });

  it('answers 404 for what it does not have', async () => {
    const res = await fetch(`${server.url}/nope`);
    assert.equal(res.status, 404);
  });
});
