import { sql } from 'kysely';
import { lineageChanges, lineageEventTypes } from './lineage.fold.js';
import { json, type Projection } from './projection.js';

/** The lineage graph: dataset revisions, runs, model versions, evaluations, deployments, interactions. */
export const lineageProjection: Projection = {
  name: 'lineage',
  version: 1,
  handles: lineageEventTypes,
  tables: ['lineage_nodes', 'lineage_edges'],
  async apply(trx, event) {
    const changes = lineageChanges(event);
    for (const node of changes.nodes) {
      await trx
        .insertInto('lineage_nodes')
        .values({
          node_id: node.nodeId,
          kind: node.kind,
          label: node.label,
          attributes: json(node.attributes),
          created_event_id: node.eventId,
          created_at: node.at,
        })
        .onConflict((oc) =>
          oc.column('node_id').doUpdateSet({
            attributes: sql`lineage_nodes.attributes || excluded.attributes`,
          }),
        )
        .execute();
    }
    if (changes.edges.length > 0) {
      await trx
        .insertInto('lineage_edges')
        .values(
          changes.edges.map((edge) => ({
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
  },
};
