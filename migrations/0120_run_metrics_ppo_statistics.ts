import { sql, type Kysely, type Migration } from 'kysely';

/**
 * PPO runs report their rollouts with each progress point: mean reward, KL to the reference and its
 * coefficient, policy entropy, clip fraction, value loss and explained variance (null for other runs).
 */
export const runMetricsPpoStatistics: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`ALTER TABLE run_metrics
      ADD COLUMN mean_reward double precision,
      ADD COLUMN kl double precision,
      ADD COLUMN kl_coefficient double precision,
      ADD COLUMN entropy double precision,
      ADD COLUMN clip_fraction double precision,
      ADD COLUMN value_loss double precision,
      ADD COLUMN explained_variance double precision`.execute(db);
  },
  async down(db: Kysely<unknown>) {
    await sql`ALTER TABLE run_metrics
      DROP COLUMN mean_reward, DROP COLUMN kl, DROP COLUMN kl_coefficient, DROP COLUMN entropy,
      DROP COLUMN clip_fraction, DROP COLUMN value_loss, DROP COLUMN explained_variance`.execute(db);
  },
};
