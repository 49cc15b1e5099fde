import { describe, expect, it } from 'vitest';
import {
  evaluateGate,
  evaluationDecider,
  type EvaluationEvent,
  type RequestEvaluation,
} from '../../src/domain/index.js';
import { at, specFor } from './support.js';

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
