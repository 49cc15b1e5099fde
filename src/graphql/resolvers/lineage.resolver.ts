import { Arg, Ctx, ID, Int, Query, Resolver } from 'type-graphql';
import { lineageOf, worldAsOf } from '../../projections/index.js';
import { walkLineage } from '../audit/lineageWalk.js';
import type { ApiContext } from '../context.js';
import { requireAction } from '../context.js';
import { badInput } from '../errors.js';
import { edgeFromRow, LineageDirection, LineageType, nodeFromRow } from '../types/lineage.type.js';
import { DateTime } from '../types/scalars.js';

const maxNodes = 500;

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
      const world = await worldAsOf(context.deps.store, asOf, { signal: context.deadline?.signal });
      return { ...walkLineage(world.lineage, id, direction, depth, maxNodes), asOf };
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
