import { sql, type Kysely, type Migration } from 'kysely';

export const readFeedback: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      CREATE TABLE interactions (
        interaction_id text PRIMARY KEY,
        deployment_name text,
        model_name text NOT NULL,
        model_version integer NOT NULL,
        prompt text NOT NULL,
        response text NOT NULL,
        latency_ms double precision,
        prompt_tokens integer,
        completion_tokens integer,
        mean_token_entropy double precision,
        filter_stage text,
        filter_rule text,
        label_count integer NOT NULL DEFAULT 0,
        last_rating integer,
        last_thumbs_up boolean,
        recorded_at timestamptz NOT NULL
      )`.execute(db);
    await sql`
      CREATE TABLE feedback_labels (
        event_id text PRIMARY KEY,
        interaction_id text NOT NULL,
        kind text NOT NULL,
        thumbs_up boolean,
        rating integer,
        correction text,
        error_category text,
        labeler text NOT NULL,
        labeled_at timestamptz NOT NULL
      )`.execute(db);
    await sql`
      CREATE TABLE preference_prompts (
        prompt_id text PRIMARY KEY,
        prompt text NOT NULL,
        candidates jsonb NOT NULL,
        ranking_count integer NOT NULL DEFAULT 0,
        generated_at timestamptz NOT NULL
      )`.execute(db);
    await sql`
      CREATE TABLE preference_rankings (
        event_id text PRIMARY KEY,
        prompt_id text NOT NULL,
        ranking jsonb NOT NULL,
        labeler text NOT NULL,
        ranked_at timestamptz NOT NULL
      )`.execute(db);
    await sql`CREATE INDEX interactions_model_idx ON interactions (model_name, model_version, recorded_at)`.execute(
      db,
    );
    await sql`CREATE INDEX interactions_recorded_idx ON interactions (recorded_at, interaction_id)`.execute(
      db,
    );
    await sql`CREATE INDEX feedback_labels_interaction_idx ON feedback_labels (interaction_id)`.execute(db);
    await sql`CREATE INDEX preference_rankings_prompt_idx ON preference_rankings (prompt_id)`.execute(db);
  },
  async down(db: Kysely<unknown>) {
    await sql`DROP TABLE preference_rankings`.execute(db);
    await sql`DROP TABLE preference_prompts`.execute(db);
    await sql`DROP TABLE feedback_labels`.execute(db);
    await sql`DROP TABLE interactions`.execute(db);
  },
};
