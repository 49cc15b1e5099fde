import { Arg, Ctx, ID, Int, Query, Resolver } from 'type-graphql';
import { lineageOf, worldAsOf, type LineageEdge, type LineageGraph } from '../../projections/index.js';
import type { ApiContext } from '../context.js';
import { requireAction } from '../context.js';
import { badInput } from '../errors.js';
import {
  edgeFromFold,
  edgeFromRow,
  LineageDirection,
  LineageType,
  nodeFromFold,
  nodeFromRow,
} from '../types/lineage.type.js';
import { DateTime } from '../types/scalars.js';

const maxNodes = 500;

/** Walks a lineage graph folded from the log, like the read model's recursive query does. */
function walk(graph: LineageGraph, start: string, direction: LineageDirection, depth: number) {
  const next = new Map<string, LineageEdge[]>();
  for (const edge of graph.edges.values()) {
    const near = direction === LineageDirection.upstream ? edge.to : edge.from;
    next.set(near, [...(next.get(near) ?? []), edge]);
  }
  const reached = new Set([start]);
  let frontier = [start];
  for (let hop = 0; hop < depth && frontier.length > 0 && reached.size <= maxNodes; hop += 1) {
    const following: string[] = [];
    for (const id of frontier) {
      for (const edge of next.get(id) ?? []) {
        const far = direction === LineageDirection.upstream ? edge.from : edge.to;
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

@Resolver()
export class LineageResolver {
  @Query(() => LineageType, {
    description:
      'The lineage graph around a node (dataset:<id>@<rev>, run:<id>, model:<name>@<version>, evaluation:<id>, deployment:<name>, interaction:<id>). With asOf, as it stood then, folded from the log.',
  })
  async lineage(
    @Ctx() context: ApiContext,
    @Arg('id', () => ID) id: string,
    @Arg('direction', () => LineageDirection, { defaultValue: LineageDirection.upstream })
    direction: LineageDirection,
    @Arg('depth', () => Int, { defaultValue: 10 }) depth: number,
    @Arg('asOf', () => DateTime, { nullable: true }) asOf: Date | undefined,
  ): Promise<LineageType> {
    requireAction(context, 'read', 'read lineage');
    if (!Number.isInteger(depth) || depth < 1 || depth > 50)
      throw badInput(`depth must be from 1 to 50, got ${depth}`);
    if (asOf) {
      const world = await worldAsOf(context.deps.store, asOf);
      return { ...walk(world.lineage, id, direction, depth), asOf };
    }
    const graph = await lineageOf(context.deps.db, id, { direction, maxDepth: depth, maxNodes });
    return {
      nodes: graph.nodes.map(nodeFromRow),
      edges: graph.edges.map(edgeFromRow),
      truncated: graph.truncated,
      asOf: null,
    };
  }
}
