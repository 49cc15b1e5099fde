import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Preference runs (DPO, reward model) report how often the chosen answer wins and by how much with each
 * progress point: kept beside the loss in the metric series (null for supervised runs).
 */
export const runMetricsPreferenceStatistics: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`ALTER TABLE run_metrics ADD COLUMN reward_accuracy double precision, ADD COLUMN reward_margin double precision`.execute(
      db,
    );
  },
  async down(db: Kysely<unknown>) {
    await sql`ALTER TABLE run_metrics DROP COLUMN reward_accuracy, DROP COLUMN reward_margin`.execute(db);
  },
};
