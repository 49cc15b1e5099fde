import { assertNever } from '../domain/index.js';
import type { ProjectedEvent } from './lifecycleEvent.js';

export const lineageNodeKinds = [
  'dataset-revision',
  'run',
  'model-version',
  'evaluation',
  'deployment',
  'interaction',
] as const;
export type LineageNodeKind = (typeof lineageNodeKinds)[number];

/** How the `to` node of an edge came from its `from` node; lineageChanges states no other. */
export const lineageRelations = [
  'derived',
  'merged',
  'collected',
  'trained-on',
  'base-model',
  'reward-model',
  'reference-model',
  'resumed-from',
  'produced',
  'evidence',
  'evaluated',
  'evaluation-data',
  'deployed',
  'rolled-back-to',
  'served',
] as const;
export type LineageRelation = (typeof lineageRelations)[number];

export interface LineageNode {
  readonly nodeId: string;
  readonly kind: LineageNodeKind;
  readonly label: string;
  /** Merged into the node's attributes (a later event may add to a node an earlier one created). */
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly eventId: string;
  readonly at: string;
}

export interface LineageEdge {
  readonly from: string;
  readonly to: string;
  /** How `to` came from `from` (one of lineageRelations). */
  readonly relation: LineageRelation;
  /** The event that created the edge (the first one, if several events state the same edge). */
  readonly eventId: string;
  readonly at: string;
}

export interface LineageChanges {
  readonly nodes: readonly LineageNode[];
  readonly edges: readonly LineageEdge[];
}

/** Node ids: readable, stable, derived from the domain ids. */
export const lineageNodeId = {
  datasetRevision: (datasetId: string, revision: number) => `dataset:${datasetId}@${revision}`,
  run: (runId: string) => `run:${runId}`,
  modelVersion: (modelName: string, version: number) => `model:${modelName}@${version}`,
  evaluation: (evaluationId: string) => `evaluation:${evaluationId}`,
  deployment: (deploymentName: string) => `deployment:${deploymentName}`,
  interaction: (interactionId: string) => `interaction:${interactionId}`,
};

export const lineageEventTypes = [
  'DatasetRevisionAdded',
  'TrainingRunRequested',
  'TrainingRunCompleted',
  'ModelVersionRegistered',
  'ModelVersionPromoted',
  'EvaluationRequested',
  'EvaluationCompleted',
  'DeploymentActivated',
  'RolledBack',
  'InteractionRecorded',
] as const;

/**
 * What one event adds to the lineage graph: edges point downstream (from what was used to what was
 * made). Pure; the lineage projection writes it to SQL and time travel folds it in memory.
 */
/** The event types lineageChanges handles. */
export type LineageEventType = (typeof lineageEventTypes)[number];

export function lineageChanges(event: ProjectedEvent<LineageEventType>): LineageChanges {
  const eventId = event.eventId;
  const node = (
    nodeId: string,
    kind: LineageNodeKind,
    label: string,
    at: string,
    attributes = {},
  ): LineageNode => ({
    nodeId,
    kind,
    label,
    attributes,
    eventId,
    at,
  });
  const edge = (from: string, to: string, relation: LineageRelation, at: string): LineageEdge => ({
    from,
    to,
    relation,
    eventId,
    at,
  });
  switch (event.type) {
    case 'DatasetRevisionAdded': {
      const d = event.data;
      const id = lineageNodeId.datasetRevision(d.datasetId, d.revision);
      const edges: LineageEdge[] = [];
      if (d.parentRevision !== undefined) {
        edges.push(
          edge(lineageNodeId.datasetRevision(d.datasetId, d.parentRevision), id, 'derived', d.addedAt),
        );
      }
      for (const merged of d.mergedRevisions ?? []) {
        edges.push(edge(lineageNodeId.datasetRevision(d.datasetId, merged), id, 'merged', d.addedAt));
      }
      for (const interaction of d.sourceInteractions ?? []) {
        edges.push(edge(lineageNodeId.interaction(interaction), id, 'collected', d.addedAt));
      }
      return {
        nodes: [
          node(id, 'dataset-revision', `${d.datasetId} r${d.revision}`, d.addedAt, {
            contentHash: d.contentHash,
            transform: d.transform.kind,
            recordCount: d.recordCount,
          }),
        ],
        edges,
      };
    }
    case 'TrainingRunRequested': {
      const d = event.data;
      const id = lineageNodeId.run(d.runId);
      const edges = [
        edge(
          lineageNodeId.datasetRevision(d.dataset.id, d.dataset.revision),
          id,
          'trained-on',
          d.requestedAt,
        ),
      ];
      if (d.baseModel.source.kind === 'registry') {
        const m = d.baseModel.source.model;
        edges.push(edge(lineageNodeId.modelVersion(m.name, m.version), id, 'base-model', d.requestedAt));
      }
      if (d.method.kind === 'ppo') {
        const m = d.method.rewardModel;
        edges.push(edge(lineageNodeId.modelVersion(m.name, m.version), id, 'reward-model', d.requestedAt));
      }
      // The frozen reference a DPO or PPO run was penalised against, when it is a registry version.
      if ((d.method.kind === 'ppo' || d.method.kind === 'dpo') && d.method.referenceModel) {
        const m = d.method.referenceModel;
        edges.push(edge(lineageNodeId.modelVersion(m.name, m.version), id, 'reference-model', d.requestedAt));
      }
      if (d.resumeFrom)
        edges.push(edge(lineageNodeId.run(d.resumeFrom.runId), id, 'resumed-from', d.requestedAt));
      return {
        nodes: [
          node(id, 'run', d.runId, d.requestedAt, {
            method: d.method.kind,
            baseModel: d.baseModel.name,
            seed: d.seed,
          }),
        ],
        edges,
      };
    }
    case 'TrainingRunCompleted': {
      const d = event.data;
      return {
        nodes: [
          node(lineageNodeId.run(d.runId), 'run', d.runId, d.completedAt, {
            artifactHash: d.artifact.hash,
            finalLoss: d.finalLoss,
          }),
        ],
        edges: [],
      };
    }
    case 'ModelVersionRegistered': {
      const d = event.data;
      const id = lineageNodeId.modelVersion(d.modelName, d.version);
      return {
        nodes: [
          node(id, 'model-version', `${d.modelName} v${d.version}`, d.registeredAt, {
            artifacts: d.artifacts,
          }),
        ],
        edges: [edge(lineageNodeId.run(d.runId), id, 'produced', d.registeredAt)],
      };
    }
    case 'ModelVersionPromoted': {
      const d = event.data;
      const id = lineageNodeId.modelVersion(d.modelName, d.version);
      return {
        nodes: [],
        edges: d.evidence.evaluationIds.map((evaluationId) =>
          edge(lineageNodeId.evaluation(evaluationId), id, 'evidence', d.promotedAt),
        ),
      };
    }
    case 'EvaluationRequested': {
      const d = event.data;
      const id = lineageNodeId.evaluation(d.evaluationId);
      return {
        nodes: [node(id, 'evaluation', d.evaluationId, d.requestedAt, { suites: d.suites })],
        edges: [
          edge(lineageNodeId.modelVersion(d.model.name, d.model.version), id, 'evaluated', d.requestedAt),
          edge(
            lineageNodeId.datasetRevision(d.dataset.id, d.dataset.revision),
            id,
            'evaluation-data',
            d.requestedAt,
          ),
        ],
      };
    }
    case 'EvaluationCompleted': {
      const d = event.data;
      return {
        nodes: [
          node(lineageNodeId.evaluation(d.evaluationId), 'evaluation', d.evaluationId, d.completedAt, {
            gatePassed: d.gate.passed,
          }),
        ],
        edges: [],
      };
    }
    case 'DeploymentActivated': {
      const d = event.data;
      const id = lineageNodeId.deployment(d.deploymentName);
      return {
        nodes: [node(id, 'deployment', d.deploymentName, d.activatedAt, { environment: d.environment })],
        edges: [
          edge(lineageNodeId.modelVersion(d.model.name, d.model.version), id, 'deployed', d.activatedAt),
        ],
      };
    }
    case 'RolledBack': {
      const d = event.data;
      const id = lineageNodeId.deployment(d.deploymentName);
      return {
        nodes: [],
        edges: [
          edge(lineageNodeId.modelVersion(d.modelName, d.toVersion), id, 'rolled-back-to', d.rolledBackAt),
        ],
      };
    }
    case 'InteractionRecorded': {
      const d = event.data;
      const id = lineageNodeId.interaction(d.interactionId);
      return {
        nodes: [node(id, 'interaction', d.interactionId, d.recordedAt)],
        edges: [edge(lineageNodeId.modelVersion(d.model.name, d.model.version), id, 'served', d.recordedAt)],
      };
    }
    default:
      return assertNever(event);
  }
}

/** An in-memory lineage graph, built by folding `lineageChanges` (time travel). */
export class LineageGraph {
  readonly nodes = new Map<string, LineageNode>();
  readonly edges = new Map<string, LineageEdge>();
  private readonly incoming = new Map<string, LineageEdge[]>();
  private readonly outgoing = new Map<string, LineageEdge[]>();
  private readonly added = new Map<LineageEdge, number>();

  apply(changes: LineageChanges): void {
    for (const node of changes.nodes) {
      const existing = this.nodes.get(node.nodeId);
      // Same rule as the SQL upsert: the creating event and time stay, attributes merge.
      this.nodes.set(
        node.nodeId,
        existing ? { ...existing, attributes: { ...existing.attributes, ...node.attributes } } : node,
      );
    }
    for (const edge of changes.edges) {
      const key = `${edge.from}\u0000${edge.to}\u0000${edge.relation}`;
      if (this.edges.has(key)) continue;
      this.edges.set(key, edge);
      this.added.set(edge, this.added.size);
      const into = this.incoming.get(edge.to) ?? [];
      into.push(edge);
      this.incoming.set(edge.to, into);
      const out = this.outgoing.get(edge.from) ?? [];
      out.push(edge);
      this.outgoing.set(edge.from, out);
    }
  }

  /** The edges between the given nodes, in the order they were added (read from those nodes alone). */
  edgesAmong(nodeIds: ReadonlySet<string>): LineageEdge[] {
    const found: LineageEdge[] = [];
    for (const id of nodeIds)
      for (const edge of this.outgoing.get(id) ?? []) if (nodeIds.has(edge.to)) found.push(edge);
    return found.sort((a, b) => this.added.get(a)! - this.added.get(b)!);
  }

  /** The edges into a node (`upstream`: what it was made from) or out of it, in the order they were added. */
  edgesOf(nodeId: string, direction: 'upstream' | 'downstream'): readonly LineageEdge[] {
    return (direction === 'upstream' ? this.incoming : this.outgoing).get(nodeId) ?? [];
  }

  /** Everything upstream of a node (what it was made from, transitively), with the edges walked. */
  upstream(nodeId: string): { nodes: LineageNode[]; edges: LineageEdge[] } {
    const seen = new Set<string>([nodeId]);
    const edges: LineageEdge[] = [];
    const queue = [nodeId];
    while (queue.length > 0) {
      const current = queue.shift()!;
      for (const edge of this.incoming.get(current) ?? []) {
        edges.push(edge);
        if (!seen.has(edge.from)) {
          seen.add(edge.from);
          queue.push(edge.from);
        }
      }
    }
    const nodes = [...seen].map((id) => this.nodes.get(id)).filter((n): n is LineageNode => n !== undefined);
    return { nodes, edges };
  }
}
