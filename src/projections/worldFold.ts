import type { RecordedEvent } from '../eventstore/eventStore.js';
import {
  applyDeploymentEntry,
  deploymentEntry,
  deploymentEventTypes,
  type DeploymentState,
} from './deployments.fold.js';
import { isOneOf, toProjectedEvent } from './lifecycleEvent.js';
import { LineageGraph, lineageChanges, lineageEventTypes, type LineageChanges } from './lineage.fold.js';
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
// 2: a snapshot holds the registry and deployments only; the lineage lives in the lineage index
// (world_lineage_nodes / world_lineage_edges, written with the snapshots).
export const worldFoldVersion = 2;

/** The events the folds below change anything for; the log's other events are not read. */
export const foldedTypes: readonly string[] = [
  ...new Set<string>([...registryEventTypes, ...deploymentEventTypes, ...lineageEventTypes]),
];

/**
 * The small part of the world as plain data, for a snapshot: maps as arrays in their insertion
 * order. The lineage is not in it: it grows with the log (every served interaction is a node), so
 * it is kept in the lineage index instead (`lineageIndex.ts`).
 */
export interface WorldState {
  readonly deployments: readonly DeploymentState[];
  readonly registry: readonly (Omit<ModelState, 'versions'> & {
    readonly versions: readonly ModelVersionState[];
  })[];
}

/**
 * The registry, deployments and lineage folded in memory, event by event, in log order. The lineage
 * graph holds what was folded by this instance (from the start of the log, or since a snapshot).
 */
export class WorldFold {
  readonly deployments = new Map<string, DeploymentState>();
  readonly registry: OwnedRegistry = new Map();
  readonly lineage = new LineageGraph();
  /** Events that changed the world (of the folded types, readable by this code). */
  eventsFolded = 0;

  /**
   * @param keepsLineage false: lineage changes are returned by `apply` but not kept in `lineage`
   * (the snapshot writer, which writes them to the lineage index instead of holding the whole graph).
   */
  constructor(private readonly keepsLineage = true) {}

  /**
   * Folds one recorded event (events of other types are ignored). Returns what it adds to the
   * lineage (undefined for an event that adds nothing there).
   */
  apply(stored: RecordedEvent): LineageChanges | undefined {
    const event = toProjectedEvent(stored);
    if (!event) return undefined;
    if (
      !isOneOf(deploymentEventTypes, event) &&
      !isOneOf(registryEventTypes, event) &&
      !isOneOf(lineageEventTypes, event)
    )
      return undefined;
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
    if (!isOneOf(lineageEventTypes, event)) return undefined;
    const changes = lineageChanges(event);
    if (this.keepsLineage) this.lineage.apply(changes);
    return changes;
  }

  toState(): WorldState {
    return {
      deployments: [...this.deployments.values()],
      registry: [...this.registry.values()].map((model) => ({
        ...model,
        versions: [...model.versions.values()],
      })),
    };
  }

  static fromState(state: WorldState, eventsFolded: number, keepsLineage = true): WorldFold {
    const fold = new WorldFold(keepsLineage);
    for (const deployment of state.deployments) fold.deployments.set(deployment.deploymentName, deployment);
    for (const model of state.registry) {
      fold.registry.set(model.modelName, {
        ...model,
        versions: new Map(model.versions.map((version) => [version.version, version])),
      });
    }
    fold.eventsFolded = eventsFolded;
    return fold;
  }
}
