import { sql, type Kysely, type Migration } from 'kysely';

/**
 * The lineage index time travel walks (src/projections/lineageIndex.ts): every lineage node statement
 * and every edge, keyed by node and the store checkpoint of the event that made it, so a lineage
 * question as of a snapshot is a bounded graph walk over rows with `checkpoint <= the snapshot's`.
 * Written by the snapshot writer in the same transaction as the snapshot that covers them; derived
 * data like `world_snapshots` (0053), of the same `fold_version`. `attributes` is json, not jsonb, so
 * attribute order survives the round trip. Checkpoints compare with COLLATE "C" (the store's plain order).
 */
export const worldLineageIndex: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run before any typed schema exists
  async up(db: Kysely<any>) {
    await sql`
      CREATE TABLE world_lineage_nodes (
        fold_version integer NOT NULL,
        node_id text NOT NULL,
        checkpoint text COLLATE "C" NOT NULL,
        kind text NOT NULL,
        label text NOT NULL,
        attributes json NOT NULL,
        event_id text NOT NULL,
        at text NOT NULL,
        PRIMARY KEY (fold_version, node_id, checkpoint)
      )`.execute(db);
    await sql`
      CREATE TABLE world_lineage_edges (
        fold_version integer NOT NULL,
        from_node text NOT NULL,
        to_node text NOT NULL,
        relation text NOT NULL,
        checkpoint text COLLATE "C" NOT NULL,
        ordinal integer NOT NULL,
        event_id text NOT NULL,
        at text NOT NULL,
        PRIMARY KEY (fold_version, from_node, to_node, relation)
      )`.execute(db);
    await sql`CREATE INDEX world_lineage_edges_from ON world_lineage_edges (fold_version, from_node, checkpoint)`.execute(
      db,
    );
    await sql`CREATE INDEX world_lineage_edges_to ON world_lineage_edges (fold_version, to_node, checkpoint)`.execute(
      db,
    );
  },
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see up()
  async down(db: Kysely<any>) {
    await sql`DROP TABLE world_lineage_edges`.execute(db);
    await sql`DROP TABLE world_lineage_nodes`.execute(db);
  },
};
