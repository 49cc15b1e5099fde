import type { RecordedEvent } from '../eventstore/eventStore.js';
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
  type LineageEdge,
  type LineageNode,
} from './lineage.fold.js';
import {
  applyRegistryChangeInPlace,
  registryChanges,
  registryEventTypes,
  type ModelState,
  type ModelVersionState,
  type OwnedRegistry,
} from './registry.fold.js';

/**
 * The version of what the world fold derives from events. Bump it whenever the registry,
 * deployment or lineage folds (or the dispatch below) change what they make of an event: snapshots
 * built by another version are then ignored, and rebuilt by the snapshot writer.
 */
export const worldFoldVersion = 1;

/** The events the folds below change anything for; the log's other events are not read. */
export const foldedTypes: readonly string[] = [
  ...new Set<string>([...registryEventTypes, ...deploymentEventTypes, ...lineageEventTypes]),
];

/** The world as plain data, for a snapshot: maps as arrays in their insertion order. */
export interface WorldState {
  readonly deployments: readonly DeploymentState[];
  readonly registry: readonly (Omit<ModelState, 'versions'> & {
    readonly versions: readonly ModelVersionState[];
  })[];
  readonly lineage: { readonly nodes: readonly LineageNode[]; readonly edges: readonly LineageEdge[] };
}

/** The registry, deployments and lineage folded in memory, event by event, in log order. */
export class WorldFold {
  readonly deployments = new Map<string, DeploymentState>();
  readonly registry: OwnedRegistry = new Map();
  readonly lineage = new LineageGraph();
  /** Events that changed the world (of the folded types, readable by this code). */
  eventsFolded = 0;

  /** Folds one recorded event (events of other types are ignored). */
  apply(stored: RecordedEvent): void {
    const event = toProjectedEvent(stored);
    if (!event) return;
    if (
      !isOneOf(deploymentEventTypes, event) &&
      !isOneOf(registryEventTypes, event) &&
      !isOneOf(lineageEventTypes, event)
    )
      return;
    this.eventsFolded++;
    if (isOneOf(deploymentEventTypes, event)) {
      const entry = deploymentEntry(event);
      this.deployments.set(
        entry.deploymentName,
        applyDeploymentEntry(this.deployments.get(entry.deploymentName), entry),
      );
    }
    if (isOneOf(registryEventTypes, event)) {
      for (const change of registryChanges(event)) applyRegistryChangeInPlace(this.registry, change);
    }
    if (isOneOf(lineageEventTypes, event)) this.lineage.apply(lineageChanges(event));
  }

  toState(): WorldState {
    return {
      deployments: [...this.deployments.values()],
      registry: [...this.registry.values()].map((model) => ({
        ...model,
        versions: [...model.versions.values()],
      })),
      lineage: { nodes: [...this.lineage.nodes.values()], edges: [...this.lineage.edges.values()] },
    };
  }

  static fromState(state: WorldState, eventsFolded: number): WorldFold {
    const fold = new WorldFold();
    for (const deployment of state.deployments) fold.deployments.set(deployment.deploymentName, deployment);
    for (const model of state.registry) {
      fold.registry.set(model.modelName, {
        ...model,
        versions: new Map(model.versions.map((version) => [version.version, version])),
      });
    }
    fold.lineage.apply(state.lineage);
    fold.eventsFolded = eventsFolded;
    return fold;
  }
}
