import type { LifecycleEventType } from '../../src/domain/index.js';
import type { ProjectedEvent } from '../../src/projections/index.js';

/** A recorded event of one lifecycle type, as a fold receives it, with the store's metadata filled in. */
export const projectedEvent = <Type extends LifecycleEventType>(type: Type, data: object, eventId = 'e1') =>
  ({
    eventId,
    streamId: 's',
    streamVersion: 1,
    checkpoint: '1',
    type,
    schemaVersion: 1,
    data,
    metadata: {
      actor: 'ana',
      correlationId: 'c',
      causationId: null,
      recordedAt: 'recorded',
      previousHash: null,
      hash: 'h',
    },
  }) as unknown as ProjectedEvent<Type>;
