// Runs `npm ci` only when node_modules does not match package-lock.json (Maven calls this before
// every build; a full `npm ci` each time would cost seconds and need the registry).
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const lock = path.join(here, 'package-lock.json');
const stamp = path.join(here, 'node_modules', '.livepost-lock.sha256');
const want = createHash('sha256').update(readFileSync(lock)).digest('hex');
const have = existsSync(stamp) ? readFileSync(stamp, 'utf8').trim() : '';

if (want === have && existsSync(path.join(here, 'node_modules', 'esbuild'))) {
  console.log('frontend: node_modules is up to date with package-lock.json');
} else {
  console.log('frontend: npm ci');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['ci', '--no-audit', '--no-fund'], { cwd: here, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`frontend: npm ci failed (${r.error ? r.error.message : 'exit ' + r.status})`);
    process.exit(1);
  }
  writeFileSync(stamp, want + '\n');
}
