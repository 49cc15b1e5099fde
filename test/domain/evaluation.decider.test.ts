import { describe, expect, it } from 'vitest';
import {
  evaluateGate,
  evaluationDecider,
  fold,
  type EvaluationEvent,
  type RequestEvaluation,
} from '../../src/domain/index.js';
import { at, hash, specFor } from './support.js';

const spec = specFor(evaluationDecider);

const request: RequestEvaluation = {
  type: 'RequestEvaluation',
  evaluationId: 'e1',
  model: { name: 'med-llama', version: 2 },
  dataset: { id: 'med', revision: 1 },
  suites: ['exact-match', 'f1'],
  gate: [
    { metric: 'f1', op: 'gte', value: 0.7 },
    { metric: 'robustnessDelta', op: 'lte', value: 0.05 },
  ],
  facts: { modelVersion: 'retained', datasetRevisionFound: true },
  at: at(0),
};
const requested: EvaluationEvent = {
  type: 'EvaluationRequested',
  data: {
    evaluationId: 'e1',
    model: request.model,
    dataset: request.dataset,
    suites: ['exact-match', 'f1'],
    gate: [...request.gate!],
    requestedAt: at(0),
  },
};
const claimed: EvaluationEvent = {
  type: 'EvaluationClaimed',
  data: { evaluationId: 'e1', workerId: 'w1', leaseUntil: at(5), attempt: 1, claimedAt: at(1) },
};

describe('evaluation decider', () => {
  it('is requested for a retained model version and an existing revision', () => {
    spec.given([]).when(request).then([requested]);
    spec.given([requested]).when(request).thenThrows('EVALUATION_ALREADY_REQUESTED');
    spec
      .given([])
      .when({ ...request, facts: { ...request.facts, modelVersion: 'missing' } })
      .thenThrows('MODEL_VERSION_NOT_FOUND');
    spec
      .given([])
      .when({ ...request, facts: { ...request.facts, modelVersion: 'archived' } })
      .thenThrows('MODEL_VERSION_ARCHIVED');
    spec
      .given([])
      .when({ ...request, facts: { ...request.facts, modelVersion: 'reward-model' } })
      .thenThrows('MODEL_VERSION_IS_REWARD_MODEL');
    spec
      .given([])
      .when({ ...request, facts: { ...request.facts, datasetRevisionFound: false } })
      .thenThrows('DATASET_REVISION_NOT_FOUND');
  });

  it('is claimed once per live lease and again after the lease ran out', () => {
    const claim = {
      type: 'ClaimEvaluation' as const,
      evaluationId: 'e1',
      workerId: 'w1',
      leaseUntil: at(5),
      at: at(1),
    };
    spec.given([requested]).when(claim).then([claimed]);
    spec
      .given([requested, claimed])
      .when({ ...claim, workerId: 'w2', at: at(4) })
      .thenThrows('EVALUATION_ALREADY_CLAIMED');
    spec
      .given([requested, claimed])
      .when({ ...claim, workerId: 'w2', at: at(6), leaseUntil: at(10) })
      .then([
        {
          type: 'EvaluationClaimed',
          data: { evaluationId: 'e1', workerId: 'w2', leaseUntil: at(10), attempt: 2, claimedAt: at(6) },
        },
      ]);
    spec.given([]).when(claim).thenThrows('EVALUATION_NOT_FOUND');
  });

  it('renews the lease only for its live holder, which keeps others from claiming', () => {
    const renew = {
      type: 'RenewEvaluationLease' as const,
      evaluationId: 'e1',
      workerId: 'w1',
      leaseUntil: at(9),
      at: at(4),
    };
    const renewed: EvaluationEvent = {
      type: 'EvaluationLeaseRenewed',
      data: { evaluationId: 'e1', workerId: 'w1', attempt: 1, leaseUntil: at(9) },
    };
    spec.given([requested, claimed]).when(renew).then([renewed]);
    // Past the first lease but inside the renewed one: still held.
    spec
      .given([requested, claimed, renewed])
      .when({ type: 'ClaimEvaluation', evaluationId: 'e1', workerId: 'w2', leaseUntil: at(12), at: at(6) })
      .thenThrows('EVALUATION_ALREADY_CLAIMED');
    spec
      .given([requested, claimed, renewed])
      .when({ ...renew, at: at(6), leaseUntil: at(11) })
      .then([{ ...renewed, data: { ...renewed.data, leaseUntil: at(11) } } as EvaluationEvent]);
    spec
      .given([requested, claimed])
      .when({ ...renew, workerId: 'w2' })
      .thenThrows('EVALUATION_NOT_LEASE_HOLDER');
    spec
      .given([requested, claimed])
      .when({ ...renew, at: at(6) })
      .thenThrows('EVALUATION_LEASE_EXPIRED');
    spec
      .given([requested, claimed])
      .when({ ...renew, leaseUntil: at(3) })
      .thenThrows('LEASE_IN_THE_PAST');
    spec.given([requested]).when(renew).thenThrows('EVALUATION_NOT_CLAIMED');
  });

  it('reports progress from the holder, never backwards', () => {
    const report = {
      type: 'ReportEvaluationProgress' as const,
      evaluationId: 'e1',
      workerId: 'w1',
      completedExamples: 20,
      totalExamples: 50,
      at: at(2),
    };
    const reported: EvaluationEvent = {
      type: 'EvaluationProgressReported',
      data: { evaluationId: 'e1', completedExamples: 20, totalExamples: 50, attempt: 1, reportedAt: at(2) },
    };
    spec.given([requested, claimed]).when(report).then([reported]);
    spec
      .given([requested, claimed, reported])
      .when({ ...report, completedExamples: 10 })
      .thenThrows('EVALUATION_PROGRESS_INVALID');
    spec
      .given([requested, claimed])
      .when({ ...report, workerId: 'w9' })
      .thenThrows('EVALUATION_NOT_LEASE_HOLDER');
    spec.given([requested]).when(report).thenThrows('EVALUATION_NOT_CLAIMED');
  });

  it('completes with the gate computed from the metrics', () => {
    const complete = {
      type: 'CompleteEvaluation' as const,
      evaluationId: 'e1',
      workerId: 'w1',
      metrics: { f1: 0.65, exactMatch: 0.5 },
      at: at(3),
    };
    spec
      .given([requested, claimed])
      .when(complete)
      .then([
        {
          type: 'EvaluationCompleted',
          data: {
            evaluationId: 'e1',
            model: { name: 'med-llama', version: 2 },
            metrics: { f1: 0.65, exactMatch: 0.5 },
            categories: {},
            errorTaxonomy: {},
            artifacts: {},
            gate: {
              passed: false,
              failures: [
                { metric: 'f1', op: 'gte', value: 0.7, actual: 0.65 },
                { metric: 'robustnessDelta', op: 'lte', value: 0.05, actual: null },
              ],
            },
            completedAt: at(3),
          },
        },
      ]);
    spec
      .given([requested, claimed])
      .when({ ...complete, at: at(5) })
      .thenThrows('EVALUATION_LEASE_EXPIRED');
  });

  it('fails once; nothing is accepted after the end', () => {
    const failed: EvaluationEvent = {
      type: 'EvaluationFailed',
      data: { evaluationId: 'e1', reason: 'judge unreachable', failedAt: at(2) },
    };
    spec
      .given([requested, claimed])
      .when({
        type: 'FailEvaluation',
        evaluationId: 'e1',
        workerId: 'w1',
        reason: 'judge unreachable',
        at: at(2),
      })
      .then([failed]);
    spec
      .given([requested, claimed, failed])
      .when({ type: 'FailEvaluation', evaluationId: 'e1', reason: 'again', at: at(3) })
      .thenThrows('EVALUATION_ALREADY_FINISHED');
  });
});

describe('evaluateGate', () => {
  it('passes exactly at the threshold and fails a missing or non-finite metric', () => {
    const gate = [{ metric: 'f1', op: 'gte' as const, value: 0.7 }];
    expect(evaluateGate(gate, { f1: 0.7 })).toEqual({ passed: true, failures: [] });
    expect(evaluateGate(gate, { f1: Number.NaN }).passed).toBe(false);
    expect(evaluateGate(gate, {}).failures).toEqual([{ metric: 'f1', op: 'gte', value: 0.7, actual: null }]);
    expect(evaluateGate([], {})).toEqual({ passed: true, failures: [] });
  });
});

describe('evaluation decider: boundaries and refusals', () => {
  const claim = {
    type: 'ClaimEvaluation' as const,
    evaluationId: 'e1',
    workerId: 'w2',
    leaseUntil: at(10),
    at: at(5),
  };
  const report = {
    type: 'ReportEvaluationProgress' as const,
    evaluationId: 'e1',
    workerId: 'w1',
    completedExamples: 20,
    totalExamples: 50,
    at: at(2),
  };
  const progress = (completedExamples: number, attempt = 1): EvaluationEvent => ({
    type: 'EvaluationProgressReported',
    data: { evaluationId: 'e1', completedExamples, totalExamples: 50, attempt, reportedAt: at(2) },
  });
  const completed: EvaluationEvent = {
    type: 'EvaluationCompleted',
    data: {
      evaluationId: 'e1',
      model: { name: 'med-llama', version: 2 },
      metrics: { f1: 0.9 },
      categories: {},
      errorTaxonomy: {},
      artifacts: {},
      gate: { passed: true, failures: [] },
      completedAt: at(3),
    },
  };

  it('ends a lease at its instant: the holder is refused and another worker may claim', () => {
    spec
      .given([requested, claimed])
      .when({ ...report, at: at(5) })
      .thenThrows('EVALUATION_LEASE_EXPIRED');
    spec
      .given([requested, claimed])
      .when(claim)
      .then([
        {
          type: 'EvaluationClaimed',
          data: { evaluationId: 'e1', workerId: 'w2', leaseUntil: at(10), attempt: 2, claimedAt: at(5) },
        },
      ]);
  });

  it('accepts progress equal to the last report and to the total, not beyond it', () => {
    spec
      .given([requested, claimed, progress(20)])
      .when(report)
      .then([progress(20)]);
    spec
      .given([requested, claimed])
      .when({ ...report, completedExamples: 50 })
      .then([progress(50)]);
    spec
      .given([requested, claimed])
      .when({ ...report, completedExamples: 51 })
      .thenThrows('EVALUATION_PROGRESS_INVALID');
  });

  it('starts counting progress again on a new claim', () => {
    const reclaimed: EvaluationEvent = {
      type: 'EvaluationClaimed',
      data: { evaluationId: 'e1', workerId: 'w2', leaseUntil: at(10), attempt: 2, claimedAt: at(6) },
    };
    spec
      .given([requested, claimed, progress(20), reclaimed])
      .when({ ...report, workerId: 'w2', completedExamples: 5, at: at(7) })
      .then([
        {
          type: 'EvaluationProgressReported',
          data: {
            evaluationId: 'e1',
            completedExamples: 5,
            totalExamples: 50,
            attempt: 2,
            reportedAt: at(7),
          },
        },
      ]);
  });

  it('records no gate when none was asked, and passes it', () => {
    const { gate: _gate, ...noGate } = request;
    spec
      .given([])
      .when(noGate)
      .then([{ ...requested, data: { ...requested.data, gate: [] } } as EvaluationEvent]);
    const ungated: EvaluationEvent = {
      ...requested,
      data: { ...requested.data, gate: [] },
    } as EvaluationEvent;
    spec
      .given([ungated, claimed])
      .when({
        type: 'CompleteEvaluation',
        evaluationId: 'e1',
        workerId: 'w1',
        metrics: { f1: 0.9 },
        categories: { cardiology: { f1: 0.8 } },
        errorTaxonomy: { hallucination: 2 },
        artifacts: { predictions: { hash: hash('predictions'), byteSize: 120 } },
        at: at(3),
      })
      .then([
        {
          ...completed,
          data: {
            ...completed.data,
            categories: { cardiology: { f1: 0.8 } },
            errorTaxonomy: { hallucination: 2 },
            artifacts: { predictions: { hash: hash('predictions'), byteSize: 120 } },
          },
        } as EvaluationEvent,
      ]);
  });

  it('accepts nothing after completion; a failure without a worker needs only an open evaluation', () => {
    spec.given([requested, claimed, completed]).when(claim).thenThrows('EVALUATION_ALREADY_FINISHED');
    spec
      .given([requested, claimed, completed])
      .when({ type: 'FailEvaluation', evaluationId: 'e1', reason: 'late', at: at(4) })
      .thenThrows('EVALUATION_ALREADY_FINISHED');
    spec
      .given([requested])
      .when({ type: 'FailEvaluation', evaluationId: 'e1', reason: 'no worker', at: at(4) })
      .then([
        { type: 'EvaluationFailed', data: { evaluationId: 'e1', reason: 'no worker', failedAt: at(4) } },
      ]);
    spec
      .given([requested, claimed])
      .when({ type: 'FailEvaluation', evaluationId: 'e1', workerId: 'w9', reason: 'not mine', at: at(2) })
      .thenThrows('EVALUATION_NOT_LEASE_HOLDER');
    spec
      .given([])
      .when({ type: 'FailEvaluation', evaluationId: 'e1', reason: 'never', at: at(2) })
      .thenThrows('EVALUATION_NOT_FOUND');
  });

  it('keeps a lease only while claimed: the status says which fields exist', () => {
    const stateAfter = (events: readonly EvaluationEvent[]) => fold(evaluationDecider, events);
    const renewed: EvaluationEvent = {
      type: 'EvaluationLeaseRenewed',
      data: { evaluationId: 'e1', workerId: 'w1', attempt: 1, leaseUntil: at(9) },
    };
    expect(stateAfter([])).toEqual({ status: 'none' });
    expect(stateAfter([claimed])).toEqual({ status: 'none' });
    expect(stateAfter([requested])).toMatchObject({ status: 'requested', attempt: 0 });
    expect(stateAfter([requested])).not.toHaveProperty('lease');
    // A second request on the stream changes nothing (the decider refuses it; a replay must not break).
    expect(stateAfter([requested, requested])).toEqual(stateAfter([requested]));
    expect(stateAfter([requested, claimed, renewed])).toMatchObject({
      status: 'claimed',
      lease: { workerId: 'w1', leaseUntil: at(9) },
      attempt: 1,
    });
    const done = stateAfter([requested, claimed, completed, renewed]);
    expect(done).toMatchObject({ status: 'completed', passed: true, attempt: 1 });
    expect(done).not.toHaveProperty('lease');
    expect(
      stateAfter([
        requested,
        claimed,
        { type: 'EvaluationFailed', data: { evaluationId: 'e1', reason: 'x', failedAt: at(3) } },
      ]),
    ).not.toHaveProperty('lease');
  });

  // A refusal's details become the GraphQL error's extensions: a client reads the ids from them.
  it('names the evaluation, model, dataset or worker in its refusals', () => {
    const model = request.model;
    expect(spec.given([requested]).when(request).thenThrows('EVALUATION_ALREADY_REQUESTED').details).toEqual({
      evaluationId: 'e1',
    });
    for (const [modelVersion, code] of [
      ['missing', 'MODEL_VERSION_NOT_FOUND'],
      ['archived', 'MODEL_VERSION_ARCHIVED'],
      ['reward-model', 'MODEL_VERSION_IS_REWARD_MODEL'],
    ] as const) {
      const error = spec
        .given([])
        .when({ ...request, facts: { ...request.facts, modelVersion } })
        .thenThrows(code);
      expect(error.details).toEqual({ model });
      expect(error.message).toContain('med-llama');
    }
    expect(
      spec
        .given([])
        .when({ ...request, facts: { ...request.facts, datasetRevisionFound: false } })
        .thenThrows('DATASET_REVISION_NOT_FOUND').details,
    ).toEqual({ dataset: { id: 'med', revision: 1 } });
    expect(spec.given([]).when(claim).thenThrows('EVALUATION_NOT_FOUND').details).toEqual({
      evaluationId: 'e1',
    });
    const finished = spec
      .given([requested, claimed, completed])
      .when(claim)
      .thenThrows('EVALUATION_ALREADY_FINISHED');
    expect(finished.details).toEqual({ evaluationId: 'e1', status: 'completed' });
    expect(finished.message).toContain('already completed');
    const held = spec
      .given([requested, claimed])
      .when({ ...claim, at: at(4) })
      .thenThrows('EVALUATION_ALREADY_CLAIMED');
    expect(held.details).toEqual({ evaluationId: 'e1', holder: 'w1' });
    expect(held.message).toContain(`"w1" until ${at(5)}`);
    expect(spec.given([requested]).when(report).thenThrows('EVALUATION_NOT_CLAIMED').details).toEqual({
      evaluationId: 'e1',
    });
    const notHolder = spec
      .given([requested, claimed])
      .when({ ...report, workerId: 'w9' })
      .thenThrows('EVALUATION_NOT_LEASE_HOLDER');
    expect(notHolder.details).toEqual({ evaluationId: 'e1', workerId: 'w9', holder: 'w1' });
    expect(
      spec
        .given([requested, claimed])
        .when({ ...report, at: at(6) })
        .thenThrows('EVALUATION_LEASE_EXPIRED').details,
    ).toEqual({ evaluationId: 'e1', leaseUntil: at(5) });
    expect(
      spec
        .given([requested, claimed, progress(20)])
        .when({ ...report, completedExamples: 10 })
        .thenThrows('EVALUATION_PROGRESS_INVALID').details,
    ).toEqual({ evaluationId: 'e1', completed: 10, previous: 20 });
  });
});
