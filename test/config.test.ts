/** Configuration: declared once, resolved flag > environment > default, and documented as declared. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { errorCodes } from '../src/protocol/index.js';
import { defaults, optionSpecs, resolveConfig, flagOf } from '../src/server/config.js';
import { createServer } from '../src/server/index.js';
import { renderConfigTable } from '../src/server/config-docs.js';
import { packageVersion } from '../src/server/package-info.js';

const run = promisify(execFile);
const cli = (...args: string[]) => run(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args]);

describe('options', () => {
  it('defaults: port 9001, no ICE servers, 64 KiB payloads', () => {
    assert.equal(defaults.port, 9001);
    assert.deepEqual(defaults.iceServers, []);
    assert.equal(defaults.maxPayloadBytes, 65536);
  });

  it('durations say their unit: seconds on the command line, milliseconds in code; a unitless name is refused', async () => {
    assert.equal(flagOf('resumeWindowMs'), 'resume-window');
    assert.equal(resolveConfig({ resumeWindowMs: '30' }).resumeWindowMs, 30_000);
    assert.equal(resolveConfig({}, { RESUME_WINDOW: '1.5' }).resumeWindowMs, 1_500);
    await assert.rejects(createServer({ port: 0, logLevel: 'silent', resumeWindow: 30 } as never), {
      message: "unknown option 'resumeWindow' (did you mean 'resumeWindowMs'?)",
    });
  });

  it('a flag wins over the environment, which wins over the default', () => {
    assert.equal(resolveConfig({}, {}).port, 9001);
    assert.equal(resolveConfig({}, { PORT: '8080' }).port, 8080);
    assert.equal(resolveConfig({ port: '7000' }, { PORT: '8080' }).port, 7000);
  });

  it('--ice-servers takes a JSON list of RTCIceServer', () => {
    const config = resolveConfig({ iceServers: '[{"urls":["stun:127.0.0.1:3478"],"username":"u","credential":"c"}]' });
    assert.deepEqual(config.iceServers, [{ urls: ['stun:127.0.0.1:3478'], username: 'u', credential: 'c' }]);
  });

  it('bad values are rejected with the flag or variable named', () => {
    assert.throws(() => resolveConfig({ port: '70000' }), /--port must be an integer from 0 to 65535 \(got '70000'\)/);
    assert.throws(() => resolveConfig({}, { PORT: 'abc' }), /^Error: PORT must be/);
    assert.throws(() => resolveConfig({ iceServers: 'stun:x' }), /--ice-servers must be valid JSON/);
    assert.throws(() => resolveConfig({ iceServers: '[{"url":"stun:x"}]' }), /--ice-servers is not valid/);
    assert.throws(() => resolveConfig({ logLevel: 'loud' }), /--log-level must be one of/);
  });

  it('the README table is the one rendered from the declarations', () => {
    const readme = readFileSync('README.md', 'utf8');
    assert.ok(readme.includes(renderConfigTable()), 'README.md is stale: run `npm run docs:config`');
  });

  it('docs/protocol.md lists every error code', () => {
    const doc = readFileSync('docs/protocol.md', 'utf8');
    for (const code of Object.keys(errorCodes)) {
      assert.match(doc, new RegExp('\\|\\s*`' + code + '`\\s*\\|'), `${code} is undocumented`);
    }
  });
});

describe('the tsunagu command', () => {
  it('--help lists every option with its environment variable and default', async () => {
    const { stdout } = await cli('--help');
    assert.match(stdout, /^Usage: tsunagu \[options\]$/m);
    for (const [name, spec] of Object.entries(optionSpecs)) {
      assert.ok(stdout.includes(`--${flagOf(name as keyof typeof optionSpecs)}`), name);
      assert.ok(stdout.includes(`env ${spec.env}`), spec.env);
    }
  });

  it('--version prints the package version', async () => {
    const { stdout } = await cli('--version');
    assert.equal(stdout.trim(), packageVersion);
  });

  it('an unknown flag or a bad value exits 2 with a clear message', async () => {
    await assert.rejects(cli('--prot', '1'), (err: { code: number; stderr: string }) => {
      assert.equal(err.code, 2);
      assert.match(err.stderr, /Unknown option '--prot'/);
      assert.match(err.stderr, /tsunagu --help/);
      return true;
    });
    await assert.rejects(cli('--port', 'x'), (err: { code: number; stderr: string }) => {
      assert.equal(err.code, 2);
      assert.match(err.stderr, /--port must be an integer/);
      return true;
    });
  });
});
