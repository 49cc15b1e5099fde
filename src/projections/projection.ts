import type { Kysely, Transaction } from 'kysely';
import type { LifecycleEventType } from '../domain/index.js';
import type { ProjectedEvent } from './lifecycleEvent.js';
import type { ReadModelDatabase } from './schema.js';

/** The read-model database as the projections see it: their own tables only. */
export type ReadModelDb = Kysely<ReadModelDatabase>;
export type ReadModelTransaction = Transaction<ReadModelDatabase>;

/**
 * A read model: the events it handles and how it writes them into its own tables.
 * `apply` runs inside the runner's transaction, which also moves the projection's checkpoint,
 * so the writes and the checkpoint commit or vanish together.
 *
 * Generic over the event types it handles: `apply` receives only `ProjectedEvent<Type>` (the runner
 * narrows each event once, after upcasting), so a `switch (event.type)` ending in `assertNever`
 * fails to compile when a handled type has no case. Build one with `defineProjection`, which infers
 * `Type` from `handles`.
 */
export interface Projection<Type extends LifecycleEventType = LifecycleEventType> {
  readonly name: string;
  /** Bump when the tables or the logic change: a runner finding an older version rebuilds from zero. */
  readonly version: number;
  readonly handles: readonly Type[];
  /** The tables it owns; a rebuild truncates exactly these. */
  readonly tables: readonly (keyof ReadModelDatabase)[];
  apply(trx: ReadModelTransaction, event: ProjectedEvent<Type>): Promise<void>;
  /**
   * Optional faster path for a whole batch (already filtered to `handles`, in log order), e.g. one
   * multi-row insert for many metric points. Must have the same effect as `apply` one by one.
   */
  applyBatch?(trx: ReadModelTransaction, events: readonly ProjectedEvent<Type>[]): Promise<void>;
}

/**
 * A projection of whichever event types, as the runner and `allProjections` hold it. The runner
 * passes each one only events of its own `handles`, which is what makes `any` safe here.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- apply's parameter varies with Type (see above)
export type AnyProjection = Projection<any>;

/** Checks a projection against its own `handles`: `Type` is inferred from that list. */
export function defineProjection<const Type extends LifecycleEventType>(
  projection: Projection<Type>,
): Projection<Type> {
  return projection;
}

/** Applies a batch event by event; the default when a projection has no `applyBatch`. */
export async function applyEach<Type extends LifecycleEventType>(
  projection: Projection<Type>,
  trx: ReadModelTransaction,
  events: readonly ProjectedEvent<Type>[],
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
