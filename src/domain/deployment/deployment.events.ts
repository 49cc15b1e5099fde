import { z } from 'zod';
import { defineEvent, type EventOf } from '../shared/eventRegistry.js';
import { id, isoTimestamp, modelRef, nonEmptyText, positiveInt } from '../shared/schemas.js';

export const degradationMetric = z.enum(['output-entropy', 'latency', 'error-rate', 'benchmark']);
export type DegradationMetric = z.infer<typeof degradationMetric>;

export const DeploymentRequested = defineEvent(
  'DeploymentRequested',
  z.object({
    deploymentName: nonEmptyText,
    model: modelRef,
    environment: nonEmptyText,
    reason: z.string(),
    requestedAt: isoTimestamp,
  }),
);

export const DeploymentActivated = defineEvent(
  'DeploymentActivated',
  z.object({
    deploymentName: nonEmptyText,
    model: modelRef,
    previousVersion: positiveInt.optional(),
    environment: nonEmptyText,
    endpoint: nonEmptyText,
    activatedAt: isoTimestamp,
  }),
);

export const DegradationDetected = defineEvent(
  'DegradationDetected',
  z.object({
    deploymentName: nonEmptyText,
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
    deploymentName: nonEmptyText,
    rollbackId: id,
    fromVersion: positiveInt,
    toVersion: positiveInt,
    reason: nonEmptyText,
    trigger: z.enum(['person', 'policy']),
    /** What justified it: the degradation, an incident link, ... */
    evidence: z.record(z.string(), z.unknown()).default({}),
    requestedAt: isoTimestamp,
  }),
);

export const RolledBack = defineEvent(
  'RolledBack',
  z.object({
    deploymentName: nonEmptyText,
    rollbackId: id,
    fromVersion: positiveInt,
    toVersion: positiveInt,
    modelName: nonEmptyText,
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

export type DeploymentEvent =
  DeploymentRequested | DeploymentActivated | DegradationDetected | RollbackRequested | RolledBack;
