import { z } from 'zod';
import { defineEvent, type EventOf, type EventUnionOf } from '../shared/eventRegistry.js';
import {
  exactKey,
  freeString,
  id,
  isoTimestamp,
  modelRef,
  nonEmptyExactText,
  nonEmptyFreeText,
  positiveInt,
} from '../shared/schemas.js';
import { freeText } from '../shared/textKinds.js';

export const degradationMetric = z.enum(['output-entropy', 'latency', 'error-rate', 'benchmark']);
export type DegradationMetric = z.infer<typeof degradationMetric>;

export const DeploymentRequested = defineEvent(
  'DeploymentRequested',
  z.object({
    deploymentName: nonEmptyExactText,
    model: modelRef,
    environment: nonEmptyExactText,
    reason: freeString,
    requestedAt: isoTimestamp,
  }),
);

export const DeploymentActivated = defineEvent(
  'DeploymentActivated',
  z.object({
    deploymentName: nonEmptyExactText,
    model: modelRef,
    previousVersion: positiveInt.optional(),
    environment: nonEmptyExactText,
    endpoint: nonEmptyExactText,
    activatedAt: isoTimestamp,
  }),
);

export const DegradationDetected = defineEvent(
  'DegradationDetected',
  z.object({
    deploymentName: nonEmptyExactText,
    model: modelRef,
    metric: degradationMetric,
    baseline: z.number(),
    current: z.number(),
    changePct: z.number(),
    window: z.object({ from: isoTimestamp, to: isoTimestamp, samples: z.int().nonnegative() }),
    detectedAt: isoTimestamp,
  }),
);

export const RollbackRequested = defineEvent(
  'RollbackRequested',
  z.object({
    deploymentName: nonEmptyExactText,
    rollbackId: id,
    fromVersion: positiveInt,
    toVersion: positiveInt,
    reason: nonEmptyFreeText,
    trigger: z.enum(['person', 'policy']),
    /** What justified it: the degradation, an incident link, ... */
    evidence: z.record(exactKey, freeText(z.unknown())).default({}),
    requestedAt: isoTimestamp,
  }),
);

export const RolledBack = defineEvent(
  'RolledBack',
  z.object({
    deploymentName: nonEmptyExactText,
    rollbackId: id,
    fromVersion: positiveInt,
    toVersion: positiveInt,
    modelName: nonEmptyExactText,
    rolledBackAt: isoTimestamp,
  }),
);

export const deploymentEventDefinitions = [
  DeploymentRequested,
  DeploymentActivated,
  DegradationDetected,
  RollbackRequested,
  RolledBack,
] as const;

export type DeploymentRequested = EventOf<typeof DeploymentRequested>;
export type DeploymentActivated = EventOf<typeof DeploymentActivated>;
export type DegradationDetected = EventOf<typeof DegradationDetected>;
export type RollbackRequested = EventOf<typeof RollbackRequested>;
export type RolledBack = EventOf<typeof RolledBack>;

/** Every deployment event: derived from the definitions, so a new one is added in one place. */
export type DeploymentEvent = EventUnionOf<typeof deploymentEventDefinitions>;
