/**
 * Databases for tests. Every DB test in the project uses this:
 *
 *   for (const target of databaseTargets) {
 *     describe(target.name, () => {
 *       let database: TestDatabase;
 *       beforeAll(async () => { database = await target.open(); });   // once per file: PGlite takes seconds
 *       afterAll(() => database.close());
 *       beforeEach(() => database.reset());                          // empty tables, schema kept
 *       it('...', async () => { ... database.db ... });
 *     });
 *   }
 *
 * - `databaseTargets`: PGlite (in memory) always; PostgreSQL when DATABASE_URL is set.
 * - `open()`: a FRESH, fully migrated database. On PostgreSQL a uniquely named database is created
 *   from DATABASE_URL and dropped on close(), so test files run in parallel safely.
 * - `reset()`: truncates every table except the migration bookkeeping (the events table's
 *   append-only trigger is bypassed for this, and only this, through session_replication_role).
 * - `openDatabaseUrl()` (PostgreSQL only): a fresh migrated database's URL, for tests that need
 *   their own connections (several pools, a separate process); drop it with the returned function.
 *
 * On PostgreSQL, readAll (and so projections and subscriptions) only sees events below the oldest
 * transaction open anywhere in the cluster, including other test files' databases: after an
 * append, poll until the event is visible instead of asserting on the very next readAll.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import { migrateToLatest } from '../../src/app/migrate.js';
import { openDatabase, type Database } from '../../src/eventstore/index.js';

export interface TestDatabase extends Database {
  /** Empties every table (schema and migrations kept). */
  reset(): Promise<void>;
}

export interface DatabaseTarget {
  readonly name: 'pglite' | 'postgres';
  open(): Promise<TestDatabase>;
}

export const postgresUrl: string | undefined = process.env.DATABASE_URL || undefined;

export const pgliteTarget: DatabaseTarget = {
  name: 'pglite',
  async open() {
    return withReset(await migrated(await openDatabase({ dataDir: 'memory://' })));
  },
};

export const postgresTarget: DatabaseTarget | undefined = postgresUrl
  ? {
      name: 'postgres',
      async open() {
        const { url, drop } = await openDatabaseUrl();
        const database = await openDatabase({ databaseUrl: url });
        return withReset({
          ...database,
          async close() {
            await database.close();
            await drop();
          },
        });
      },
    }
  : undefined;

export const databaseTargets: readonly DatabaseTarget[] = postgresTarget
  ? [pgliteTarget, postgresTarget]
  : [pgliteTarget];

/** Why PostgreSQL-only tests are skipped, or undefined when they can run. */
export const postgresSkipReason: string | undefined = postgresUrl
  ? undefined
  : 'DATABASE_URL is not set: PostgreSQL-only tests skipped (set it, e.g. postgres://postgres@127.0.0.1:5432/postgres)';

/** A fresh migrated PostgreSQL database created from DATABASE_URL; `drop()` removes it. */
export async function openDatabaseUrl(): Promise<{ url: string; drop: () => Promise<void> }> {
  if (!postgresUrl) throw new Error(postgresSkipReason);
  const name = `tuneledger_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: postgresUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(postgresUrl);
  url.pathname = `/${name}`;
  const database = await openDatabase({ databaseUrl: url.toString(), poolSize: 2 });
  try {
    await migrateToLatest(database.db);
  } finally {
    await database.close();
  }
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: postgresUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

async function migrated(database: Database): Promise<Database> {
  await migrateToLatest(database.db);
  return database;
}

function withReset(database: Database): TestDatabase {
  return {
    ...database,
    async reset() {
      await database.db.transaction().execute(async (trx) => {
        const { rows } = await sql<{ name: string }>`
          SELECT quote_ident(tablename) AS name FROM pg_tables
          WHERE schemaname = current_schema() AND tablename NOT LIKE 'kysely_migration%'`.execute(trx);
        if (rows.length === 0) return;
        await sql`SET LOCAL session_replication_role = replica`.execute(trx);
        await sql.raw(`TRUNCATE ${rows.map((row) => row.name).join(', ')} RESTART IDENTITY`).execute(trx);
      });
    },
  };
}

/**
 * How many events the log holds, counted in the table. Tests that check "a refused call appends nothing"
 * use this rather than readAll: readAll holds back events above the cluster's oldest running transaction,
 * so under concurrent tests (on other databases of the same server) its count can grow without an append.
 */
export async function countEvents(database: Database): Promise<number> {
  const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM events`.execute(database.db);
  return rows[0]!.n;
}
