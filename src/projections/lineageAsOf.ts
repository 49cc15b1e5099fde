import type { LineageEdge, LineageGraph, LineageNode } from './lineage.fold.js';

export type LineageDirection = 'upstream' | 'downstream';

/** A part of the lineage graph: the nodes reached and the edges among them. */
export interface LineageSubgraphAsOf {
  readonly nodes: LineageNode[];
  readonly edges: LineageEdge[];
}

export interface LineageWalkAsOf extends LineageSubgraphAsOf {
  /** More than `maxNodes` nodes were reached: the first `maxNodes` are returned. */
  readonly truncated: boolean;
}

/**
 * The lineage graph as it stood at a moment, read only where a question leads: every method reads
 * the nodes it returns and their edges, never the whole history. Either folded in memory (a fold from
 * the start of the log) or the lineage index up to a snapshot plus the events folded since it.
 */
export interface LineageAsOf {
  /** Which of these node ids existed. */
  present(nodeIds: readonly string[]): Promise<Set<string>>;
  /**
   * Breadth-first from `start`, up to `maxDepth` hops, stopping once more than `maxNodes` nodes were
   * reached: the nodes in the order reached (the first `maxNodes`), the edges among them in the order
   * they appeared in the log.
   */
  walk(
    start: string,
    direction: LineageDirection,
    limits: { readonly maxDepth: number; readonly maxNodes: number },
  ): Promise<LineageWalkAsOf>;
  /** Everything upstream of a node (what it was made from, transitively), with the edges walked. */
  upstream(nodeId: string): Promise<LineageSubgraphAsOf>;
}

/**
 * Where a lineage walk reads from, a frontier at a time. Edges come in the order they appeared in the
 * log (the order of the first event that stated each).
 */
export interface LineageSource {
  nodes(nodeIds: readonly string[]): Promise<ReadonlyMap<string, LineageNode>>;
  edgesOf(
    nodeIds: readonly string[],
    direction: LineageDirection,
  ): Promise<ReadonlyMap<string, readonly LineageEdge[]>>;
  edgesAmong(nodeIds: ReadonlySet<string>): Promise<LineageEdge[]>;
}

/** The walks of `LineageAsOf` over any source; one read per hop (per level for `upstream`). */
export class LineageView implements LineageAsOf {
  constructor(private readonly source: LineageSource) {}

  async present(nodeIds: readonly string[]): Promise<Set<string>> {
    return new Set((await this.source.nodes(nodeIds)).keys());
  }

  async walk(
    start: string,
    direction: LineageDirection,
    limits: { readonly maxDepth: number; readonly maxNodes: number },
  ): Promise<LineageWalkAsOf> {
    const reached = new Set([start]);
    let frontier = [start];
    for (
      let hop = 0;
      hop < limits.maxDepth && frontier.length > 0 && reached.size <= limits.maxNodes;
      hop += 1
    ) {
      const adjacency = await this.source.edgesOf(frontier, direction);
      const following: string[] = [];
      for (const id of frontier) {
        for (const edge of adjacency.get(id) ?? []) {
          const far = direction === 'upstream' ? edge.from : edge.to;
          if (!reached.has(far)) {
            reached.add(far);
            following.push(far);
          }
        }
      }
      frontier = following;
    }
    const truncated = reached.size > limits.maxNodes;
    const kept = new Set([...reached].slice(0, limits.maxNodes));
    const found = await this.source.nodes([...kept]);
    const nodes = [...kept].flatMap((id) => {
      const node = found.get(id);
      return node ? [node] : [];
    });
    return { nodes, edges: await this.source.edgesAmong(kept), truncated };
  }

  async upstream(nodeId: string): Promise<LineageSubgraphAsOf> {
    // Level by level: the same order as a queue that takes one node at a time.
    const seen = new Set<string>([nodeId]);
    const edges: LineageEdge[] = [];
    let level = [nodeId];
    while (level.length > 0) {
      const incoming = await this.source.edgesOf(level, 'upstream');
      const next: string[] = [];
      for (const id of level) {
        for (const edge of incoming.get(id) ?? []) {
          edges.push(edge);
          if (!seen.has(edge.from)) {
            seen.add(edge.from);
            next.push(edge.from);
          }
        }
      }
      level = next;
    }
    const found = await this.source.nodes([...seen]);
    const nodes = [...seen].flatMap((id) => {
      const node = found.get(id);
      return node ? [node] : [];
    });
    return { nodes, edges };
  }
}

/** A lineage graph folded in memory as a source. */
export function foldedLineageSource(graph: LineageGraph): LineageSource {
  return {
    async nodes(nodeIds) {
      const found = new Map<string, LineageNode>();
      for (const id of nodeIds) {
        const node = graph.nodes.get(id);
        if (node) found.set(id, node);
      }
      return found;
    },
    async edgesOf(nodeIds, direction) {
      return new Map(nodeIds.map((id) => [id, graph.edgesOf(id, direction)]));
    },
    async edgesAmong(nodeIds) {
      return graph.edgesAmong(nodeIds);
    },
  };
}

/** The lineage graph of a fold from the start of the log. */
export const foldedLineage = (graph: LineageGraph): LineageAsOf =>
  new LineageView(foldedLineageSource(graph));
