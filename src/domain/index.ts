/**
 * The domain's public face: events (zod schemas, types, the registry), deciders and stream ids.
 * Pure: no I/O, no clock, no randomness; timestamps and ids arrive in commands.
 */
import { createEventRegistry } from './shared/index.js';
import { datasetEventDefinitions, type DatasetEvent } from './dataset/index.js';
import { trainingRunEventDefinitions, type TrainingRunEvent } from './training-run/index.js';
import { evaluationEventDefinitions, type EvaluationEvent } from './evaluation/index.js';
import { modelEventDefinitions, type ModelEvent } from './model/index.js';
import { deploymentEventDefinitions, type DeploymentEvent } from './deployment/index.js';
import { feedbackEventDefinitions, type FeedbackEvent } from './feedback/index.js';
import { privacyEventDefinitions, type PrivacyEvent } from './privacy/index.js';

export * from './shared/index.js';
export * from './dataset/index.js';
export * from './training-run/index.js';
export * from './evaluation/index.js';
export * from './model/index.js';
export * from './deployment/index.js';
export * from './feedback/index.js';
export * from './privacy/index.js';

/** Every event of the lifecycle, by type. */
export type LifecycleEvent =
  | DatasetEvent
  | TrainingRunEvent
  | EvaluationEvent
  | ModelEvent
  | DeploymentEvent
  | FeedbackEvent
  | PrivacyEvent;

export type LifecycleEventType = LifecycleEvent['type'];

export const lifecycleEventDefinitions = [
  ...datasetEventDefinitions,
  ...trainingRunEventDefinitions,
  ...evaluationEventDefinitions,
  ...modelEventDefinitions,
  ...deploymentEventDefinitions,
  ...feedbackEventDefinitions,
  ...privacyEventDefinitions,
] as const;

/** Schemas, current versions and upcasters of every lifecycle event. */
export const eventRegistry = createEventRegistry(lifecycleEventDefinitions);

/**
 * Reads a stored event as the current domain event: upcast to the current schema version.
 * Projections and services call this for every event they read; a type that is not ours gives
 * undefined.
 */
export function toLifecycleEvent(stored: {
  type: string;
  schemaVersion: number;
  data: unknown;
}): LifecycleEvent | undefined {
  if (!eventRegistry.has(stored.type)) return undefined;
  const { data } = eventRegistry.upcast(stored.type, stored.schemaVersion, stored.data);
  return { type: stored.type, data } as LifecycleEvent;
}
