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
  const next = new Map(state);
  const model = state.get(change.modelName);
  switch (change.kind) {
    case 'version-registered': {
      const versions = new Map(model?.versions ?? []);
      versions.set(change.version, {
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
      });
      next.set(change.modelName, {
        modelName: change.modelName,
        latestVersion: Math.max(model?.latestVersion ?? 0, change.version),
        stagingVersion: model?.stagingVersion ?? null,
        productionVersion: model?.productionVersion ?? null,
        registeredAt: model?.registeredAt ?? change.at,
        updatedAt: change.at,
        versions,
      });
      return next;
    }
    case 'stage-changed': {
      if (!model) return state;
      const current = model.versions.get(change.version);
      if (!current) return state;
      const versions = new Map(model.versions);
      versions.set(change.version, {
        ...current,
        stage: change.stage,
        ...(change.promotion
          ? {
              evidence: change.promotion.evidence,
              approvedBy: change.promotion.approvedBy,
              promotedAt: change.at,
            }
          : {}),
      });
      next.set(change.modelName, {
        ...model,
        versions,
        updatedAt: change.at,
        ...stagePointers(model, change.version, change.stage),
      });
      return next;
    }
    case 'version-archived': {
      if (!model) return state;
      const current = model.versions.get(change.version);
      if (!current) return state;
      const versions = new Map(model.versions);
      versions.set(change.version, {
        ...current,
        retained: false,
        stage: 'none',
        archivedReason: change.reason,
        archivedAt: change.at,
      });
      next.set(change.modelName, {
        ...model,
        versions,
        updatedAt: change.at,
        ...stagePointers(model, change.version, 'none'),
      });
      return next;
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
