import { asSignedCheckpoint, type SignedCheckpoint } from './signedCheckpoint.js';

/** The stream the ledger's signed checkpoints are recorded on, one event each. */
export const LEDGER_STREAM = 'ledger-checkpoints';
export const CHECKPOINT_EVENT_TYPE = 'LedgerCheckpointSigned';

/**
 * A checkpoint event's data: the signed tree head, plus what lets the next checkpoint continue from it
 * instead of hashing the whole log again (where its last event is, and the tree's perfect subtrees, which
 * must fold to the signed root).
 */
export interface CheckpointEventData extends SignedCheckpoint {
  /** The store checkpoint of the last event the tree covers ('' for an empty tree). */
  readonly lastEvent: string;
  /** The roots of the tree's perfect subtrees, largest first, hex. */
  readonly subtrees: readonly string[];
}

/** The data of a checkpoint event, or undefined when it is not one (missing or malformed fields). */
export function checkpointEventData(data: unknown): CheckpointEventData | undefined {
  const checkpoint = asSignedCheckpoint(data);
  if (!checkpoint) return undefined;
  const { lastEvent, subtrees } = data as Record<string, unknown>;
  if (typeof lastEvent !== 'string' || !Array.isArray(subtrees)) return undefined;
  if (!subtrees.every((hash) => typeof hash === 'string' && /^[0-9a-f]{64}$/.test(hash))) return undefined;
  return { ...checkpoint, lastEvent, subtrees: subtrees as string[] };
}
