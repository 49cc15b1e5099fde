import { describe, expect, it } from 'vitest';
import {
  modelDecider,
  type ModelEvent,
  type PromoteModelVersion,
  type RegisterModelVersion,
} from '../../src/domain/index.js';
import { at, hash, specFor } from './support.js';

const spec = specFor(modelDecider);

const registerFields = (runId: string) => ({
  modelName: 'med-llama',
  runId,
  baseModel: 'tiny-llama',
  artifacts: { adapter: hash(runId) },
  trainingSummary: { datasetId: 'med', datasetRevision: 1, method: 'lora', finalLoss: 0.8, steps: 100 },
});
const register = (runId: string, minute = 0): RegisterModelVersion => ({
  type: 'RegisterModelVersion',
  ...registerFields(runId),
  facts: { runStatus: 'completed' },
  at: at(minute),
});
const registered = (version: number): ModelEvent => ({
  type: 'ModelVersionRegistered',
  data: { ...registerFields(`r${version}`), version, registeredAt: at(version) },
});
const promoted = (version: number, stage: 'staging' | 'production', extra: object = {}): ModelEvent => ({
  type: 'ModelVersionPromoted',
  data: {
    modelName: 'med-llama',
    version,
    stage,
    previousStage: 'none',
    evidence: { evaluationIds: [] },
    approvedBy: 'ana',
    promotedAt: at(10),
    ...extra,
  },
});
const passedEvaluation = (version: number) => ({
  evaluationId: `e${version}`,
  model: { name: 'med-llama', version },
  status: 'completed',
  passed: true,
});
const promote = (version: number, extra: Partial<PromoteModelVersion> = {}): PromoteModelVersion => ({
  type: 'PromoteModelVersion',
  modelName: 'med-llama',
  version,
  stage: 'production',
  approvedBy: 'ana',
  evaluations: [passedEvaluation(version)],
  approverIsAdmin: false,
  at: at(10),
  ...extra,
});

describe('model registry decider: registration and retention', () => {
  it('numbers versions 1, 2, 3', () => {
    spec
      .given([])
      .when({ ...register('r1'), at: at(1) })
      .then([registered(1)]);
    spec
      .given([registered(1)])
      .when({ ...register('r2'), at: at(2) })
      .then([registered(2)]);
    spec
      .given([registered(1)])
      .when({ ...register('r2'), version: 3 })
      .thenThrows('VERSION_OUT_OF_ORDER');
  });

  it('refuses a run that did not complete or is already registered', () => {
    spec
      .given([])
      .when({ ...register('r1'), facts: { runStatus: 'failed' } })
      .thenThrows('RUN_NOT_COMPLETED');
    spec
      .given([registered(1)])
      .when(register('r1'))
      .thenThrows('RUN_ALREADY_REGISTERED');
  });

  it('archives the oldest retained version when a fourth is registered', () => {
    spec
      .given([registered(1), registered(2), registered(3)])
      .when({ ...register('r4'), at: at(4) })
      .then([
        registered(4),
        {
          type: 'ModelVersionArchived',
          data: {
            modelName: 'med-llama',
            version: 1,
            reason: 'retention',
            note: 'v4 registered; the registry keeps the last 3 versions',
            archivedAt: at(4),
          },
        },
      ]);
  });

  it('skips the production version when archiving for retention', () => {
    spec
      .given([registered(1), registered(2), registered(3), promoted(1, 'production')])
      .when({ ...register('r4'), at: at(4) })
      .then([
        registered(4),
        {
          type: 'ModelVersionArchived',
          data: {
            modelName: 'med-llama',
            version: 2,
            reason: 'retention',
            note: 'v4 registered; the registry keeps the last 3 versions',
            archivedAt: at(4),
          },
        },
      ]);
  });
});

describe('model registry decider: promotion', () => {
  it('promotes to production on a passed evaluation of that very version', () => {
    spec
      .given([registered(1), registered(2)])
      .when(promote(2))
      .then([promoted(2, 'production', { evidence: { evaluationIds: ['e2'] } })]);
  });

  it('refuses production without a passed evaluation of that version', () => {
    spec
      .given([registered(1), registered(2)])
      .when(promote(2, { evaluations: [passedEvaluation(1)] }))
      .thenThrows('PROMOTION_NEEDS_PASSED_EVALUATION');
    spec
      .given([registered(1)])
      .when(promote(1, { evaluations: [{ ...passedEvaluation(1), passed: false }] }))
      .thenThrows('PROMOTION_NEEDS_PASSED_EVALUATION');
    spec
      .given([registered(1)])
      .when(promote(1, { evaluations: [] }))
      .thenThrows('PROMOTION_NEEDS_PASSED_EVALUATION');
  });

  it('accepts an admin override with a reason, and only that', () => {
    spec
      .given([registered(1)])
      .when(
        promote(1, {
          evaluations: [],
          override: { reason: 'hotfix for incident 42' },
          approverIsAdmin: true,
        }),
      )
      .then([promoted(1, 'production', { override: { reason: 'hotfix for incident 42' } })]);
    spec
      .given([registered(1)])
      .when(promote(1, { evaluations: [], override: { reason: 'because' }, approverIsAdmin: false }))
      .thenThrows('OVERRIDE_REQUIRES_ADMIN');
    spec
      .given([registered(1)])
      .when(promote(1, { evaluations: [], override: { reason: '  ' }, approverIsAdmin: true }))
      .thenThrows('OVERRIDE_REASON_REQUIRED');
  });

  it('promotes to staging without evidence and replaces the production version', () => {
    spec
      .given([registered(1)])
      .when(promote(1, { stage: 'staging', evaluations: [] }))
      .then([promoted(1, 'staging')]);
    spec
      .given([registered(1), registered(2), promoted(1, 'production')])
      .when(promote(2))
      .then([promoted(2, 'production', { replacedVersion: 1, evidence: { evaluationIds: ['e2'] } })]);
  });

  it('refuses unknown, archived, same-stage and demoting promotions', () => {
    spec
      .given([registered(1)])
      .when(promote(2))
      .thenThrows('MODEL_VERSION_NOT_FOUND');
    const archived: ModelEvent = {
      type: 'ModelVersionArchived',
      data: { modelName: 'med-llama', version: 1, reason: 'manual', archivedAt: at(5) },
    };
    spec
      .given([registered(1), archived])
      .when(promote(1))
      .thenThrows('MODEL_VERSION_ARCHIVED');
    spec
      .given([registered(1), promoted(1, 'production')])
      .when(promote(1))
      .thenThrows('ALREADY_IN_STAGE');
    spec
      .given([registered(1), promoted(1, 'production')])
      .when(promote(1, { stage: 'staging' }))
      .thenThrows('PROMOTION_WOULD_DEMOTE');
  });
});

describe('model registry decider: manual archive', () => {
  const archive = {
    type: 'ArchiveModelVersion' as const,
    modelName: 'med-llama',
    version: 1,
    note: 'bad outputs',
    at: at(5),
  };

  it('archives a retained version that is not in production', () => {
    spec
      .given([registered(1)])
      .when(archive)
      .then([
        {
          type: 'ModelVersionArchived',
          data: {
            modelName: 'med-llama',
            version: 1,
            reason: 'manual',
            note: 'bad outputs',
            archivedAt: at(5),
          },
        },
      ]);
    spec
      .given([registered(1), promoted(1, 'production')])
      .when(archive)
      .thenThrows('MODEL_VERSION_IN_PRODUCTION');
    spec.given([]).when(archive).thenThrows('MODEL_VERSION_NOT_FOUND');
  });
});

describe('model registry decider: evidence, overrides and the replaced version', () => {
  it('counts as evidence only a completed, passed evaluation of this model and version', () => {
    const others = [
      { ...passedEvaluation(1), evaluationId: 'running', status: 'running' },
      { ...passedEvaluation(1), evaluationId: 'other-model', model: { name: 'other', version: 1 } },
      { ...passedEvaluation(1), evaluationId: 'failed-gate', passed: false },
    ];
    const refused = spec
      .given([registered(1)])
      .when(promote(1, { evaluations: others }))
      .thenThrows('PROMOTION_NEEDS_PASSED_EVALUATION');
    expect(refused.message).toContain('(none of running, other-model, failed-gate is one)');
    expect(refused.details).toEqual({ modelName: 'med-llama', version: 1, offered: others });
    spec
      .given([registered(1)])
      .when(promote(1, { evaluations: [...others, passedEvaluation(1)] }))
      .then([promoted(1, 'production', { evidence: { evaluationIds: ['e1'] } })]);
    const none = spec
      .given([registered(1)])
      .when(promote(1, { evaluations: [] }))
      .thenThrows('PROMOTION_NEEDS_PASSED_EVALUATION');
    expect(none.message).not.toContain('none of');
  });

  it('records the override reason trimmed, and only on production without evidence', () => {
    spec
      .given([registered(1)])
      .when(promote(1, { evaluations: [], override: { reason: '  hotfix  ' }, approverIsAdmin: true }))
      .then([promoted(1, 'production', { override: { reason: 'hotfix' } })]);
    spec
      .given([registered(1)])
      .when(promote(1, { override: { reason: 'not needed' }, approverIsAdmin: true }))
      .then([promoted(1, 'production', { evidence: { evaluationIds: ['e1'] } })]);
    spec
      .given([registered(1)])
      .when(
        promote(1, { stage: 'staging', evaluations: [], override: { reason: 'x' }, approverIsAdmin: true }),
      )
      .then([promoted(1, 'staging')]);
  });

  it('moves the replaced production version to staging', () => {
    const replaced = [
      registered(1),
      registered(2),
      promoted(1, 'production'),
      promoted(2, 'production', { replacedVersion: 1 }),
    ];
    spec
      .given(replaced)
      .when(promote(1, { stage: 'staging', evaluations: [] }))
      .thenThrows('ALREADY_IN_STAGE');
    spec
      .given(replaced)
      .when(promote(1))
      .then([
        promoted(1, 'production', {
          previousStage: 'staging',
          replacedVersion: 2,
          evidence: { evaluationIds: ['e1'] },
        }),
      ]);
    spec
      .given(replaced)
      .when({ type: 'ArchiveModelVersion', modelName: 'med-llama', version: 2, at: at(5) })
      .thenThrows('MODEL_VERSION_IN_PRODUCTION');
  });

  it('records a staging promotion as the previous stage and replaces no one from staging', () => {
    spec
      .given([registered(1), registered(2), promoted(1, 'production'), promoted(2, 'staging')])
      .when(promote(2))
      .then([
        promoted(2, 'production', {
          previousStage: 'staging',
          replacedVersion: 1,
          evidence: { evaluationIds: ['e2'] },
        }),
      ]);
    spec
      .given([registered(1), registered(2), promoted(1, 'production')])
      .when(promote(2, { stage: 'staging', evaluations: [] }))
      .then([promoted(2, 'staging')]);
  });

  it('archives for retention only as many as exceed three, oldest first', () => {
    const archivedFor = (version: number, next: number): ModelEvent => ({
      type: 'ModelVersionArchived',
      data: {
        modelName: 'med-llama',
        version,
        reason: 'retention',
        note: `v${next} registered; the registry keeps the last 3 versions`,
        archivedAt: at(next),
      },
    });
    spec
      .given([registered(1), registered(2)])
      .when({ ...register('r3'), at: at(3) })
      .then([registered(3)]);
    spec
      .given([registered(1), registered(2), registered(3), archivedFor(1, 4), registered(4)])
      .when({ ...register('r5'), at: at(5) })
      .then([registered(5), archivedFor(2, 5)]);
  });
});

describe('model registry decider: refusals name what they are about', () => {
  // A refusal's details become the GraphQL error's extensions: a client reads the ids from them.
  it('gives the model, version, run or approver', () => {
    const outOfOrder = spec
      .given([registered(1)])
      .when({ ...register('r2'), version: 3 })
      .thenThrows('VERSION_OUT_OF_ORDER');
    expect(outOfOrder.details).toEqual({ modelName: 'med-llama', expected: 2, got: 3 });
    expect(outOfOrder.message).toContain('is at version 1, so the next version is 2, not 3');
    expect(
      spec
        .given([])
        .when({ ...register('r1'), facts: { runStatus: 'failed' } })
        .thenThrows('RUN_NOT_COMPLETED').details,
    ).toEqual({ runId: 'r1', status: 'failed' });
    const again = spec
      .given([registered(1)])
      .when(register('r1'))
      .thenThrows('RUN_ALREADY_REGISTERED');
    expect(again.details).toEqual({ runId: 'r1', version: 1 });
    expect(again.message).toContain('v1');
    const missing = spec
      .given([registered(1)])
      .when(promote(2))
      .thenThrows('MODEL_VERSION_NOT_FOUND');
    expect(missing.details).toEqual({ modelName: 'med-llama', version: 2 });
    expect(missing.message).toContain('has no version 2 (it has 1)');
    expect(
      spec
        .given([
          registered(1),
          {
            type: 'ModelVersionArchived',
            data: { modelName: 'med-llama', version: 1, reason: 'manual', archivedAt: at(5) },
          },
        ])
        .when(promote(1))
        .thenThrows('MODEL_VERSION_ARCHIVED').details,
    ).toEqual({ modelName: 'med-llama', version: 1 });
    expect(
      spec
        .given([registered(1), promoted(1, 'production')])
        .when(promote(1))
        .thenThrows('ALREADY_IN_STAGE').details,
    ).toEqual({ modelName: 'med-llama', version: 1, stage: 'production' });
    expect(
      spec
        .given([registered(1), promoted(1, 'production')])
        .when(promote(1, { stage: 'staging' }))
        .thenThrows('PROMOTION_WOULD_DEMOTE').details,
    ).toEqual({ modelName: 'med-llama', version: 1 });
    expect(
      spec
        .given([registered(1)])
        .when(promote(1, { evaluations: [], override: { reason: 'because' }, approverIsAdmin: false }))
        .thenThrows('OVERRIDE_REQUIRES_ADMIN').details,
    ).toEqual({ approvedBy: 'ana' });
    expect(
      spec
        .given([registered(1), promoted(1, 'production')])
        .when({ type: 'ArchiveModelVersion', modelName: 'med-llama', version: 1, at: at(5) })
        .thenThrows('MODEL_VERSION_IN_PRODUCTION').details,
    ).toEqual({ modelName: 'med-llama', version: 1 });
  });

  it('archives without a note when none is given', () => {
    spec
      .given([registered(1)])
      .when({ type: 'ArchiveModelVersion', modelName: 'med-llama', version: 1, at: at(5) })
      .then([
        {
          type: 'ModelVersionArchived',
          data: { modelName: 'med-llama', version: 1, reason: 'manual', archivedAt: at(5) },
        },
      ]);
  });
});
