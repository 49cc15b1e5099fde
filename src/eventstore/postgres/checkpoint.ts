import { InvalidEventError } from '../errors.js';
import type { Checkpoint } from '../eventStore.js';

/**
 * A PostgreSQL checkpoint is (transaction_id, global_position), written as two zero-padded
 * 20-digit numbers ("00000000000000000742:00000000000000001234") so that plain string comparison
 * orders checkpoints like the log does, and START ('') sorts before all of them.
 */
const WIDTH = 20;
const PATTERN = /^(\d{20}):(\d{20})$/;

export function formatCheckpoint(transactionId: string, globalPosition: string): Checkpoint {
  return `${transactionId.padStart(WIDTH, '0')}:${globalPosition.padStart(WIDTH, '0')}`;
}

export function parseCheckpoint(checkpoint: Checkpoint): { transactionId: string; globalPosition: string } {
  if (checkpoint === '') return { transactionId: '0', globalPosition: '0' };
  const match = PATTERN.exec(checkpoint);
  if (!match) {
    throw new InvalidEventError(
      `checkpoint "${checkpoint}" is not a PostgreSQL event store checkpoint; use START ('') or one the store returned`,
    );
  }
  return { transactionId: BigInt(match[1]!).toString(), globalPosition: BigInt(match[2]!).toString() };
}
