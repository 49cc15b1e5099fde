import { sql, type Kysely } from 'kysely';
import type { Checkpoint } from '../eventstore/eventStore.js';
import type {
  LineageChanges,
  LineageEdge,
  LineageRelation,
  LineageGraph,
  LineageNode,
  LineageNodeKind,
} from './lineage.fold.js';
import { foldedLineageSource, LineageView, type LineageAsOf, type LineageSource } from './lineageAsOf.js';
import { worldFoldVersion } from './worldFold.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the index tables are reached through raw SQL
type AnyDb = Kysely<any>;

const ROWS_PER_STATEMENT = 1000;
const IDS_PER_STATEMENT = 1000;

/**
 * The lineage index (`world_lineage_nodes`, `world_lineage_edges`, migration 0121): what each folded
 * lineage event stated, under the checkpoint of that event. The snapshot writer adds the rows of the
 * events a snapshot covers in the snapshot's transaction, so the rows up to a snapshot's checkpoint
 * are the whole lineage at that snapshot. Nodes keep one row per event that stated them (a later
 * event merges attributes); an edge keeps only its first statement (later ones change nothing).
 */
export class LineageIndexRows {
  private readonly nodes: (LineageNode & { readonly checkpoint: Checkpoint })[] = [];
  private readonly edges = new Map<
    string,
    LineageEdge & { readonly checkpoint: Checkpoint; ordinal: number }
  >();

  get size(): number {
    return this.nodes.length + this.edges.size;
  }

  add(changes: LineageChanges, checkpoint: Checkpoint): void {
    for (const node of changes.nodes) this.nodes.push({ ...node, checkpoint });
    changes.edges.forEach((edge, ordinal) => {
      const key = edgeKey(edge);
      if (!this.edges.has(key)) this.edges.set(key, { ...edge, checkpoint, ordinal });
    });
  }

  /** Writes the rows (rows already there, from an earlier pass, are kept) and empties the buffer. */
  async write(db: AnyDb): Promise<void> {
    for (let i = 0; i < this.nodes.length; i += ROWS_PER_STATEMENT) {
      const rows = this.nodes.slice(i, i + ROWS_PER_STATEMENT).map(
        (n) =>
          sql`(${worldFoldVersion}, ${n.nodeId}, ${n.checkpoint}, ${n.kind}, ${n.label},
               ${JSON.stringify(n.attributes)}::json, ${n.eventId}, ${n.at})`,
      );
      await sql`
        INSERT INTO world_lineage_nodes (fold_version, node_id, checkpoint, kind, label, attributes, event_id, at)
        VALUES ${sql.join(rows)} ON CONFLICT DO NOTHING`.execute(db);
    }
    const edges = [...this.edges.values()];
    for (let i = 0; i < edges.length; i += ROWS_PER_STATEMENT) {
      const rows = edges.slice(i, i + ROWS_PER_STATEMENT).map(
        (e) =>
          sql`(${worldFoldVersion}, ${e.from}, ${e.to}, ${e.relation}, ${e.checkpoint}, ${e.ordinal},
               ${e.eventId}, ${e.at})`,
      );
      await sql`
        INSERT INTO world_lineage_edges (fold_version, from_node, to_node, relation, checkpoint, ordinal, event_id, at)
        VALUES ${sql.join(rows)} ON CONFLICT DO NOTHING`.execute(db);
    }
    this.nodes.length = 0;
    this.edges.clear();
  }
}

/** Removes the index rows of other fold versions (the writer, when it starts its version from zero). */
export async function dropOtherLineageIndexVersions(db: AnyDb): Promise<void> {
  await sql`DELETE FROM world_lineage_nodes WHERE fold_version <> ${worldFoldVersion}`.execute(db);
  await sql`DELETE FROM world_lineage_edges WHERE fold_version <> ${worldFoldVersion}`.execute(db);
}

const edgeKey = (edge: LineageEdge) => `${edge.from}\u0000${edge.to}\u0000${edge.relation}`;

interface NodeRow {
  node_id: string;
  kind: string;
  label: string;
  attributes: Record<string, unknown> | string;
  event_id: string;
  at: string;
}

interface EdgeRow {
  from_node: string;
  to_node: string;
  /** Written from a LineageEdge by the world snapshot writer, so one of the fold's relations. */
  relation: LineageRelation;
  event_id: string;
  at: string;
}

const edgeFromRow = (row: EdgeRow): LineageEdge => ({
  from: row.from_node,
  to: row.to_node,
  relation: row.relation,
  eventId: row.event_id,
  at: row.at,
});

function chunks<T>(items: readonly T[]): T[][] {
  const parts: T[][] = [];
  for (let i = 0; i < items.length; i += IDS_PER_STATEMENT) parts.push(items.slice(i, i + IDS_PER_STATEMENT));
  return parts;
}

/**
 * The lineage at a snapshot's checkpoint read from the index (rows with `checkpoint <= upTo`), with
 * the events folded since it (`since`, a graph of those events alone) laid over it by the fold's own
 * rules: a node's first statement stays and later attributes merge in, an edge's first statement wins,
 * and edges keep the order in which they first appeared. Reads only the nodes asked for and their edges.
 */
export function indexedLineageSource(db: AnyDb, upTo: Checkpoint, since: LineageGraph): LineageSource {
  const tail = foldedLineageSource(since);
  return {
    async nodes(nodeIds) {
      const found = new Map<string, LineageNode>();
      for (const part of chunks(nodeIds)) {
        if (part.length === 0) continue;
        const { rows } = await sql<NodeRow>`
          SELECT node_id, kind, label, attributes, event_id, at FROM world_lineage_nodes
          WHERE fold_version = ${worldFoldVersion} AND node_id IN (${sql.join(part)}) AND checkpoint <= ${upTo}
          ORDER BY node_id, checkpoint`.execute(db);
        for (const row of rows) {
          const attributes =
            typeof row.attributes === 'string'
              ? (JSON.parse(row.attributes) as Record<string, unknown>)
              : row.attributes;
          const existing = found.get(row.node_id);
          found.set(
            row.node_id,
            existing
              ? { ...existing, attributes: { ...existing.attributes, ...attributes } }
              : {
                  nodeId: row.node_id,
                  kind: row.kind as LineageNodeKind,
                  label: row.label,
                  attributes,
                  eventId: row.event_id,
                  at: row.at,
                },
          );
        }
      }
      for (const [id, node] of await tail.nodes(nodeIds)) {
        const existing = found.get(id);
        found.set(
          id,
          existing ? { ...existing, attributes: { ...existing.attributes, ...node.attributes } } : node,
        );
      }
      return found;
    },

    async edgesOf(nodeIds, direction) {
      const near = direction === 'upstream' ? sql.ref('to_node') : sql.ref('from_node');
      const byNode = new Map<string, LineageEdge[]>();
      for (const part of chunks(nodeIds)) {
        if (part.length === 0) continue;
        const { rows } = await sql<EdgeRow>`
          SELECT from_node, to_node, relation, event_id, at FROM world_lineage_edges
          WHERE fold_version = ${worldFoldVersion} AND ${near} IN (${sql.join(part)}) AND checkpoint <= ${upTo}
          ORDER BY checkpoint, ordinal`.execute(db);
        for (const row of rows) {
          const id = direction === 'upstream' ? row.to_node : row.from_node;
          const list = byNode.get(id) ?? [];
          list.push(edgeFromRow(row));
          byNode.set(id, list);
        }
      }
      for (const [id, later] of await tail.edgesOf(nodeIds, direction)) {
        if (later.length === 0) continue;
        const list = byNode.get(id) ?? [];
        const known = new Set(list.map(edgeKey));
        for (const edge of later) if (!known.has(edgeKey(edge))) list.push(edge);
        byNode.set(id, list);
      }
      return byNode;
    },

    async edgesAmong(nodeIds) {
      const ids = [...nodeIds];
      const rows: (EdgeRow & { checkpoint: string; ordinal: number })[] = [];
      if (ids.length > 0) {
        for (const part of chunks(ids)) {
          const result = await sql<EdgeRow & { checkpoint: string; ordinal: number }>`
            SELECT from_node, to_node, relation, event_id, at, checkpoint, ordinal FROM world_lineage_edges
            WHERE fold_version = ${worldFoldVersion} AND from_node IN (${sql.join(part)})
              AND to_node IN (${sql.join(ids)}) AND checkpoint <= ${upTo}`.execute(db);
          rows.push(...result.rows);
        }
      }
      rows.sort((a, b) =>
        a.checkpoint < b.checkpoint ? -1 : a.checkpoint > b.checkpoint ? 1 : a.ordinal - b.ordinal,
      );
      const edges = rows.map(edgeFromRow);
      const known = new Set(edges.map(edgeKey));
      for (const edge of await tail.edgesAmong(nodeIds)) if (!known.has(edgeKey(edge))) edges.push(edge);
      return edges;
    },
  };
}

/** The lineage as of a snapshot at `upTo` (read from the index) plus the graph folded since it. */
export const indexedLineage = (db: AnyDb, upTo: Checkpoint, since: LineageGraph): LineageAsOf =>
  new LineageView(indexedLineageSource(db, upTo, since));
