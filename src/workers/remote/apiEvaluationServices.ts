import { evaluationDecider, evaluationStream, type EvaluationState } from '../../domain/index.js';
import type { ArtifactRef } from '../../data/index.js';
import type { EvaluationJobServices } from '../evaluation/evaluationJob.js';
import { REFUSALS, type ApiStreams } from './apiStreams.js';

/**
 * The evaluation job's view of the platform for a worker with no database: each call is the worker
 * mutation docs/workers.md documents (claimEvaluation, renewEvaluationLease, reportEvaluationProgress,
 * completeEvaluation, failEvaluation; recordInteraction and labelScoredRecord for the scored records),
 * and the evaluation's state is folded from its stream. The worker id is the token's actor.
 */
export function apiEvaluationServices(streams: ApiStreams): EvaluationJobServices {
  const record = streams.record.bind(streams);
  return {
    evaluations: {
      getEvaluation: (evaluationId: string): Promise<EvaluationState> =>
        streams.load(evaluationDecider, evaluationStream(evaluationId)),

      claimEvaluation: ({ evaluationId, leaseMs }, context) =>
        record(
          `mutation ClaimEvaluation($evaluationId: ID!, $leaseMs: Int!, $key: String) {
            claimEvaluation(evaluationId: $evaluationId, leaseMs: $leaseMs, idempotencyKey: $key) { id ${REFUSALS} } }`,
          { evaluationId, leaseMs },
          context,
        ),

      renewLease: ({ evaluationId, leaseMs }) =>
        record(
          `mutation RenewEvaluationLease($evaluationId: ID!, $leaseMs: Int!) {
            renewEvaluationLease(evaluationId: $evaluationId, leaseMs: $leaseMs) { id ${REFUSALS} } }`,
          { evaluationId, leaseMs },
        ),

      reportProgress: ({ evaluationId, completedExamples, totalExamples }, context) =>
        record(
          `mutation EvaluationProgress($evaluationId: ID!, $done: Int!, $total: Int!, $key: String) {
            reportEvaluationProgress(evaluationId: $evaluationId, completedExamples: $done, totalExamples: $total, idempotencyKey: $key) { id ${REFUSALS} } }`,
          { evaluationId, done: completedExamples, total: totalExamples },
          context,
        ),

      completeEvaluation: ({ evaluationId, workerId: _workerId, artifacts, ...results }, context) =>
        record(
          `mutation CompleteEvaluation($evaluationId: ID!, $input: EvaluationCompletionInput!, $key: String) {
            completeEvaluation(evaluationId: $evaluationId, input: $input, idempotencyKey: $key) { id ${REFUSALS} } }`,
          {
            evaluationId,
            input: {
              ...results,
              ...(artifacts
                ? {
                    artifacts: Object.fromEntries(
                      Object.entries(artifacts).map(([name, ref]) => [name, refInput(ref)]),
                    ),
                  }
                : {}),
            },
          },
          context,
        ),

      failEvaluation: ({ evaluationId, reason }, context) =>
        record(
          `mutation FailEvaluation($evaluationId: ID!, $reason: String!, $key: String) {
            failEvaluation(evaluationId: $evaluationId, reason: $reason, idempotencyKey: $key) { id ${REFUSALS} } }`,
          { evaluationId, reason },
          context,
        ),

      labelScoredRecord: ({ evaluationId, recordId, category }, context) =>
        record(
          `mutation LabelScoredRecord($evaluationId: ID!, $recordId: ID!, $category: String!, $key: String) {
            labelScoredRecord(evaluationId: $evaluationId, recordId: $recordId, category: $category, idempotencyKey: $key) { id ${REFUSALS} } }`,
          { evaluationId, recordId, category },
          context,
        ),
    },
    feedback: {
      recordInteraction: (input, context) =>
        record(
          `mutation RecordInteraction($input: InteractionInput!, $key: String) {
            recordInteraction(input: $input, idempotencyKey: $key) { id ${REFUSALS} } }`,
          { input },
          context,
        ),
    },
  };
}

/** An artifact as ArtifactRefInput has it: what the store answered may carry more. */
const refInput = (ref: Partial<ArtifactRef> | undefined) =>
  ref && { hash: ref.hash, byteSize: ref.byteSize, mediaType: ref.mediaType ?? null };
