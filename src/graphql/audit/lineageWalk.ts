import type { LineageEdge, LineageGraph } from '../../projections/index.js';
import { edgeFromFold, LineageDirection, nodeFromFold } from '../types/lineage.type.js';

/** Walks a lineage graph folded from the log, like the read model's recursive query does. */
export function walkLineage(
  graph: LineageGraph,
  start: string,
  direction: LineageDirection,
  depth: number,
  maxNodes: number,
) {
  const next = new Map<string, LineageEdge[]>();
  for (const edge of graph.edges.values()) {
    const near = direction === LineageDirection.UPSTREAM ? edge.to : edge.from;
    next.set(near, [...(next.get(near) ?? []), edge]);
  }
  const reached = new Set([start]);
  let frontier = [start];
  for (let hop = 0; hop < depth && frontier.length > 0 && reached.size <= maxNodes; hop += 1) {
    const following: string[] = [];
    for (const id of frontier) {
      for (const edge of next.get(id) ?? []) {
        const far = direction === LineageDirection.UPSTREAM ? edge.from : edge.to;
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
  const edges = [...graph.edges.values()]
    .filter((edge) => kept.has(edge.from) && kept.has(edge.to))
    .map(edgeFromFold);
  return { nodes, edges, truncated };
}
