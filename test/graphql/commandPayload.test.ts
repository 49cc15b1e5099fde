/**
 * The mutation contract: every command mutation answers its own `<Mutation>Payload`, implementing CommandPayload
 * (so old selections of its fields still work) with `userErrors`; domain refusals map to user errors by kind.
 * The payloads over HTTP are exercised in mutations, lifecycleMutations, evaluationWork and refusals tests.
 */
import { getNamedType, isEnumType, isInterfaceType, isNonNullType, isObjectType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { DomainError, domainErrorKinds } from '../../src/domain/index.js';
import { buildApiSchema } from '../../src/graphql/schema.js';
import { isUserErrorKind, toUserError } from '../../src/graphql/types/commandPayload.type.js';

/** Mutations that answer something other than a command payload, each for its own reason. */
const otherAnswers: Record<string, string> = {
  ingestDataset: 'DatasetIngestPayload',
  requestAugmentation: 'AugmentationRequestPayload',
  buildFlywheelRevision: 'FlywheelRevisionPayload',
  buildPreferenceRevision: 'PreferenceRevisionPayload',
  claimJob: 'ClaimJobPayload',
  renewJobLease: 'RenewJobLeasePayload',
  releaseJob: 'ReleaseJobPayload',
  finishJob: 'FinishJobPayload',
};

describe('mutation payloads', () => {
  it('gives every command mutation its own payload implementing CommandPayload, with userErrors', async () => {
    const schema = await buildApiSchema();
    const mutations = Object.values(schema.getMutationType()!.getFields());
    const commands = mutations.filter((field) => !(field.name in otherAnswers));
    expect(commands.length).toBeGreaterThanOrEqual(34);
    const names = new Set<string>();
    for (const field of commands) {
      expect(isNonNullType(field.type), field.name).toBe(true);
      const payload = getNamedType(field.type);
      const expected = `${field.name.charAt(0).toUpperCase()}${field.name.slice(1)}Payload`;
      expect(payload.name, field.name).toBe(expected);
      expect(isObjectType(payload) && payload.getInterfaces().map((i) => i.name)).toEqual(['CommandPayload']);
      expect(names.has(payload.name), `${payload.name} shared`).toBe(false);
      names.add(payload.name);
      if (!isObjectType(payload)) continue;
      expect(String(payload.getFields().userErrors?.type), field.name).toBe('[UserError!]!');
    }
    for (const [name, type] of Object.entries(otherAnswers)) {
      expect(getNamedType(schema.getMutationType()!.getFields()[name]!.type).name, name).toBe(type);
    }
    // The job queue's mutations change no stream, but answer their refusals as user errors too.
    for (const name of ['claimJob', 'renewJobLease', 'releaseJob', 'finishJob']) {
      const field = schema.getMutationType()!.getFields()[name]!;
      const payload = getNamedType(field.type);
      expect(isNonNullType(field.type), name).toBe(true);
      expect(isObjectType(payload) && String(payload.getFields().userErrors?.type), name).toBe(
        '[UserError!]!',
      );
    }
  });

  it('carries the object each aggregate changed under a named field', async () => {
    const schema = await buildApiSchema();
    const shared = schema.getType('CommandPayload');
    if (!isInterfaceType(shared)) throw new Error('CommandPayload is not an interface');
    const subjectOf = (mutation: string) => {
      const payload = getNamedType(schema.getMutationType()!.getFields()[mutation]!.type);
      if (!isObjectType(payload)) throw new Error(`${mutation} answers ${payload.name}`);
      return Object.values(payload.getFields())
        .filter((field) => !(field.name in shared.getFields()))
        .map((field) => `${field.name}: ${String(field.type)}`);
    };
    expect(subjectOf('requestTrainingRun')).toEqual(['run: TrainingRun']);
    expect(subjectOf('heartbeat')).toEqual(['run: TrainingRun']);
    expect(subjectOf('registerDataset')).toEqual(['dataset: Dataset']);
    expect(subjectOf('completeEvaluation')).toEqual(['evaluation: Evaluation']);
    expect(subjectOf('promoteModelVersion')).toEqual(['modelVersion: ModelVersion']);
    expect(subjectOf('requestRollback')).toEqual(['deployment: Deployment']);
    expect(subjectOf('labelFeedback')).toEqual(['interaction: Interaction']);
    expect(subjectOf('rankPreference')).toEqual(['prompt: PreferencePrompt']);
    expect(subjectOf('forgetSubject')).toEqual([]);
  });

  it('lists exactly the not-found and conflict refusals as UserErrorCode', async () => {
    const schema = await buildApiSchema();
    const codes = schema.getType('UserErrorCode');
    expect(isEnumType(codes)).toBe(true);
    const expected = Object.entries(domainErrorKinds)
      .filter(([, kind]) => kind === 'not-found' || kind === 'conflict')
      .map(([code]) => code)
      .sort();
    expect(
      isEnumType(codes) &&
        codes
          .getValues()
          .map((value) => value.name)
          .sort(),
    ).toEqual(expected);
  });

  it('answers a state refusal as a user error with its field path, and leaves input and role errors as errors', () => {
    const stage = new DomainError('DATASET_REVISION_NOT_FOUND', 'no revision 9', {
      field: 'stages[1].datasetRevision',
      revision: 9,
    });
    expect(isUserErrorKind(stage.kind)).toBe(true);
    expect(toUserError(stage)).toEqual({
      code: 'DATASET_REVISION_NOT_FOUND',
      kind: 'not-found',
      message: 'no revision 9',
      field: ['stages', '1', 'datasetRevision'],
      details: { field: 'stages[1].datasetRevision', revision: 9 },
    });
    expect(toUserError(new DomainError('RUN_ALREADY_CLAIMED', 'held', {})).field).toBeNull();
    expect(isUserErrorKind(new DomainError('TRAINING_PARAMETER_OUT_OF_BOUNDS', 'too big').kind)).toBe(false);
    expect(isUserErrorKind(new DomainError('RUN_NOT_LEASE_HOLDER', 'not yours').kind)).toBe(false);
  });
});
