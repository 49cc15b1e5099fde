import type { Kysely, Migration } from 'kysely';
import { sql } from 'kysely';

/** API tokens for the GraphQL API: only a sha256 of each secret is kept; the id is the lookup key. */
export const apiTokens: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('api_tokens')
      .addColumn('token_id', 'text', (column) => column.primaryKey())
      .addColumn('actor', 'text', (column) => column.notNull())
      .addColumn('roles', 'jsonb', (column) => column.notNull())
      .addColumn('secret_sha256', 'text', (column) => column.notNull())
      .addColumn('description', 'text')
      .addColumn('created_at', 'timestamptz', (column) => column.notNull().defaultTo(sql`now()`))
      .addColumn('created_by', 'text', (column) => column.notNull())
      .addColumn('revoked_at', 'timestamptz')
      .execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('api_tokens').execute();
  },
};
