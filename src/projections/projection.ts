import type { Kysely, Transaction } from 'kysely';
import type { RecordedEvent } from '../eventstore/eventStore.js';
import type { ReadModelDatabase } from './schema.js';

/** The read-model database as the projections see it: their own tables only. */
export type ReadModelDb = Kysely<ReadModelDatabase>;
export type ReadModelTransaction = Transaction<ReadModelDatabase>;

/**
 * A read model: the events it handles and how it writes them into its own tables.
 * `apply` runs inside the runner's transaction, which also moves the projection's checkpoint,
 * so the writes and the checkpoint commit or vanish together.
 */
export interface Projection {
  readonly name: string;
  /** Bump when the tables or the logic change: a runner finding an older version rebuilds from zero. */
  readonly version: number;
  readonly handles: readonly string[];
  /** The tables it owns; a rebuild truncates exactly these. */
  readonly tables: readonly (keyof ReadModelDatabase)[];
  apply(trx: ReadModelTransaction, event: RecordedEvent): Promise<void>;
  /**
   * Optional faster path for a whole batch (already filtered to `handles`, in log order), e.g. one
   * multi-row insert for many metric points. Must have the same effect as `apply` one by one.
   */
  applyBatch?(trx: ReadModelTransaction, events: readonly RecordedEvent[]): Promise<void>;
}

/** Applies a batch event by event; the default when a projection has no `applyBatch`. */
export async function applyEach(
  projection: Projection,
  trx: ReadModelTransaction,
  events: readonly RecordedEvent[],
): Promise<void> {
  for (const event of events) await projection.apply(trx, event);
}

/** JSON text for a jsonb column (pg would send a JS array as a PostgreSQL array). */
export function json(value: unknown): string {
  return JSON.stringify(value ?? null);
}

/** Same as `json` but keeps SQL NULL for an absent value. */
export function jsonOrNull(value: unknown): string | null {
  return value === undefined || value === null ? null : JSON.stringify(value);
}
