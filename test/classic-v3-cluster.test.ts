/**
 * Two tsunagu nodes sharing a real redis-server: the classic relay works across them for the
 * tutorial's own socket.io-client 1.x and 2.x, as it does on one node. Only what clients see is
 * asserted — whichever way the nodes share their traffic.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { connect, next } from './helpers/clients.js';
import { connectLegacy, nextArgs } from './helpers/legacy-clients.js';
import { startNode, startRedis } from './helpers/processes.js';

const redis = await startRedis();
const [nodeA, nodeB] = [await startNode('--redis', redis.url), await startNode('--redis', redis.url)];
after(() => redis.stop());

describe('two nodes, one Redis, Engine.IO v3 clients', () => {
  it('socket.json.send from a 2.x client on node A reaches 1.x and v4 clients on node B as message, and back', async () => {
    const onA = await connectLegacy('2.5.0', nodeA.url);
    const [v1OnB, v4OnB] = [await connectLegacy('1.7.4', nodeB.url), await connect(nodeB.url)];
    const offer = { type: 'offer', sdp: 'v=0\r\n' };
    const toB = Promise.all([nextArgs(v1OnB, 'message'), next(v4OnB, 'message')]);
    onA.json.send(offer);
    const [[atV1], atV4] = await toB;
    assert.deepEqual(atV1, offer);
    assert.deepEqual(atV4, offer);

    const answer = { type: 'answer', sdp: 'v=0\r\n' };
    const toA = nextArgs(onA, 'message');
    v1OnB.json.send(answer);
    assert.deepEqual((await toA)[0], answer);
  });

  it('a 2.x client leaving node A is user disconnected to a 1.x client on node B', async () => {
    const onA = await connectLegacy('2.5.0', nodeA.url);
    const onB = await connectLegacy('1.7.4', nodeB.url);
    const heard = nextArgs(onB, 'user disconnected');
    onA.disconnect();
    await heard;
  });
});
