/**
 * The domain's public face: events (zod schemas, types, the registry), deciders and stream ids.
 * Pure: no I/O, no clock, no randomness; timestamps and ids arrive in commands.
 */
import { createEventRegistry, type EventUnionOf } from './shared/index.js';
import { datasetEventDefinitions } from './dataset/index.js';
import { trainingRunEventDefinitions } from './training-run/index.js';
import { evaluationEventDefinitions } from './evaluation/index.js';
import { modelEventDefinitions } from './model/index.js';
import { deploymentEventDefinitions } from './deployment/index.js';
import { feedbackEventDefinitions } from './feedback/index.js';
import { privacyEventDefinitions } from './privacy/index.js';

export * from './shared/index.js';
export * from './dataset/index.js';
export * from './training-run/index.js';
export * from './evaluation/index.js';
export * from './model/index.js';
export * from './deployment/index.js';
export * from './feedback/index.js';
export * from './privacy/index.js';

export const lifecycleEventDefinitions = [
  ...datasetEventDefinitions,
  ...trainingRunEventDefinitions,
  ...evaluationEventDefinitions,
  ...modelEventDefinitions,
  ...deploymentEventDefinitions,
  ...feedbackEventDefinitions,
  ...privacyEventDefinitions,
] as const;

/** Every event of the lifecycle, by type (derived from the definitions above). */
export type LifecycleEvent = EventUnionOf<typeof lifecycleEventDefinitions>;

export type LifecycleEventType = LifecycleEvent['type'];

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
