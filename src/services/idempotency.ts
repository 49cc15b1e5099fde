import { v5 as uuidv5 } from 'uuid';

/** Namespace of tuneledger's deterministic event ids (a fixed random UUID; never change it). */
const EVENT_ID_NAMESPACE = '6f4c1e2a-9b3d-4f7e-8a15-2c9d0b7e5a31';

/** The id of the index-th event a command with this key appends to this stream. */
export function deterministicEventId(idempotencyKey: string, streamId: string, index: number): string {
  return uuidv5(`${idempotencyKey}\u0000${streamId}\u0000${index}`, EVENT_ID_NAMESPACE);
}

/**
 * An id a command generates (a run id, a candidate id...): derived from the idempotency key when
 * there is one, so a retried command lands on the same stream and is recognised as a replay.
 */
export function deterministicId(idempotencyKey: string, purpose: string): string {
  return uuidv5(`${idempotencyKey}\u0000${purpose}`, EVENT_ID_NAMESPACE);
}
