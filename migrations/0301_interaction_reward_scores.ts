import { sql, type Kysely, type Migration } from 'kysely';

/**
 * The flywheel's automatic signal on the interactions read model: the latest reward score of each served
 * interaction and the reward-model version that gave it (InteractionRewardScored); null until scored. The index
 * finds a model's interactions that the current reward model has not scored yet.
 */
export const interactionRewardScores: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`ALTER TABLE interactions
      ADD COLUMN reward_score double precision,
      ADD COLUMN reward_model_name text,
      ADD COLUMN reward_model_version integer,
      ADD COLUMN reward_scored_at timestamptz`.execute(db);
    await sql`CREATE INDEX interactions_reward_scoring
      ON interactions (model_name, reward_model_version, recorded_at)`.execute(db);
  },
  async down(db: Kysely<unknown>) {
    await sql`DROP INDEX interactions_reward_scoring`.execute(db);
    await sql`ALTER TABLE interactions
      DROP COLUMN reward_score, DROP COLUMN reward_model_name, DROP COLUMN reward_model_version,
      DROP COLUMN reward_scored_at`.execute(db);
  },
};
