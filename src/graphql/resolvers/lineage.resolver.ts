import type { Kysely } from 'kysely';
import { Arg, Ctx, ID, Int, Query, Resolver } from 'type-graphql';
import type { ReadModelDatabase } from '../../projections/index.js';
import { lineageOf, worldAsOf } from '../../projections/index.js';
import { lineageStart } from '../audit/lineageStart.js';
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
      "The lineage graph around a node: a node id (dataset:<id>@<rev>, run:<id>, model:<name>@<version>, evaluation:<id>, deployment:<name>, interaction:<id>) or the id the API returned for it (a runId, evaluationId, deployment name, interactionId, a promotion's <name>@<version>, <datasetId>@<revision>). NOT_FOUND for an id no node has. With asOf, as it stood then, folded from the log.",
  })
  async lineage(
    @Ctx() context: ApiContext,
    @Arg('id', () => ID) id: string,
    @Arg('direction', () => LineageDirection, { defaultValue: LineageDirection.UPSTREAM })
    direction: LineageDirection,
    @Arg('depth', () => Int, { defaultValue: 10 }) depth: number,
    @Arg('asOf', () => DateTime, { nullable: true }) asOf: Date | undefined,
  ): Promise<LineageType> {
    requireAction(context, 'read', 'read lineage');
    if (!Number.isInteger(depth) || depth < 1 || depth > 50)
      throw badInput(`depth must be from 1 to 50, got ${depth}`);
    if (asOf) {
      const world = await worldAsOf(context.deps.store, asOf, {
        signal: context.deadline?.signal,
        snapshots: context.deps.db,
      });
      const start = await lineageStart(id, (candidates) => world.lineage.present(candidates));
      return { ...(await walkLineage(world.lineage, start, direction, depth, maxNodes)), asOf };
    }
    const start = await lineageStart(id, async (candidates) => {
      const rows = await (context.deps.db as unknown as Kysely<ReadModelDatabase>)
        .selectFrom('lineage_nodes')
        .select('node_id')
        .where('node_id', 'in', candidates)
        .execute();
      return new Set(rows.map((row) => row.node_id));
    });
    const graph = await lineageOf(context.deps.db, start, { direction, maxDepth: depth, maxNodes });
    return {
      nodes: graph.nodes.map(nodeFromRow),
      edges: graph.edges.map(edgeFromRow),
      truncated: graph.truncated,
      asOf: null,
    };
  }
}
