import type { LineageAsOf } from '../../projections/index.js';
import { edgeFromFold, LineageDirection, nodeFromFold } from '../types/lineage.type.js';

/**
 * Walks the lineage graph as of a moment, like the read model's recursive query does. Reads only the
 * nodes it reaches and their edges (from the lineage index, or a graph folded in memory), never the
 * whole graph.
 */
export async function walkLineage(
  graph: LineageAsOf,
  start: string,
  direction: LineageDirection,
  depth: number,
  maxNodes: number,
) {
  const walked = await graph.walk(
    start,
    direction === LineageDirection.UPSTREAM ? 'upstream' : 'downstream',
    {
      maxDepth: depth,
      maxNodes,
    },
  );
  return {
    nodes: walked.nodes.map(nodeFromFold),
    edges: walked.edges.map(edgeFromFold),
    truncated: walked.truncated,
  };
}
