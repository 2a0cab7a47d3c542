/**
 * A rolling restart behind the documented nginx (docs/deploy/nginx.conf), as an operator does one:
 * two nodes sharing Redis, each in turn SIGTERMed (it drains: `server-shutdown`, then refuses
 * newcomers with `shutting-down`) and started again on its port. SDK clients on both nodes — two
 * Chromium pages in a call, and Node clients in a room — all end connected, in the same call and
 * room, media still decoded: none is left behind in `reconnecting`.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { SignalingClient } from '../../packages/client/src/index.js';
import { connectedTo, framesFlowing, join, openApp, selfId } from '../helpers/app.js';
import { E2E, launchBrowser } from '../helpers/browser.js';
import { exited, startNginx, startNode, startRedis, waitForLine, type Node } from '../helpers/processes.js';
import { NODE_WEBSOCKET, reaches } from '../helpers/sdk.js';

// Room for the old selves of clients whose session could not resume: away members keep their
// place until the resume window ends.
const NODE_ARGS = ['--trust-proxy', '1', '--shutdown-grace', '10', '--max-peers-per-room', '64'];

/**
 * The node started again on its port, from the build (`npm start`'s dist/cli.js), as a deploy
 * does; with patience for a machine busy with the call's media.
 */
async function restart(port: number, redis: string): Promise<Node> {
  const args = ['dist/cli.js', '--host', '127.0.0.1', '--port', String(port), '--redis', redis, ...NODE_ARGS];
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  proc.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  after(() => proc.kill('SIGKILL'));
  await waitForLine(proc, /"msg":"listening"/, 60_000);
  return { proc, port, url: `http://127.0.0.1:${port}`, output: () => output };
}

describe('a rolling restart behind nginx', () => {
  it(
    'each node in turn SIGTERMed and started again: every SDK client ends connected in the same call, frames still decoded',
    E2E,
    async () => {
      const redis = await startRedis();
      after(() => redis.stop());
      const nodes: Node[] = [];
      for (let i = 0; i < 2; i++) nodes.push(await startNode('--redis', redis.url, ...NODE_ARGS));
      const lb = await startNginx(nodes.map((n) => n.port));

      const browser = await launchBrowser();
      const pages = [
        await openApp(browser, lb.url, 'rolling', 'Aiko'),
        await openApp(browser, lb.url, 'rolling', 'Ben'),
      ];
      const ids = [await join(pages[0]), await join(pages[1])];
      await connectedTo(pages[0], [ids[1]]);
      await connectedTo(pages[1], [ids[0]]);

      // Enough Node clients that nginx's round robin puts some on each node.
      const clients = Array.from({ length: 6 }, () => new SignalingClient(lb.url, { WebSocket: NODE_WEBSOCKET }));
      after(() => clients.forEach((c) => c.close()));
      for (const c of clients) await c.join('rolling-sdk');
      const log: string[] = [];
      clients.forEach((c, i) => {
        c.on('connection-state', (state, reason) => log.push(`${i} ${state} ${reason} ${c.id}`));
        c.on('peer-left', ({ id, reason }) => log.push(`${i} saw peer-left ${id} ${reason}`));
        c.on('peer-joined', ({ id }) => log.push(`${i} saw peer-joined ${id}`));
        c.on('error', (err) => log.push(`${i} error ${err.code} ${err.message}`));
      });

      for (const [i, node] of nodes.entries()) {
        node.proc.kill('SIGTERM');
        assert.equal(await exited(node.proc), 0, 'it drained and exited by itself');
        nodes[i] = await restart(node.port, redis.url);
        for (const c of clients) assert.equal(await reaches(c, 'connected', 30_000), c.reason);
      }

      // The Node clients: all connected, all still in one room (an acked signal to each other one).
      for (const c of clients) assert.equal(c.state, 'connected');
      for (const other of clients.slice(1))
        await clients[0].signal(other.id!, 'still with us?').catch((err: Error) => {
          throw new Error(`${err.message}\n${log.join('\n')}`);
        });

      // The call: both pages connected to each other (under new ids if a session could not
      // resume), media flowing both ways.
      const now = [(await selfId(pages[0]))!, (await selfId(pages[1]))!];
      await connectedTo(pages[0], [now[1]]);
      await connectedTo(pages[1], [now[0]]);
      await framesFlowing(pages[0], now[1]);
      await framesFlowing(pages[1], now[0]);
      for (const page of pages)
        assert.equal(await page.evaluate(() => window.tsunaguApp.room.client.state), 'connected');
      await Promise.all(pages.map((p) => p.context().close()));
    },
  );
});
