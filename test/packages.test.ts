/**
 * The two npm packages as their users get them: `npm pack`, then a fresh project elsewhere that
 * installs the tarball (offline: the client's few dependencies come from the npm cache) and uses
 * the SDK the way an app would — plain Node, a strict `tsc`, esbuild.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { build } from 'esbuild';

const run = promisify(execFile);
const repo = resolve('.');
const dir = mkdtempSync(join(tmpdir(), 'tsunagu-packages-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** `npm pack` in the repo; resolves with the files the tarball holds. */
async function pack(args: string[]): Promise<{ filename: string; files: string[] }> {
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', dir, ...args], {
    cwd: repo,
    maxBuffer: 16 * 1024 * 1024,
  });
  const [info] = JSON.parse(stdout.slice(stdout.indexOf('['))) as Array<{
    filename: string;
    files: Array<{ path: string }>;
  }>;
  return {
    filename: join(dir, info.filename.replace(/^@/, '').replace('/', '-')),
    files: info.files.map((f) => f.path),
  };
}

/** What an app written against the SDK looks like, under the strictest flags people use. */
const APP = `
import { Backoff, Room, SignalingClient, SignalingError, type ConnectionState } from '@tsunagu/client';
import { V1_PATH, errorCodes, type ErrorCode } from '@tsunagu/client/protocol';

const client = new SignalingClient('https://calls.example.org', {
  token: async () => 'a.jwt.token',
  reconnect: new Backoff({ maxAttempts: 10 }),
});
const room = new Room(client, { rtcConfig: { iceServers: [{ urls: 'stun:stun.example.org' }] } });
room.on('track', (participant, track, stream) => console.log(participant.id, track.kind, stream.id));
room.on('data', (participant, data) => console.log(participant.name, data instanceof ArrayBuffer));
client.on('connection-state', (state: ConnectionState, reason) => console.log(state, reason));
const known: ErrorCode[] = Object.keys(errorCodes) as ErrorCode[];

export async function start(): Promise<void> {
  try {
    const { self, peers } = await room.join('standup', { name: 'Aiko' });
    console.log(self.id, peers.length, V1_PATH, known.length);
  } catch (err) {
    if (err instanceof SignalingError && err.code === 'unauthorized') client.close();
  }
}
`;

const STRICT = {
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    lib: ['ES2022', 'DOM', 'DOM.Iterable'],
    types: [],
    strict: true,
    exactOptionalPropertyTypes: true,
    noPropertyAccessFromIndexSignature: true,
    noUncheckedIndexedAccess: true,
    skipLibCheck: true,
    noEmit: true,
  },
  files: ['app.ts'],
};

/** Server-side packages, which an SDK user must never get. (`ws` comes with socket.io-client for Node.) */
const SERVER_ONLY = [
  'socket.io',
  'engine.io',
  'socket.io-adapter',
  'redis',
  'pino',
  'prom-client',
  'jose',
  'sirv',
  'zod',
];

describe('the npm packages', () => {
  it(
    '@tsunagu/client installs from its tarball into a fresh project: plain Node imports it touching no browser global, a strict tsc accepts an app using Room and SignalingClient, esbuild bundles it, and no server dependency comes along',
    { timeout: 300_000 },
    async () => {
      const { filename, files } = await pack(['-w', '@tsunagu/client']);
      assert.ok(files.includes('dist/index.js') && files.includes('dist/index.d.ts'), files.join(' '));
      assert.ok(files.includes('dist/index.js.map') && files.includes('README.md'));
      assert.deepEqual(
        files.filter((f) => !/^(dist\/|src\/|README\.md$|package\.json$)/.test(f)),
        [],
        'nothing but the build, its sources (for the maps), the README and package.json',
      );

      const app = join(dir, 'app');
      mkdirSync(app);
      writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
      await run('npm', ['install', '--offline', '--no-audit', '--no-fund', filename], { cwd: app }).catch(
        (err: Error) => {
          throw new Error(
            `npm install --offline failed (are the client's dependencies in the npm cache?)\n${err.message}`,
          );
        },
      );
      const installed = readdirSync(join(app, 'node_modules')).flatMap((name) =>
        name.startsWith('@') ? readdirSync(join(app, 'node_modules', name)).map((n) => `${name}/${n}`) : [name],
      );
      assert.ok(installed.includes('@tsunagu/client'));
      assert.deepEqual(
        installed.filter((name) => SERVER_ONLY.includes(name) || name.startsWith('@redis/') || name === 'tsunagu'),
        [],
      );

      // Plain Node: every browser global the SDK could touch is a trap that records the touch.
      writeFileSync(
        join(app, 'check.mjs'),
        `const touched = [];
for (const name of ['window', 'document', 'self', 'navigator', 'location', 'WebSocket', 'RTCPeerConnection',
  'MediaStream', 'addEventListener', 'XMLHttpRequest'])
  Object.defineProperty(globalThis, name, { configurable: true, get() { touched.push(name); } });
const sdk = await import('@tsunagu/client');
const protocol = await import('@tsunagu/client/protocol');
console.log(JSON.stringify({ touched, sdk: Object.keys(sdk), protocol: Object.keys(protocol) }));`,
      );
      const { stdout } = await run(process.execPath, ['check.mjs'], { cwd: app });
      const imported = JSON.parse(stdout) as { touched: string[]; sdk: string[]; protocol: string[] };
      assert.deepEqual(imported.touched, []);
      for (const name of ['Room', 'SignalingClient', 'SignalingError', 'Backoff'])
        assert.ok(imported.sdk.includes(name));
      assert.ok(imported.protocol.includes('errorCodes'));

      writeFileSync(join(app, 'app.ts'), APP);
      writeFileSync(join(app, 'tsconfig.json'), JSON.stringify(STRICT));
      await run(process.execPath, [join(repo, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], {
        cwd: app,
      }).catch((err: Error & { stdout?: string }) => {
        throw new Error(`tsc on the app failed:\n${err.stdout ?? err.message}`);
      });

      const bundle = await build({
        absWorkingDir: app,
        entryPoints: ['app.ts'],
        bundle: true,
        write: false,
        platform: 'browser',
        format: 'esm',
        logLevel: 'silent',
      });
      assert.deepEqual(bundle.errors, []);
      assert.match(bundle.outputFiles[0].text, /SignalingClient = class/);
    },
  );

  it('tsunagu (the server) packs only what a user runs: the built server and its types, the web app, the scripts it serves, the deploy docs', async () => {
    const { files } = await pack(['--dry-run', '--ignore-scripts']);
    assert.deepEqual(
      files.filter((f) => !/^(dist\/|docs\/deploy\/|README\.md$|CHANGELOG\.md$|package\.json$)/.test(f)),
      [],
    );
    for (const file of ['dist/cli.js', 'dist/index.js', 'dist/protocol.js', 'dist/sdk/tsunagu.js'])
      assert.ok(files.includes(file), `${file} in ${files.join(' ')}`);
    const manifest = JSON.parse(readFileSync('package.json', 'utf8')) as { dependencies: Record<string, string> };
    assert.equal(manifest.dependencies['socket.io-client'], undefined, 'the server runs no socket.io client');
  });
});
