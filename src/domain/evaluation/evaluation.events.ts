import { z } from 'zod';
import { defineEvent, type EventOf, type EventUnionOf } from '../shared/eventRegistry.js';
import {
  artifactRef,
  datasetRef,
  id,
  isoTimestamp,
  modelRef,
  exactKey,
  nonEmptyExactText,
  nonEmptyFreeText,
  nonNegativeInt,
  positiveInt,
} from '../shared/schemas.js';

export const evaluationSuite = z.enum([
  'exact-match',
  'f1',
  'instruction-following',
  'robustness',
  'benchmark',
]);
export type EvaluationSuite = z.infer<typeof evaluationSuite>;

/** A gate line: `metric op value`, e.g. f1 gte 0.7 or robustnessDelta lte 0.05. */
export const gateThreshold = z.object({
  metric: nonEmptyExactText,
  op: z.enum(['gte', 'lte']),
  value: z.number(),
});
export type GateThreshold = z.infer<typeof gateThreshold>;

export const gateFailure = gateThreshold.extend({ actual: z.number().nullable() });
export type GateFailure = z.infer<typeof gateFailure>;

export const EvaluationRequested = defineEvent(
  'EvaluationRequested',
  z.object({
    evaluationId: id,
    model: modelRef,
    dataset: datasetRef,
    suites: z.array(evaluationSuite).min(1),
    /** An LLM judge for instruction-following; a model name or an endpoint. */
    judge: z.object({ kind: z.enum(['model', 'endpoint']), ref: nonEmptyExactText }).optional(),
    gate: z.array(gateThreshold).default([]),
    requestedAt: isoTimestamp,
  }),
);

export const EvaluationClaimed = defineEvent(
  'EvaluationClaimed',
  z.object({
    evaluationId: id,
    workerId: nonEmptyExactText,
    leaseUntil: isoTimestamp,
    attempt: positiveInt,
    claimedAt: isoTimestamp,
  }),
);

/** The holder is still at work: its lease now runs to `leaseUntil`. */
export const EvaluationLeaseRenewed = defineEvent(
  'EvaluationLeaseRenewed',
  z.object({ evaluationId: id, workerId: nonEmptyExactText, attempt: positiveInt, leaseUntil: isoTimestamp }),
);

export const EvaluationProgressReported = defineEvent(
  'EvaluationProgressReported',
  z.object({
    evaluationId: id,
    completedExamples: nonNegativeInt,
    totalExamples: positiveInt,
    attempt: positiveInt,
    reportedAt: isoTimestamp,
  }),
);

export const EvaluationCompleted = defineEvent(
  'EvaluationCompleted',
  z.object({
    evaluationId: id,
    model: modelRef,
    metrics: z.record(exactKey, z.number()),
    /** Metrics per category (task type, domain...). */
    categories: z.record(exactKey, z.record(exactKey, z.number())).default({}),
    errorTaxonomy: z.record(exactKey, nonNegativeInt).default({}),
    artifacts: z
      .object({
        predictions: artifactRef.optional(),
        heatmap: artifactRef.optional(),
        report: artifactRef.optional(),
      })
      .default({}),
    gate: z.object({ passed: z.boolean(), failures: z.array(gateFailure) }),
    completedAt: isoTimestamp,
  }),
);

export const EvaluationFailed = defineEvent(
  'EvaluationFailed',
  z.object({ evaluationId: id, reason: nonEmptyFreeText, failedAt: isoTimestamp }),
);

export const evaluationEventDefinitions = [
  EvaluationRequested,
  EvaluationClaimed,
  EvaluationLeaseRenewed,
  EvaluationProgressReported,
  EvaluationCompleted,
  EvaluationFailed,
] as const;

export type EvaluationRequested = EventOf<typeof EvaluationRequested>;
export type EvaluationClaimed = EventOf<typeof EvaluationClaimed>;
export type EvaluationLeaseRenewed = EventOf<typeof EvaluationLeaseRenewed>;
export type EvaluationProgressReported = EventOf<typeof EvaluationProgressReported>;
export type EvaluationCompleted = EventOf<typeof EvaluationCompleted>;
export type EvaluationFailed = EventOf<typeof EvaluationFailed>;

/** Every evaluation event: derived from the definitions, so a new one is added in one place. */
export type EvaluationEvent = EventUnionOf<typeof evaluationEventDefinitions>;
