import { sql, type Kysely, type Migration } from 'kysely';

export const readLineage: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      CREATE TABLE lineage_nodes (
        node_id text PRIMARY KEY,
        kind text NOT NULL,
        label text NOT NULL,
        attributes jsonb NOT NULL,
        created_event_id text NOT NULL,
        created_at timestamptz NOT NULL
      )`.execute(db);
    await sql`
      CREATE TABLE lineage_edges (
        from_node text NOT NULL,
        to_node text NOT NULL,
        relation text NOT NULL,
        event_id text NOT NULL,
        created_at timestamptz NOT NULL,
        PRIMARY KEY (from_node, to_node, relation)
      )`.execute(db);
    await sql`CREATE INDEX lineage_edges_to_idx ON lineage_edges (to_node)`.execute(db);
  },
  async down(db: Kysely<unknown>) {
    await sql`DROP TABLE lineage_edges`.execute(db);
    await sql`DROP TABLE lineage_nodes`.execute(db);
  },
};
