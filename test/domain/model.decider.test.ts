import { describe, it } from 'vitest';
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
