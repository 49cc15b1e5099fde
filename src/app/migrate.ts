import { Migrator, type Kysely, type MigrationResultSet } from 'kysely';
import { migrations } from '../../migrations/index.js';

/**
 * Brings the database to the latest schema (all areas' migrations, in name order). Throws an
 * error naming every migration that failed and why; the ones before it stay applied.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations span every area's tables
export async function migrateToLatest(db: Kysely<any>): Promise<MigrationResultSet> {
  // Areas own number ranges, so a new migration may sort before one already applied elsewhere.
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    allowUnorderedMigrations: true,
  });
  const resultSet = await migrator.migrateToLatest();
  if (resultSet.error !== undefined) {
    const failed = (resultSet.results ?? [])
      .filter((result) => result.status === 'Error')
      .map((result) => result.migrationName);
    const cause = resultSet.error instanceof Error ? resultSet.error.message : String(resultSet.error);
    throw new Error(
      `database migration failed${failed.length > 0 ? ` at ${failed.join(', ')}` : ''}: ${cause}. ` +
        'Earlier migrations stay applied; fix the cause and run `tuneledger migrate` again.',
      { cause: resultSet.error },
    );
  }
  return resultSet;
}
