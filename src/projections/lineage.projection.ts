import { sql } from 'kysely';
import type { ProjectedEvent } from './lifecycleEvent.js';
import { LineageGraph, lineageChanges, lineageEventTypes, type LineageEventType } from './lineage.fold.js';
import { json, defineProjection, type ReadModelTransaction } from './projection.js';

const ROWS_PER_STATEMENT = 2000;

/**
 * The lineage graph: dataset revisions, runs, model versions, evaluations, deployments,
 * interactions, and edges carrying the event that created them. A batch is folded into an
 * in-memory graph with the same merge rules as SQL (first creator and edge win, attributes merge),
 * then written with one upsert for nodes and one insert for edges.
 */
export const lineageProjection = defineProjection({
  name: 'lineage',
  // 2: DPO and PPO runs link the registry version they used as their reference ('reference-model').
  version: 2,
  handles: lineageEventTypes,
  tables: ['lineage_nodes', 'lineage_edges'],
  async apply(trx, event) {
    await writeLineage(trx, [event]);
  },
  async applyBatch(trx, events) {
    await writeLineage(trx, events);
  },
});

async function writeLineage(
  trx: ReadModelTransaction,
  events: readonly ProjectedEvent<LineageEventType>[],
): Promise<void> {
  const graph = new LineageGraph();
  for (const event of events) graph.apply(lineageChanges(event));
  const nodes = [...graph.nodes.values()];
  for (let i = 0; i < nodes.length; i += ROWS_PER_STATEMENT) {
    await trx
      .insertInto('lineage_nodes')
      .values(
        nodes.slice(i, i + ROWS_PER_STATEMENT).map((node) => ({
          node_id: node.nodeId,
          kind: node.kind,
          label: node.label,
          attributes: json(node.attributes),
          created_event_id: node.eventId,
          created_at: node.at,
        })),
      )
      .onConflict((oc) =>
        oc
          .column('node_id')
          .doUpdateSet({ attributes: sql`lineage_nodes.attributes || excluded.attributes` }),
      )
      .execute();
  }
  const edges = [...graph.edges.values()];
  for (let i = 0; i < edges.length; i += ROWS_PER_STATEMENT) {
    await trx
      .insertInto('lineage_edges')
      .values(
        edges.slice(i, i + ROWS_PER_STATEMENT).map((edge) => ({
          from_node: edge.from,
          to_node: edge.to,
          relation: edge.relation,
          event_id: edge.eventId,
          created_at: edge.at,
        })),
      )
      .onConflict((oc) => oc.columns(['from_node', 'to_node', 'relation']).doNothing())
      .execute();
  }
}
