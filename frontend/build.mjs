// Bundles the <code-runner> component into the jar's classpath assets (served at /assets).
// Run by Maven (generate-resources) through `npm run build`; `node build.mjs --out DIR` for elsewhere.
import * as esbuild from 'esbuild';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const outIndex = args.indexOf('--out');
const outdir =
  outIndex >= 0 ? path.resolve(args[outIndex + 1]) : path.join(here, '..', 'target', 'classes', 'assets');

// Chunk names carry content hashes: drop the previous build's files so no stale chunk is packaged.
mkdirSync(outdir, { recursive: true });
for (const f of readdirSync(outdir)) {
  if (/^livepost.*\.(js|css|map)$/.test(f)) rmSync(path.join(outdir, f));
}

const result = await esbuild.build({
  entryPoints: { livepost: path.join(here, 'src', 'index.js') },
  outdir,
  bundle: true,
  format: 'esm',
  splitting: true, // one chunk per language, loaded on demand
  chunkNames: 'livepost-[name]-[hash]',
  minify: true,
  sourcemap: 'linked',
  target: ['es2020', 'chrome90', 'firefox90', 'safari15'],
  legalComments: 'linked',
  metafile: true,
  logLevel: 'warning',
});
for (const [file, { bytes }] of Object.entries(result.metafile.outputs)) {
  console.log(`${path.relative(process.cwd(), file)}  ${(bytes / 1024).toFixed(1)} KiB`);
}
