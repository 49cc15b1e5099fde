import type { LineageGraph } from '../../projections/index.js';
import { edgeFromFold, LineageDirection, nodeFromFold } from '../types/lineage.type.js';

/**
 * Walks a lineage graph folded from the log, like the read model's recursive query does. Reads only
 * the nodes it reaches and their edges (the graph keeps both directions' adjacency), never the whole graph.
 */
export function walkLineage(
  graph: LineageGraph,
  start: string,
  direction: LineageDirection,
  depth: number,
  maxNodes: number,
) {
  const side = direction === LineageDirection.UPSTREAM ? 'upstream' : 'downstream';
  const reached = new Set([start]);
  let frontier = [start];
  for (let hop = 0; hop < depth && frontier.length > 0 && reached.size <= maxNodes; hop += 1) {
    const following: string[] = [];
    for (const id of frontier) {
      for (const edge of graph.edgesOf(id, side)) {
        const far = side === 'upstream' ? edge.from : edge.to;
        if (!reached.has(far)) {
          reached.add(far);
          following.push(far);
        }
      }
    }
    frontier = following;
  }
  const truncated = reached.size > maxNodes;
  const kept = new Set([...reached].slice(0, maxNodes));
  const nodes = [...kept].flatMap((id) => {
    const node = graph.nodes.get(id);
    return node ? [nodeFromFold(node)] : [];
  });
  const edges = graph.edgesAmong(kept).map(edgeFromFold);
  return { nodes, edges, truncated };
}
