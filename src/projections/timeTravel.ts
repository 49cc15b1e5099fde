import { START, type EventStore } from '../eventstore/eventStore.js';
import {
  applyDeploymentEntry,
  deploymentEntry,
  deploymentEventTypes,
  type DeploymentState,
} from './deployments.fold.js';
import { isOneOf, toProjectedEvent } from './lifecycleEvent.js';
import {
  LineageGraph,
  lineageChanges,
  lineageEventTypes,
  lineageNodeId,
  type LineageEdge,
  type LineageNode,
} from './lineage.fold.js';
import {
  applyRegistryChange,
  emptyRegistry,
  registryChanges,
  registryEventTypes,
  type RegistryState,
} from './registry.fold.js';

/** The events the folds below change anything for; the log's other events are not read. */
const foldedTypes: readonly string[] = [
  ...new Set<string>([...registryEventTypes, ...deploymentEventTypes, ...lineageEventTypes]),
];

/** The log as it stood at a moment: deployments, the registry and the lineage graph. */
export interface WorldAsOf {
  readonly at: string;
  readonly eventsFolded: number;
  readonly deployments: ReadonlyMap<string, DeploymentState>;
  readonly registry: RegistryState;
  readonly lineage: LineageGraph;
}

export interface DeploymentAsOf {
  readonly at: string;
  readonly deployment: DeploymentState;
  /** The model version active at `at`, or null when none was active yet. */
  readonly active: { readonly modelName: string; readonly version: number } | null;
  /** Everything the active version was made from (runs, dataset revisions, parents, evidence...). */
  readonly lineage: { readonly nodes: readonly LineageNode[]; readonly edges: readonly LineageEdge[] };
}

export interface AsOfOptions {
  /**
   * Events are appended in commit order while recordedAt is stamped before commit, so a few may be
   * out of time order. The fold reads until it has seen events this much newer than T (default 60 s).
   */
  readonly clockSkewMs?: number;
  readonly batchSize?: number;
  /** Stops the fold before its next read once aborted (throws the signal's reason): a caller's deadline. */
  readonly signal?: AbortSignal;
}

/**
 * Folds the log up to time T (events with recordedAt <= T) in memory, with the same pure changes
 * the registry, deployments and lineage projections write to SQL. Never reads the read models.
 * Only the event types those folds handle are read (progress reports, the bulk of a log, are not).
 */
export async function worldAsOf(
  store: EventStore,
  at: Date | string,
  options: AsOfOptions = {},
): Promise<WorldAsOf> {
  const limit = new Date(at).getTime();
  if (Number.isNaN(limit)) throw new Error(`asOf: "${String(at)}" is not a date; give an ISO 8601 timestamp`);
  const stopAfter = limit + (options.clockSkewMs ?? 60_000);
  const deployments = new Map<string, DeploymentState>();
  let registry = emptyRegistry;
  const lineage = new LineageGraph();
  let folded = 0;
  let checkpoint = START;
  for (;;) {
    options.signal?.throwIfAborted();
    const page = await store.readAll(checkpoint, options.batchSize ?? 5000, { types: foldedTypes });
    if (page.events.length === 0) break;
    let beyond = false;
    for (const stored of page.events) {
      const time = new Date(stored.metadata.recordedAt).getTime();
      if (time > stopAfter) {
        beyond = true;
        break;
      }
      if (time > limit) continue;
      const event = toProjectedEvent(stored);
      if (!event) continue;
      folded++;
      if (isOneOf(deploymentEventTypes, event)) {
        const entry = deploymentEntry(event);
        deployments.set(
          entry.deploymentName,
          applyDeploymentEntry(deployments.get(entry.deploymentName), entry),
        );
      }
      if (isOneOf(registryEventTypes, event)) {
        for (const change of registryChanges(event)) registry = applyRegistryChange(registry, change);
      }
      if (isOneOf(lineageEventTypes, event)) lineage.apply(lineageChanges(event));
    }
    if (beyond) break;
    checkpoint = page.checkpoint;
  }
  return { at: new Date(limit).toISOString(), eventsFolded: folded, deployments, registry, lineage };
}

/** "Which version was active on deployment D at T, and what is its full lineage?" */
export async function deploymentAsOf(
  store: EventStore,
  deploymentName: string,
  at: Date | string,
  options: AsOfOptions = {},
): Promise<DeploymentAsOf | undefined> {
  const world = await worldAsOf(store, at, options);
  const deployment = world.deployments.get(deploymentName);
  if (!deployment) return undefined;
  const active =
    deployment.activeVersion !== null && deployment.modelName !== null
      ? { modelName: deployment.modelName, version: deployment.activeVersion }
      : null;
  const lineage = active
    ? world.lineage.upstream(lineageNodeId.modelVersion(active.modelName, active.version))
    : { nodes: [], edges: [] };
  return { at: world.at, deployment, active, lineage };
}

/** The model registry (versions, stages, retention) as it stood at T. */
export async function registryAsOf(
  store: EventStore,
  at: Date | string,
  options: AsOfOptions = {},
): Promise<RegistryState> {
  return (await worldAsOf(store, at, options)).registry;
}
