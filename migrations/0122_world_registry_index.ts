import { sql, type Kysely, type Migration } from 'kysely';

/**
 * The registry index time travel reads (src/projections/registryIndex.ts): the state of each model
 * (version 0: its fields without versions) and of each model version, one row per snapshot at which it
 * had changed since the snapshot before, under that snapshot's checkpoint. The registry at a snapshot
 * is the newest row of each (model, version) with `checkpoint <= the snapshot's`, so a snapshot no
 * longer holds the whole registry (which grows with the log) and costs only what changed since the
 * one before. `ordinal` keeps the fold's order (models in the order first registered, versions in
 * the order first stated). Written by the snapshot writer in the snapshot's transaction; derived data
 * like `world_snapshots` (0053), of the same `fold_version`. `state` is json, not jsonb, so attribute
 * order survives the round trip. Checkpoints compare with COLLATE "C" (the store's plain order).
 */
export const worldRegistryIndex: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run before any typed schema exists
  async up(db: Kysely<any>) {
    await sql`
      CREATE TABLE world_registry_rows (
        fold_version integer NOT NULL,
        model_name text NOT NULL,
        version integer NOT NULL,
        checkpoint text COLLATE "C" NOT NULL,
        ordinal integer NOT NULL,
        state json NOT NULL,
        PRIMARY KEY (fold_version, model_name, version, checkpoint)
      )`.execute(db);
  },
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see up()
  async down(db: Kysely<any>) {
    await sql`DROP TABLE world_registry_rows`.execute(db);
  },
};
