#!/usr/bin/env node
// The command line runs the compiled code in dist/ (type-graphql's decorators need tsc's emitDecoratorMetadata, so
// the sources are not run directly). In a checkout whose sources changed since the last build it compiles first,
// so an edited source never runs stale; otherwise it starts at once.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, utimesSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stamp = join(root, 'dist', '.tsbuildinfo');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

/** The newest modification time of a .ts file under dir. */
function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

const sourceDirs = ['src', 'migrations', 'bench']
  .map((dir) => join(root, dir))
  .filter((dir) => existsSync(dir));
const builtAt = existsSync(stamp) ? statSync(stamp).mtimeMs : 0;
if (sourceDirs.length > 0 && existsSync(tsc) && sourceDirs.some((dir) => newestSource(dir) > builtAt)) {
  process.stderr.write(
    'tuneledger: the sources changed since the last build; compiling them first (npm run build)\n',
  );
  const build = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], {
    stdio: 'inherit',
  });
  if (build.status !== 0) process.exit(build.status ?? 1);
  // tsc leaves its build info untouched when no output changed: mark the build as current anyway.
  const now = new Date();
  if (existsSync(stamp)) utimesSync(stamp, now, now);
}

await import('../dist/src/app/cli.js');
