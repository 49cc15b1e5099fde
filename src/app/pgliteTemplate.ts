import {
  constants,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { openDatabase } from '../eventstore/index.js';
import { migrateToLatest } from './migrate.js';
import { packageRoot } from './packageRoot.js';

/**
 * A fresh embedded database is a copy of a template, not a new initdb. PGlite's initdb is most of a first start
 * (seconds of WebAssembly); `npm install` (the `prepare` script, `npm run build:pglite`) runs it once, migrates
 * the result to the latest schema and keeps the closed data directory under dist/. A first `tuneledger start`
 * copies it into place and opens it as an existing database; migrations still run after, so a template older
 * than the migrations only costs their time. A template made by another PGlite version is not used.
 */
export interface PgliteTemplate {
  /** The closed, migrated PGlite data directory. */
  readonly dataDir: string;
  /** The PGlite version that wrote it. */
  readonly versionFile: string;
}

export function defaultPgliteTemplate(
  root: string = join(packageRoot(), 'dist', 'pglite-template'),
): PgliteTemplate {
  return { dataDir: join(root, 'pgdata'), versionFile: join(root, 'pglite-version') };
}

/** The installed PGlite's version (its package.json). */
export function pgliteVersion(): string {
  // The package does not export its package.json: walk up from its entry point.
  let dir = dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const { name, version } = JSON.parse(readFileSync(manifest, 'utf8')) as {
        name?: string;
        version: string;
      };
      if (name === '@electric-sql/pglite') return version;
    }
    if (dirname(dir) === dir) throw new Error('tuneledger: cannot find the installed PGlite version');
    dir = dirname(dir);
  }
}

function isEmptyOrMissing(dir: string): boolean {
  return !existsSync(dir) || readdirSync(dir).length === 0;
}

/**
 * Copies the template into `dataDir` when `dataDir` holds no database yet and a template written by this PGlite
 * version exists; returns whether it did. The copy goes to a sibling first and is renamed into place, so an
 * interrupted copy never leaves a half database where PGlite would find one.
 */
export function seedFromTemplate(
  dataDir: string,
  template: PgliteTemplate = defaultPgliteTemplate(),
): boolean {
  if (!isEmptyOrMissing(dataDir)) return false;
  if (!existsSync(join(template.dataDir, 'PG_VERSION')) || !existsSync(template.versionFile)) return false;
  if (readFileSync(template.versionFile, 'utf8').trim() !== pgliteVersion()) return false;
  const copy = `${dataDir}.copying-${process.pid}`;
  rmSync(copy, { recursive: true, force: true });
  // A copy-on-write clone where the file system offers one (btrfs, XFS, APFS), a plain copy elsewhere.
  cpSync(template.dataDir, copy, { recursive: true, mode: constants.COPYFILE_FICLONE });
  rmSync(dataDir, { recursive: true, force: true });
  renameSync(copy, dataDir);
  return true;
}

/** Writes the template: a new PGlite database, migrated to the latest schema, closed; replaces an older one. */
export async function writePgliteTemplate(template: PgliteTemplate = defaultPgliteTemplate()): Promise<void> {
  const root = dirname(template.dataDir);
  const building = `${template.dataDir}.building-${process.pid}`;
  rmSync(building, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  const database = await openDatabase({ dataDir: building });
  try {
    await migrateToLatest(database.db);
  } finally {
    await database.close();
  }
  rmSync(template.dataDir, { recursive: true, force: true });
  rmSync(template.versionFile, { force: true });
  renameSync(building, template.dataDir);
  writeFileSync(template.versionFile, `${pgliteVersion()}\n`);
}
