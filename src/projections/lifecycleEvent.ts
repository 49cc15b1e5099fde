import type { RecordedEvent } from '../eventstore/eventStore.js';
import {
  eventRegistry,
  type EventOfType,
  type LifecycleEvent,
  type LifecycleEventType,
} from '../domain/index.js';

/**
 * A recorded event narrowed to one member of the lifecycle union: the store's metadata, with `type`
 * and `data` of the domain's event. `switch (event.type)` narrows `event.data`, so a projection
 * reads its fields without a cast. `ProjectedEvent<'A' | 'B'>` is the events of those two types.
 */
export type ProjectedEvent<Type extends LifecycleEventType = LifecycleEventType> = Extract<
  EveryProjectedEvent,
  { readonly type: Type }
>;

type EveryProjectedEvent = {
  [T in LifecycleEventType]: Omit<RecordedEvent, 'type' | 'data'> & {
    readonly type: T;
    readonly data: EventOfType<LifecycleEvent, T>['data'];
  };
}[LifecycleEventType];

/**
 * Lifts a stored event to the current schema version through the domain's registry, so every
 * projection (and the time-travel fold) sees one shape per type. Foreign types pass unchanged.
 */
export function upcastRecorded(event: RecordedEvent): RecordedEvent {
  const lifted = eventRegistry.upcast(event.type, event.schemaVersion, event.data);
  if (lifted.schemaVersion === event.schemaVersion) return event;
  return { ...event, schemaVersion: lifted.schemaVersion, data: lifted.data };
}

/**
 * The one place a recorded event becomes a typed lifecycle event: upcast to the current schema
 * version (the shape the domain validated when it was appended); undefined for a type that is not
 * ours. The runner and time travel call this once per event; projections never cast.
 */
export function toProjectedEvent(
  event: RecordedEvent,
  upcast: (event: RecordedEvent) => RecordedEvent = upcastRecorded,
): ProjectedEvent | undefined {
  if (!eventRegistry.has(event.type)) return undefined;
  return upcast(event) as ProjectedEvent;
}

/** Whether an event is of one of the given types: narrows it for the fold that handles those. */
export function isOneOf<const Types extends readonly LifecycleEventType[]>(
  types: Types,
  event: ProjectedEvent,
): event is ProjectedEvent<Types[number]> {
  return (types as readonly string[]).includes(event.type);
}

/** Time of an event for read models: the recorded-at stamp of the store (same on every rebuild). */
export function recordedAt(event: { readonly metadata: RecordedEvent['metadata'] }): string {
  return event.metadata.recordedAt;
}
