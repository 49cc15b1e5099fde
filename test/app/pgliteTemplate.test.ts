/**
 * The embedded database template (src/app/pgliteTemplate.ts) on real PGlite: a template written once is copied
 * into a new data directory that opens as a migrated database with nothing left to migrate; a directory that
 * already holds something, or a template written by another PGlite version, is left alone.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest } from '../../src/app/migrate.js';
import {
  defaultPgliteTemplate,
  pgliteVersion,
  seedFromTemplate,
  writePgliteTemplate,
  type PgliteTemplate,
} from '../../src/app/pgliteTemplate.js';
import { openDatabase } from '../../src/eventstore/index.js';
import { migrations } from '../../migrations/index.js';

let dir: string;
let template: PgliteTemplate;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tl-pglite-template-'));
  template = defaultPgliteTemplate(join(dir, 'template'));
  await writePgliteTemplate(template);
}, 180_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the embedded database template', () => {
  it('is a closed, migrated PGlite directory marked with the PGlite version that wrote it', () => {
    expect(existsSync(join(template.dataDir, 'PG_VERSION'))).toBe(true);
    expect(readdirSync(join(dir, 'template')).sort()).toEqual(['pgdata', 'pglite-version']);
  });

  it('seeds a new data directory that opens migrated, with nothing left to migrate', async () => {
    const dataDir = join(dir, 'fresh', 'pglite');
    expect(seedFromTemplate(dataDir, template)).toBe(true);
    expect(readdirSync(join(dir, 'fresh'))).toEqual(['pglite']);
    const database = await openDatabase({ dataDir });
    try {
      const applied = await database.db
        .selectFrom('kysely_migration' as never)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      expect(Number((applied as { n: number }).n)).toBe(Object.keys(migrations).length);
      const result = await migrateToLatest(database.db);
      expect(result.results).toEqual([]);
      // A working event store: the append function of the first migration answers.
      await expect(
        database.db
          .selectFrom('events' as never)
          .selectAll()
          .execute(),
      ).resolves.toEqual([]);
    } finally {
      await database.close();
    }
  }, 120_000);

  it('leaves a directory that holds anything alone', () => {
    const dataDir = join(dir, 'taken');
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(join(dataDir, 'something'), 'x');
    expect(seedFromTemplate(dataDir, template)).toBe(false);
    expect(readdirSync(dataDir)).toEqual(['something']);
  });

  it('is not used when another PGlite version wrote it, or when it is missing', () => {
    const other = defaultPgliteTemplate(join(dir, 'other'));
    expect(seedFromTemplate(join(dir, 'none', 'pglite'), other)).toBe(false);
    writeFileSync(template.versionFile, `0.0.1-not-${pgliteVersion()}\n`);
    try {
      expect(seedFromTemplate(join(dir, 'old', 'pglite'), template)).toBe(false);
      expect(existsSync(join(dir, 'old'))).toBe(false);
    } finally {
      writeFileSync(template.versionFile, `${pgliteVersion()}\n`);
    }
  });
});
