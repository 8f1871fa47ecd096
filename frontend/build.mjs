// Bundles the <code-runner> component into the jar's classpath assets (served at /assets).
// Run by Maven (generate-resources) through `npm run build`; `node build.mjs --out DIR` for elsewhere.
import * as esbuild from 'esbuild';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const outIndex = args.indexOf('--out');
const outdir =
  outIndex >= 0 ? path.resolve(args[outIndex + 1]) : path.join(here, '..', 'target', 'classes', 'assets');

// Chunk names carry content hashes: drop the previous build's files so no stale chunk is packaged.
mkdirSync(outdir, { recursive: true });
for (const f of readdirSync(outdir)) {
  if (/^livepost.*\.(js|css|map|txt)$/.test(f)) rmSync(path.join(outdir, f));
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
// What a page downloads up front (the entry and its static imports) and what only on demand.
const meta = result.metafile.outputs;
const main = Object.keys(meta).find((f) => f.endsWith('livepost.js'));
const upfront = new Set();
const visit = (f) => {
  if (upfront.has(f)) return;
  upfront.add(f);
  for (const i of meta[f].imports) if (i.kind === 'import-statement' && meta[i.path]) visit(i.path);
};
visit(main);
const size = (files) => (files.reduce((n, f) => n + meta[f].bytes, 0) / 1024).toFixed(0) + ' KiB';
const js = Object.keys(meta).filter((f) => f.endsWith('.js'));
console.log(
  `frontend: built ${path.relative(process.cwd(), outdir)}: ${size([...upfront])} of JavaScript up front` +
    ` (${upfront.size} files), ${size(js.filter((f) => !upfront.has(f)))} of language grammars on demand,` +
    ` ${size(Object.keys(meta).filter((f) => f.endsWith('.css')))} of CSS`,
);

// The list of files a static copy of the site needs (livepost.js imports its chunks by relative
// URL, and a jar's folder cannot be listed through the class loader).
writeFileSync(
  path.join(outdir, 'livepost-files.txt'),
  Object.keys(meta)
    .map((f) => path.basename(f))
    .sort()
    .join('\n') + '\n',
);
