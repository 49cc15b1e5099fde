import type { PGlite } from '@electric-sql/pglite';
import { PostgresDialect, type PostgresPool, type PostgresPoolClient } from 'kysely';

/**
 * Kysely over embedded PGlite: the stock PostgresDialect over a pool of exactly one connection,
 * guarded by a mutex. PGlite is a single backend, so a Kysely transaction must own it from BEGIN
 * to COMMIT; the published PGlite dialects let other queries interleave into an open transaction
 * (lost writes, broken savepoints). Holding the mutex for the whole lease prevents that.
 */
export function pgliteDialect(pglite: PGlite): PostgresDialect {
  let tail: Promise<void> = Promise.resolve();
  let unlock: (() => void) | undefined;

  const client = {
    async query(sqlText: string, parameters: readonly unknown[]) {
      const result = await pglite.query<Record<string, unknown>>(sqlText, [...parameters]);
      return {
        command: commandOf(sqlText),
        rowCount: result.affectedRows ?? result.rows.length,
        rows: result.rows,
      };
    },
    release() {
      const release = unlock;
      unlock = undefined;
      release?.();
    },
  };

  const pool: PostgresPool = {
    async connect() {
      const previous = tail;
      let release!: () => void;
      tail = new Promise<void>((resolve) => (release = resolve));
      await previous;
      unlock = release;
      return client as unknown as PostgresPoolClient;
    },
    async end() {},
  };
  return new PostgresDialect({ pool });
}

/** Kysely only needs the command tag to report affected rows of data-changing statements. */
function commandOf(sqlText: string): string {
  const first = /^\s*(\w+)/.exec(sqlText)?.[1]?.toUpperCase() ?? 'SELECT';
  if (first !== 'WITH') return first;
  return /\b(insert|update|delete|merge)\b/i.exec(sqlText)?.[1]?.toUpperCase() ?? 'SELECT';
}
