import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import type { RecordedEvent } from '../../eventstore/eventStore.js';
import { PageInfo } from './pageInfo.type.js';
import { DateTime, JSON } from './scalars.js';

@ObjectType('EventMetadata', {
  description: "Who caused an event, when, and its place in its stream's hash chain.",
})
export class EventMetadataType {
  @Field()
  actor!: string;

  @Field()
  correlationId!: string;

  @Field(() => String, { nullable: true })
  causationId!: string | null;

  @Field(() => DateTime)
  recordedAt!: Date;

  @Field(() => String, { nullable: true })
  previousHash!: string | null;

  @Field()
  hash!: string;
}

@ObjectType('Event', { description: 'One immutable fact from the log.' })
export class EventType {
  @Field(() => ID)
  eventId!: string;

  @Field()
  streamId!: string;

  @Field(() => Int)
  streamVersion!: number;

  @Field({ description: 'Position in the global log; pass it as `from` to continue after this event.' })
  checkpoint!: string;

  @Field()
  type!: string;

  @Field(() => Int)
  schemaVersion!: number;

  @Field(() => JSON)
  data!: unknown;

  @Field(() => EventMetadataType)
  metadata!: EventMetadataType;
}

export function toEventType(event: RecordedEvent): EventType {
  return {
    eventId: event.eventId,
    streamId: event.streamId,
    streamVersion: event.streamVersion,
    checkpoint: event.checkpoint,
    type: event.type,
    schemaVersion: event.schemaVersion,
    data: event.data,
    metadata: {
      ...event.metadata,
      recordedAt: new Date(event.metadata.recordedAt),
    },
  };
}

@InputType({ description: 'Which events to follow; every field given must match.' })
export class EventFilter {
  @Field(() => [String], { nullable: true, description: 'Exact stream ids, e.g. "run-<id>".' })
  streamIds?: string[];

  @Field(() => [String], { nullable: true, description: 'Stream id prefixes, e.g. "run-" or "model-".' })
  streamPrefixes?: string[];

  @Field(() => [String], { nullable: true, description: 'Event types, e.g. "TrainingProgressReported".' })
  types?: string[];
}

export function matchesFilter(event: RecordedEvent, filter: EventFilter | undefined | null): boolean {
  if (!filter) return true;
  if (filter.streamIds && !filter.streamIds.includes(event.streamId)) return false;
  if (filter.streamPrefixes && !filter.streamPrefixes.some((prefix) => event.streamId.startsWith(prefix)))
    return false;
  if (filter.types && !filter.types.includes(event.type)) return false;
  return true;
}

@ObjectType()
export class EventEdge {
  @Field()
  cursor!: string;

  @Field(() => EventType)
  node!: EventType;
}

@ObjectType()
export class EventConnection {
  @Field(() => [EventEdge])
  edges!: EventEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}
