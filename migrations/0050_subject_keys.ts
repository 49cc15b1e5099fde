import type { Kysely, Migration } from 'kysely';
import { sql } from 'kysely';

/**
 * Per-subject data keys for crypto-shredding, outside the log: each key is wrapped with the master key
 * (TUNELEDGER_MASTER_KEY, never stored here). Forgetting a subject deletes its row.
 */
export const subjectKeys: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('subject_keys')
      .addColumn('subject_id', 'text', (column) => column.primaryKey())
      .addColumn('key', 'text', (column) => column.notNull())
      .addColumn('created_at', 'timestamptz', (column) => column.notNull().defaultTo(sql`now()`))
      .execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('subject_keys').execute();
  },
};
