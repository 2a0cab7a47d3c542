// Builds what `npm start` runs and the server package ships: the CLI (dist/cli.js), `createServer`
// (dist/index.js) and the protocol (dist/protocol.js), the web app (dist/web/), and the scripts the
// server serves: the SDK for a <script> tag (dist/sdk/) and the classic socket.io client.
// (Type declarations: `npm pack` runs tsc; the SDK package builds itself, see packages/client.)
import { build } from 'esbuild';
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, extname } from 'node:path';

const sdkVersion = JSON.parse(readFileSync('packages/client/package.json', 'utf8')).version;

rmSync('dist', { recursive: true, force: true });
mkdirSync('dist/web', { recursive: true });

const [, web] = await Promise.all([
  build({
    entryPoints: { cli: 'src/cli.ts', index: 'src/server/index.ts', protocol: 'src/protocol/index.ts' },
    outdir: 'dist',
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: true,
    logLevel: 'warning',
  }),
  // The app's scripts and styles, named by their content (`app-<hash>.js`): the server lets browsers
  // keep them for a year without asking again, and a new build's pages name new files. The pages
  // are rewritten below to name them.
  build({
    entryPoints: readdirSync('web')
      .filter((f) => /\.(ts|css)$/.test(f))
      .map((f) => `web/${f}`),
    outdir: 'dist/web',
    entryNames: '[name]-[hash]',
    metafile: true,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'chrome110',
    minify: true,
    // Served to anyone: maps give stack traces their places, never the sources themselves
    // (TSUNAGU_SOURCES=1 for a development build that has them).
    sourcemap: true,
    sourcesContent: process.env.TSUNAGU_SOURCES === '1',
    logLevel: 'warning',
  }),
  // The socket.io client for the classic tutorial's <script src="/socket.io/socket.io.js">: a plain
  // script (no module) that sets the global `io`, readable and minified, as socket.io shipped it.
  ...[false, true].map((minify) =>
    build({
      entryPoints: ['src/classic-io.ts'],
      outfile: `dist/socket.io/socket.io${minify ? '.min' : ''}.js`,
      bundle: true,
      platform: 'browser',
      format: 'iife',
      target: 'es2018',
      minify,
      logLevel: 'warning',
    }),
  ),
  // The SDK as one plain script: `<script src="/sdk/tsunagu.js">` gives the global `tsunagu`
  // (`tsunagu.Room`, `tsunagu.SignalingClient`, `tsunagu.SignalingError`, …), as peerjs.min.js
  // gives `Peer`. Served by src/server/sdk-script.ts, also under its version's own URL.
  build({
    entryPoints: ['packages/client/src/index.ts'],
    outfile: 'dist/sdk/tsunagu.js',
    bundle: true,
    platform: 'browser',
    format: 'iife',
    globalName: 'tsunagu',
    target: 'es2020',
    minify: true,
    sourcemap: true,
    banner: { js: `/*! @tsunagu/client ${sdkVersion} | MIT */` },
    footer: { js: `tsunagu.version = ${JSON.stringify(sdkVersion)};` },
    logLevel: 'warning',
  }),
]);

// `/app.js` in a page → `/app-<hash>.js`, the file the build above wrote for web/app.ts.
const hashed = new Map(
  Object.entries(web.metafile.outputs)
    .filter(([, output]) => output.entryPoint !== undefined)
    .map(([file, output]) => {
      const ext = extname(file);
      return [`${basename(output.entryPoint, extname(output.entryPoint))}${ext}`, basename(file)];
    }),
);
for (const file of readdirSync('web')) {
  if (file.endsWith('.html')) {
    const html = readFileSync(`web/${file}`, 'utf8').replace(
      /(src|href)="\/([\w-]+\.(?:js|css))"/g,
      (_, attr, name) => {
        if (!hashed.has(name)) throw new Error(`web/${file} names /${name}, which the build does not make`);
        return `${attr}="/${hashed.get(name)}"`;
      },
    );
    writeFileSync(`dist/web/${file}`, html);
  } else if (/\.(svg|png|ico)$/.test(file)) {
    cpSync(`web/${file}`, `dist/web/${file}`);
  }
}
