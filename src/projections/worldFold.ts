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
  type OwnedRegistry,
  type RegistryChange,
} from './registry.fold.js';

/**
 * The version of what the world fold derives from events. Bump it whenever the registry,
 * deployment or lineage folds (or the dispatch below) change what they make of an event: snapshots
 * built by another version are then ignored, and rebuilt by the snapshot writer.
 */
// 2: a snapshot holds the registry and deployments only; the lineage lives in the lineage index
// (world_lineage_nodes / world_lineage_edges, written with the snapshots).
// 3: a snapshot holds the deployments only; the registry lives in the registry index
// (world_registry_rows, the models and versions each snapshot changed).
export const worldFoldVersion = 3;

/** The events the folds below change anything for; the log's other events are not read. */
export const foldedTypes: readonly string[] = [
  ...new Set<string>([...registryEventTypes, ...deploymentEventTypes, ...lineageEventTypes]),
];

/**
 * The small part of the world as plain data, for a snapshot: the deployments in their insertion
 * order. The lineage and the registry are not in it: they grow with the log (every served
 * interaction is a node, every training run a version), so they are kept in the lineage index
 * (`lineageIndex.ts`) and the registry index (`registryIndex.ts`), a row per change.
 */
export interface WorldState {
  readonly deployments: readonly DeploymentState[];
}

/** What the fold keeps in memory; a part not kept is returned by `apply` or set aside. */
export interface WorldFoldParts {
  /** false: lineage changes are returned by `apply` but not kept (the snapshot writer indexes them). */
  readonly lineage?: boolean;
  /**
   * false: registry changes are set aside in `registryChanges` instead of applied (time travel from
   * a snapshot, which reads the registry from the index only when asked and applies them then).
   */
  readonly registry?: boolean;
}

/**
 * The registry, deployments and lineage folded in memory, event by event, in log order. The lineage
 * graph holds what was folded by this instance (from the start of the log, or since a snapshot).
 */
export class WorldFold {
  readonly deployments = new Map<string, DeploymentState>();
  readonly registry: OwnedRegistry = new Map();
  readonly lineage = new LineageGraph();
  /** The registry changes folded but not applied (when the registry is not kept), in log order. */
  readonly registryChanges: RegistryChange[] = [];
  /** Events that changed the world (of the folded types, readable by this code). */
  eventsFolded = 0;
  private readonly keepsLineage: boolean;
  private readonly keepsRegistry: boolean;

  constructor(parts: WorldFoldParts = {}) {
    this.keepsLineage = parts.lineage ?? true;
    this.keepsRegistry = parts.registry ?? true;
  }

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
      for (const change of registryChanges(event)) {
        if (this.keepsRegistry) applyRegistryChangeInPlace(this.registry, change);
        else this.registryChanges.push(change);
      }
    }
    if (!isOneOf(lineageEventTypes, event)) return undefined;
    const changes = lineageChanges(event);
    if (this.keepsLineage) this.lineage.apply(changes);
    return changes;
  }

  toState(): WorldState {
    return { deployments: [...this.deployments.values()] };
  }

  /** A fold that goes on from a snapshot's deployments and a registry read from the index. */
  static fromState(
    state: WorldState,
    eventsFolded: number,
    parts: WorldFoldParts & { readonly registryAtState?: OwnedRegistry } = {},
  ): WorldFold {
    const fold = new WorldFold(parts);
    for (const deployment of state.deployments) fold.deployments.set(deployment.deploymentName, deployment);
    for (const [name, model] of parts.registryAtState ?? []) fold.registry.set(name, model);
    fold.eventsFolded = eventsFolded;
    return fold;
  }
}
