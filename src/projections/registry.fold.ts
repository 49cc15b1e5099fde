import { assertNever } from '../domain/index.js';
import type { ProjectedEvent } from './lifecycleEvent.js';
import type { ModelStage } from './schema.js';

/**
 * The model registry as pure changes: what each registry event does to versions and stages.
 * The registry projection writes these changes to SQL; time travel applies them to memory. One
 * meaning of the events, two stores.
 */
export type RegistryChange =
  | {
      readonly kind: 'version-registered';
      readonly modelName: string;
      readonly version: number;
      readonly runId: string;
      readonly baseModel: string;
      readonly artifacts: Readonly<Record<string, string | undefined>>;
      readonly trainingSummary: unknown;
      readonly eventId: string;
      readonly at: string;
    }
  | {
      readonly kind: 'stage-changed';
      readonly modelName: string;
      readonly version: number;
      readonly stage: ModelStage;
      /** Present when this change is the promotion itself (not the demotion of the previous holder). */
      readonly promotion?: {
        readonly evidence: readonly string[];
        readonly approvedBy: string;
        readonly override?: string;
      };
      readonly at: string;
    }
  | {
      readonly kind: 'version-archived';
      readonly modelName: string;
      readonly version: number;
      readonly reason: string;
      readonly at: string;
    };

export const registryEventTypes = [
  'ModelVersionRegistered',
  'ModelVersionPromoted',
  'ModelVersionArchived',
] as const;

/** The event types registryChanges handles. */
export type RegistryEventType = (typeof registryEventTypes)[number];

export function registryChanges(event: ProjectedEvent<RegistryEventType>): RegistryChange[] {
  switch (event.type) {
    case 'ModelVersionRegistered': {
      const data = event.data;
      return [
        {
          kind: 'version-registered',
          modelName: data.modelName,
          version: data.version,
          runId: data.runId,
          baseModel: data.baseModel,
          artifacts: data.artifacts,
          trainingSummary: data.trainingSummary,
          eventId: event.eventId,
          at: data.registeredAt,
        },
      ];
    }
    case 'ModelVersionPromoted': {
      const data = event.data;
      const changes: RegistryChange[] = [];
      // The previous holder drops one stage: production -> staging, staging -> none.
      if (data.replacedVersion !== undefined && data.replacedVersion !== data.version) {
        changes.push({
          kind: 'stage-changed',
          modelName: data.modelName,
          version: data.replacedVersion,
          stage: data.stage === 'production' ? 'staging' : 'none',
          at: data.promotedAt,
        });
      }
      changes.push({
        kind: 'stage-changed',
        modelName: data.modelName,
        version: data.version,
        stage: data.stage,
        promotion: {
          evidence: data.evidence.evaluationIds,
          approvedBy: data.approvedBy,
          ...(data.override ? { override: data.override.reason } : {}),
        },
        at: data.promotedAt,
      });
      return changes;
    }
    case 'ModelVersionArchived': {
      const data = event.data;
      return [
        {
          kind: 'version-archived',
          modelName: data.modelName,
          version: data.version,
          reason: data.note ? `${data.reason}: ${data.note}` : data.reason,
          at: data.archivedAt,
        },
      ];
    }
    default:
      return assertNever(event);
  }
}

export interface ModelVersionState {
  readonly modelName: string;
  readonly version: number;
  readonly runId: string;
  readonly baseModel: string;
  readonly artifacts: Readonly<Record<string, string | undefined>>;
  readonly stage: ModelStage;
  readonly retained: boolean;
  readonly evidence: readonly string[];
  readonly approvedBy: string | null;
  readonly archivedReason: string | null;
  readonly trainingSummary: unknown;
  readonly registeredEventId: string;
  readonly registeredAt: string;
  readonly promotedAt: string | null;
  readonly archivedAt: string | null;
}

export interface ModelState {
  readonly modelName: string;
  readonly latestVersion: number;
  readonly stagingVersion: number | null;
  readonly productionVersion: number | null;
  readonly registeredAt: string;
  readonly updatedAt: string;
  readonly versions: ReadonlyMap<number, ModelVersionState>;
}

export type RegistryState = ReadonlyMap<string, ModelState>;

export const emptyRegistry: RegistryState = new Map();

/** Applies one change to an in-memory registry (returns a new state; the input is not mutated). */
export function applyRegistryChange(state: RegistryState, change: RegistryChange): RegistryState {
  const model = state.get(change.modelName);
  const changed = changedModel(model, change);
  if (!changed) return state;
  const versions = new Map(model?.versions ?? []);
  versions.set(changed.version.version, changed.version);
  return new Map(state).set(change.modelName, { ...changed.model, versions });
}

/** A registry whose maps belong to the one fold that builds it (time travel), changed in place. */
export type OwnedRegistry = Map<string, ModelState & { readonly versions: Map<number, ModelVersionState> }>;

/**
 * `applyRegistryChange` for a fold that owns its registry: changes the touched version in place
 * instead of copying the model's every version (a copy per event made a long log's fold quadratic
 * in the number of versions).
 */
export function applyRegistryChangeInPlace(state: OwnedRegistry, change: RegistryChange): void {
  const model = state.get(change.modelName);
  const changed = changedModel(model, change);
  if (!changed) return;
  const versions = model?.versions ?? new Map<number, ModelVersionState>();
  versions.set(changed.version.version, changed.version);
  state.set(change.modelName, { ...changed.model, versions });
}

/** The model's fields and the one version a change produces; undefined when it changes nothing. */
function changedModel(
  model: ModelState | undefined,
  change: RegistryChange,
): { model: Omit<ModelState, 'versions'>; version: ModelVersionState } | undefined {
  switch (change.kind) {
    case 'version-registered':
      return {
        version: {
          modelName: change.modelName,
          version: change.version,
          runId: change.runId,
          baseModel: change.baseModel,
          artifacts: change.artifacts,
          stage: 'none',
          retained: true,
          evidence: [],
          approvedBy: null,
          archivedReason: null,
          trainingSummary: change.trainingSummary,
          registeredEventId: change.eventId,
          registeredAt: change.at,
          promotedAt: null,
          archivedAt: null,
        },
        model: {
          modelName: change.modelName,
          latestVersion: Math.max(model?.latestVersion ?? 0, change.version),
          stagingVersion: model?.stagingVersion ?? null,
          productionVersion: model?.productionVersion ?? null,
          registeredAt: model?.registeredAt ?? change.at,
          updatedAt: change.at,
        },
      };
    case 'stage-changed': {
      const current = model?.versions.get(change.version);
      if (!model || !current) return undefined;
      return {
        version: {
          ...current,
          stage: change.stage,
          ...(change.promotion
            ? {
                evidence: change.promotion.evidence,
                approvedBy: change.promotion.approvedBy,
                promotedAt: change.at,
              }
            : {}),
        },
        model: { ...model, updatedAt: change.at, ...stagePointers(model, change.version, change.stage) },
      };
    }
    case 'version-archived': {
      const current = model?.versions.get(change.version);
      if (!model || !current) return undefined;
      return {
        version: {
          ...current,
          retained: false,
          stage: 'none',
          archivedReason: change.reason,
          archivedAt: change.at,
        },
        model: { ...model, updatedAt: change.at, ...stagePointers(model, change.version, 'none') },
      };
    }
  }
}

/** Where the model's staging and production pointers stand after `version` moved to `stage`. */
export function stagePointers(
  model: { readonly stagingVersion: number | null; readonly productionVersion: number | null },
  version: number,
  stage: ModelStage,
): { stagingVersion: number | null; productionVersion: number | null } {
  let { stagingVersion, productionVersion } = model;
  if (stagingVersion === version) stagingVersion = null;
  if (productionVersion === version) productionVersion = null;
  if (stage === 'staging') stagingVersion = version;
  if (stage === 'production') productionVersion = version;
  return { stagingVersion, productionVersion };
}
