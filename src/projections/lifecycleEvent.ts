import type { RecordedEvent } from '../eventstore/eventStore.js';
import { eventRegistry, type LifecycleEvent, type LifecycleEventType } from '../domain/index.js';

/** The payload of a lifecycle event type, as the domain defines its current schema version. */
export type DataOf<Type extends LifecycleEventType> = Extract<LifecycleEvent, { type: Type }>['data'];

/** A recorded event whose data is the current shape of `Type` (the runner upcast it on read). */
export function dataOf<Type extends LifecycleEventType>(event: RecordedEvent, _type: Type): DataOf<Type> {
  return event.data as DataOf<Type>;
}

/**
 * Lifts a stored event to the current schema version through the domain's registry, so every
 * projection (and the time-travel fold) sees one shape per type. Foreign types pass unchanged.
 */
export function upcastRecorded(event: RecordedEvent): RecordedEvent {
  const lifted = eventRegistry.upcast(event.type, event.schemaVersion, event.data);
  if (lifted.schemaVersion === event.schemaVersion) return event;
  return { ...event, schemaVersion: lifted.schemaVersion, data: lifted.data };
}

/** Time of an event for read models: the recorded-at stamp of the store (same on every rebuild). */
export function recordedAt(event: RecordedEvent): string {
  return event.metadata.recordedAt;
}
