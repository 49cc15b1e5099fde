import { describe, expect, it } from 'vitest';
import {
  applyRegistryChange,
  applyRegistryChangeInPlace,
  emptyRegistry,
  registryChanges,
  stagePointers,
  type OwnedRegistry,
  type RegistryChange,
  type RegistryState,
} from '../../src/projections/registry.fold.js';
import { projectedEvent } from '../support/projectedEvent.js';

// The registry fold on its own: the changes each registry event makes, and the registry after them, with the
// pure fold (the projection's) and the in-place one (time travel's) held to the same expectations.
const registered = (version: number, extra: object = {}) =>
  projectedEvent(
    'ModelVersionRegistered',
    {
      modelName: 'tiny',
      version,
      runId: `run-${version}`,
      baseModel: 'llama',
      artifacts: { adapter: `sha-${version}` },
      trainingSummary: { method: 'sft', version },
      registeredAt: `t-reg-${version}`,
      ...extra,
    },
    `e-reg-${version}`,
  );
const promoted = (version: number, stage: 'staging' | 'production', extra: object = {}) =>
  projectedEvent('ModelVersionPromoted', {
    modelName: 'tiny',
    version,
    stage,
    previousStage: 'none',
    evidence: { evaluationIds: [`eval-${version}`] },
    approvedBy: 'ana',
    promotedAt: `t-${stage}-${version}`,
    ...extra,
  });
const archived = (version: number, extra: object = {}) =>
  projectedEvent('ModelVersionArchived', {
    modelName: 'tiny',
    version,
    reason: 'retention',
    archivedAt: `t-arch-${version}`,
    ...extra,
  });

type Event = Parameters<typeof registryChanges>[0];

const folds: [string, (events: readonly Event[]) => RegistryState][] = [
  [
    'pure',
    (events) => events.flatMap(registryChanges).reduce<RegistryState>(applyRegistryChange, emptyRegistry),
  ],
  [
    'in place',
    (events) => {
      const owned: OwnedRegistry = new Map();
      for (const change of events.flatMap(registryChanges)) applyRegistryChangeInPlace(owned, change);
      return owned;
    },
  ],
];

describe('registry fold: the changes of each event', () => {
  it('registers a version with its run, artifacts, summary, event id and time', () => {
    expect(registryChanges(registered(2))).toEqual([
      {
        kind: 'version-registered',
        modelName: 'tiny',
        version: 2,
        runId: 'run-2',
        baseModel: 'llama',
        artifacts: { adapter: 'sha-2' },
        trainingSummary: { method: 'sft', version: 2 },
        eventId: 'e-reg-2',
        at: 't-reg-2',
      },
    ]);
  });

  it('drops the replaced version one stage and moves the promoted one, with its evidence', () => {
    expect(registryChanges(promoted(3, 'production', { replacedVersion: 2 }))).toEqual([
      { kind: 'stage-changed', modelName: 'tiny', version: 2, stage: 'staging', at: 't-production-3' },
      {
        kind: 'stage-changed',
        modelName: 'tiny',
        version: 3,
        stage: 'production',
        promotion: { evidence: ['eval-3'], approvedBy: 'ana' },
        at: 't-production-3',
      },
    ]);
    expect(registryChanges(promoted(3, 'staging', { replacedVersion: 2 }))[0]).toMatchObject({
      version: 2,
      stage: 'none',
    });
    // No replaced version, or the promoted version itself: one change only.
    expect(registryChanges(promoted(3, 'staging'))).toHaveLength(1);
    expect(registryChanges(promoted(3, 'production', { replacedVersion: 3 }))).toHaveLength(1);
    expect(registryChanges(promoted(3, 'production', { override: { reason: 'hotfix' } }))[0]!).toMatchObject({
      promotion: { evidence: ['eval-3'], approvedBy: 'ana', override: 'hotfix' },
    });
  });

  it('archives a version with its reason, and the note after it', () => {
    expect(registryChanges(archived(2))).toEqual([
      { kind: 'version-archived', modelName: 'tiny', version: 2, reason: 'retention', at: 't-arch-2' },
    ]);
    expect(registryChanges(archived(2, { reason: 'manual', note: 'bad answers' }))[0]).toMatchObject({
      reason: 'manual: bad answers',
    });
    expect(registryChanges(archived(2, { note: '' }))[0]).toMatchObject({ reason: 'retention' });
  });
});

describe.each(folds)('registry fold (%s): the registry after the changes', (_name, fold) => {
  it('keeps a registered version unpromoted, with the model’s first registration and latest version', () => {
    const registry = fold([registered(2), registered(1)]);
    const model = registry.get('tiny')!;
    expect({ ...model, versions: undefined }).toEqual({
      modelName: 'tiny',
      latestVersion: 2,
      stagingVersion: null,
      productionVersion: null,
      registeredAt: 't-reg-2',
      updatedAt: 't-reg-1',
      versions: undefined,
    });
    expect(model.versions.get(2)).toEqual({
      modelName: 'tiny',
      version: 2,
      runId: 'run-2',
      baseModel: 'llama',
      artifacts: { adapter: 'sha-2' },
      stage: 'none',
      retained: true,
      evidence: [],
      approvedBy: null,
      archivedReason: null,
      trainingSummary: { method: 'sft', version: 2 },
      registeredEventId: 'e-reg-2',
      registeredAt: 't-reg-2',
      promotedAt: null,
      archivedAt: null,
    });
    expect([...model.versions.keys()].sort()).toEqual([1, 2]);
  });

  it('moves the stage pointers on promotion and records who approved it on what evidence', () => {
    const registry = fold([
      registered(1),
      registered(2),
      promoted(1, 'production'),
      promoted(2, 'production', { replacedVersion: 1 }),
    ]);
    const model = registry.get('tiny')!;
    expect(model).toMatchObject({ stagingVersion: 1, productionVersion: 2, updatedAt: 't-production-2' });
    expect(model.versions.get(2)).toMatchObject({
      stage: 'production',
      evidence: ['eval-2'],
      approvedBy: 'ana',
      promotedAt: 't-production-2',
    });
    // The demoted version keeps its own promotion's record.
    expect(model.versions.get(1)).toMatchObject({
      stage: 'staging',
      evidence: ['eval-1'],
      promotedAt: 't-production-1',
    });
  });

  it('archives a version out of its stage, no longer retained, with reason and time', () => {
    const registry = fold([registered(1), promoted(1, 'staging'), archived(1, { note: 'old' })]);
    const model = registry.get('tiny')!;
    expect(model).toMatchObject({ stagingVersion: null, productionVersion: null, updatedAt: 't-arch-1' });
    expect(model.versions.get(1)).toMatchObject({
      stage: 'none',
      retained: false,
      archivedReason: 'retention: old',
      archivedAt: 't-arch-1',
      evidence: ['eval-1'],
    });
  });

  it('ignores a stage change or archive of a model or version it does not know', () => {
    const registry = fold([registered(1)]);
    const unknown = fold([registered(1), promoted(5, 'production'), archived(6)]);
    expect(unknown).toEqual(registry);
    expect(fold([promoted(1, 'production'), archived(1)]).size).toBe(0);
  });
});

describe('registry fold: the pure fold never changes a state it returned', () => {
  it('leaves the earlier registry as it was', () => {
    const before = applyRegistryChange(emptyRegistry, registryChanges(registered(1))[0]!);
    const snapshot = JSON.stringify([...before.get('tiny')!.versions.values()]);
    const change: RegistryChange = registryChanges(promoted(1, 'production'))[0]!;
    const after = applyRegistryChange(before, change);
    expect(after.get('tiny')!.productionVersion).toBe(1);
    expect(before.get('tiny')!.productionVersion).toBeNull();
    expect(JSON.stringify([...before.get('tiny')!.versions.values()])).toBe(snapshot);
    // A change that changes nothing returns the same state.
    expect(applyRegistryChange(before, registryChanges(archived(9))[0]!)).toBe(before);
  });
});

describe('stagePointers', () => {
  it('clears the version from the stage it leaves and points the new stage at it', () => {
    const both = { stagingVersion: 1, productionVersion: 2 };
    expect(stagePointers(both, 1, 'production')).toEqual({ stagingVersion: null, productionVersion: 1 });
    expect(stagePointers(both, 2, 'staging')).toEqual({ stagingVersion: 2, productionVersion: null });
    expect(stagePointers(both, 2, 'none')).toEqual({ stagingVersion: 1, productionVersion: null });
    expect(stagePointers(both, 1, 'none')).toEqual({ stagingVersion: null, productionVersion: 2 });
    expect(stagePointers(both, 3, 'staging')).toEqual({ stagingVersion: 3, productionVersion: 2 });
    expect(stagePointers(both, 3, 'none')).toEqual(both);
  });
});
