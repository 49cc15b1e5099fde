import { z } from 'zod';
import { defineEvent, type EventOf, type EventUnionOf } from '../shared/eventRegistry.js';
import {
  freeString,
  id,
  isoTimestamp,
  nonEmptyExactText,
  nonEmptyFreeText,
  nonNegativeInt,
  positiveInt,
  sha256,
} from '../shared/schemas.js';

export const modelStage = z.enum(['none', 'staging', 'production']);
export type ModelStage = z.infer<typeof modelStage>;

/** How many versions the registry keeps; registering one more archives the oldest non-production one. */
export const RETAINED_VERSIONS = 3;

export const ModelVersionRegistered = defineEvent(
  'ModelVersionRegistered',
  z.object({
    modelName: nonEmptyExactText,
    version: positiveInt,
    runId: id,
    baseModel: nonEmptyFreeText,
    artifacts: z.object({
      adapter: sha256.optional(),
      merged: sha256.optional(),
      weights: sha256.optional(),
    }),
    trainingSummary: z.object({
      datasetId: id,
      datasetRevision: positiveInt,
      method: nonEmptyExactText,
      finalLoss: z.number(),
      steps: nonNegativeInt,
    }),
    registeredAt: isoTimestamp,
  }),
);

export const ModelVersionPromoted = defineEvent(
  'ModelVersionPromoted',
  z.object({
    modelName: nonEmptyExactText,
    version: positiveInt,
    stage: z.enum(['staging', 'production']),
    previousStage: modelStage,
    /** The version that held `stage` before and drops to staging (production) or none (staging). */
    replacedVersion: positiveInt.optional(),
    evidence: z.object({ evaluationIds: z.array(id) }),
    approvedBy: nonEmptyExactText,
    /** Set when an admin promoted to production without a passed evaluation. */
    override: z.object({ reason: nonEmptyFreeText }).optional(),
    promotedAt: isoTimestamp,
  }),
);

export const ModelVersionArchived = defineEvent(
  'ModelVersionArchived',
  z.object({
    modelName: nonEmptyExactText,
    version: positiveInt,
    reason: z.enum(['retention', 'manual']),
    note: freeString.optional(),
    archivedAt: isoTimestamp,
  }),
);

export const modelEventDefinitions = [
  ModelVersionRegistered,
  ModelVersionPromoted,
  ModelVersionArchived,
] as const;

export type ModelVersionRegistered = EventOf<typeof ModelVersionRegistered>;
export type ModelVersionPromoted = EventOf<typeof ModelVersionPromoted>;
export type ModelVersionArchived = EventOf<typeof ModelVersionArchived>;

/** Every model-registry event: derived from the definitions, so a new one is added in one place. */
export type ModelEvent = EventUnionOf<typeof modelEventDefinitions>;
