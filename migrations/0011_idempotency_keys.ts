import { sql, type Kysely, type Migration } from 'kysely';

/**
 * The fingerprint of the request that first used each idempotency key (a hash of its canonical payload),
 * written by the event store in the same transaction as that request's events: a key never outlives or
 * precedes what it recorded. A later request under the key is compared with it: the same payload is a
 * replay, another one is refused (IDEMPOTENCY_KEY_REUSED).
 */
export const idempotencyKeys: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      CREATE TABLE idempotency_keys (
        idempotency_key text PRIMARY KEY,
        fingerprint text NOT NULL,
        stream_id text NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT now()
      )`.execute(db);
  },
  async down(db: Kysely<unknown>) {
    await sql`DROP TABLE idempotency_keys`.execute(db);
  },
};
