/**
 * What one client shows another is what it looks like: display names are normalised (NFC) and may
 * not carry bidirectional or zero-width characters; and the web app's source maps served to anyone
 * carry no sources.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { connect, joined, request } from './helpers/clients.js';
import { startServer } from './helpers/server.js';

const server = await startServer();

describe('display names', () => {
  it('are normalised to NFC: a decomposed accent is the composed one', async () => {
    const client = await connect(server.url);
    const result = await joined(client, 'names', 'Jose\u0301');
    assert.equal(result.self.name, 'Jos\u00e9');
    client.disconnect();
  });

  for (const [what, name] of [
    ['a right-to-left override', 'admin\u202Egnp.exe'],
    ['a left-to-right isolate', '\u2066Aiko\u2069'],
    ['a zero-width space', 'Ai\u200Bko'],
    ['a zero-width no-break space', 'Ai\uFEFFko'],
  ] as const) {
    it(`with ${what} are refused with bad-request`, async () => {
      const client = await connect(server.url);
      const result = await request(client, 'join', { room: 'names', name });
      assert.equal(result.ok, false);
      assert.equal(!result.ok && result.error.code, 'bad-request');
      client.disconnect();
    });
  }
});

describe('the web app as served', () => {
  it('has source maps without the sources', async () => {
    const html = await (await fetch(`${server.url}/`)).text();
    const script = /src="(\/app-\w+\.js)"/.exec(html)?.[1];
    assert.ok(script);
    const res = await fetch(`${server.url}${script}.map`);
    assert.equal(res.status, 200);
    const map = (await res.json()) as { sources: string[]; sourcesContent?: unknown };
    assert.ok(map.sources.length > 0);
    assert.equal(map.sourcesContent, undefined);
  });
});
