import { sql, type Kysely } from 'kysely';
import { START, type Checkpoint, type EventStore } from '../eventstore/eventStore.js';
import { dropOtherLineageIndexVersions, LineageIndexRows } from './lineageIndex.js';
import { dropOtherRegistryIndexVersions, RegistryIndexWriter, registryAt } from './registryIndex.js';
import { foldedTypes, WorldFold, worldFoldVersion, type WorldState } from './worldFold.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- world_snapshots is reached through raw SQL
type AnyDb = Kysely<any>;

/**
 * Snapshot every this many folded events (registry, deployment and lineage events) by default: an
 * asOf query reads and folds at most this many events after its snapshot (plus the clock skew's).
 */
export const DEFAULT_SNAPSHOT_EVERY = 500;

/** A stored snapshot: the world after every event up to `checkpoint`, built by fold `foldVersion`. */
export interface WorldSnapshot {
  readonly checkpoint: Checkpoint;
  /** The latest recordedAt among the events it folded: it may answer only a moment at or after this. */
  readonly coversUntil: string;
  /** Events of the folded types read up to `checkpoint` (the writer's interval counts these). */
  readonly eventsRead: number;
  readonly eventsFolded: number;
  /**
   * The largest skew among the events up to `checkpoint`: how much earlier than the newest recordedAt
   * before it (in log order) any event was recorded; null when not known (an older snapshot).
   */
  readonly maxSkewMs: number | null;
  readonly state: WorldState;
}

interface SnapshotRow {
  checkpoint: string;
  covers_until: Date | string;
  events_read: string | number;
  events_folded: string | number;
  max_skew_ms: string | number | null;
  state: WorldState | string;
}

const toSnapshot = (row: SnapshotRow): WorldSnapshot => ({
  checkpoint: row.checkpoint,
  coversUntil: new Date(row.covers_until).toISOString(),
  eventsRead: Number(row.events_read),
  eventsFolded: Number(row.events_folded),
  maxSkewMs: row.max_skew_ms === null ? null : Number(row.max_skew_ms),
  state: typeof row.state === 'string' ? (JSON.parse(row.state) as WorldState) : row.state,
});

/**
 * The newest snapshot of this fold version that a query at `at` may start from: one that folded no
 * event recorded after `at` (covers_until is a running maximum, so the newest such is the nearest).
 */
export async function nearestSnapshot(db: AnyDb, at: Date): Promise<WorldSnapshot | undefined> {
  // PostgreSQL's timestamps run from 4713 BC to 294276 AD, and JavaScript writes years outside 1..9999 in
  // forms it refuses: nothing was recorded before 1970, and a moment after 9999 is after every snapshot.
  if (at.getTime() < 0) return undefined;
  if (at.getUTCFullYear() > 9999) return latestSnapshot(db);
  const { rows } = await sql<SnapshotRow>`
    SELECT checkpoint, covers_until, events_read, events_folded, max_skew_ms, state FROM world_snapshots
    WHERE fold_version = ${worldFoldVersion} AND covers_until <= ${at.toISOString()}::timestamptz
    ORDER BY covers_until DESC, checkpoint DESC LIMIT 1`.execute(db);
  return rows[0] ? toSnapshot(rows[0]) : undefined;
}

/** What the snapshot writer measured up to its newest snapshot (see `measuredSkew`). */
export interface MeasuredSkew {
  /** The newest snapshot's checkpoint: how far the writer has read. */
  readonly upTo: Checkpoint;
  /** The largest skew among the events up to `upTo`. */
  readonly maxSkewMs: number;
  /** The latest recordedAt among the events up to `upTo` (ms). */
  readonly coversUntil: number;
}

/** The skew the snapshot writer measured; undefined when no snapshot of this fold version knows it. */
export async function measuredSkew(db: AnyDb): Promise<MeasuredSkew | undefined> {
  const { rows } = await sql<{
    checkpoint: string;
    max_skew_ms: string | number | null;
    covers_until: Date | string;
  }>`
    SELECT checkpoint, max_skew_ms, covers_until FROM world_snapshots
    WHERE fold_version = ${worldFoldVersion} ORDER BY checkpoint DESC LIMIT 1`.execute(db);
  const row = rows[0];
  return row && row.max_skew_ms !== null
    ? {
        upTo: row.checkpoint,
        maxSkewMs: Number(row.max_skew_ms),
        coversUntil: new Date(row.covers_until).getTime(),
      }
    : undefined;
}

async function latestSnapshot(db: AnyDb): Promise<WorldSnapshot | undefined> {
  const { rows } = await sql<SnapshotRow>`
    SELECT checkpoint, covers_until, events_read, events_folded, max_skew_ms, state FROM world_snapshots
    WHERE fold_version = ${worldFoldVersion} ORDER BY checkpoint DESC LIMIT 1`.execute(db);
  return rows[0] ? toSnapshot(rows[0]) : undefined;
}

export interface WriteSnapshotsOptions {
  /** A snapshot every this many folded events (default 500). */
  readonly every?: number;
  readonly batchSize?: number;
  readonly signal?: AbortSignal;
}

/**
 * Brings the snapshots up to the visible end of the log: folds on from the newest snapshot of this
 * fold version and writes one every `every` folded events, with the lineage index rows of the events
 * it covers and the registry index rows of the models and versions they changed, in one transaction
 * (so a snapshot's lineage and registry are always all there). It reads with readAll,
 * which shows only events every older transaction of which has ended (the store's gap rule), so a
 * snapshot never holds an event that was not yet visible at its checkpoint, and nothing can later
 * appear before it. Returns how many snapshots it wrote. Safe to run in several processes: a snapshot
 * or index row already written by another is kept (same fold, same events, same state).
 */
export async function writeWorldSnapshots(
  db: AnyDb,
  store: EventStore,
  options: WriteSnapshotsOptions = {},
): Promise<number> {
  const every = options.every ?? DEFAULT_SNAPSHOT_EVERY;
  if (!Number.isInteger(every) || every < 1)
    throw new Error(`snapshot interval must be a positive integer, got ${every}`);
  const latest = await latestSnapshot(db);
  if (!latest) {
    await dropOtherLineageIndexVersions(db);
    await dropOtherRegistryIndexVersions(db);
  }
  // The lineage goes to the index, not into memory: the writer holds only the registry and deployments,
  // and writes to the registry index only the models and versions each snapshot changed.
  const registry = latest ? await registryAt(db, latest.checkpoint) : undefined;
  const fold = latest
    ? WorldFold.fromState(latest.state, latest.eventsFolded, {
        lineage: false,
        ...(registry ? { registryAtState: registry } : {}),
      })
    : new WorldFold({ lineage: false });
  const registryRows = new RegistryIndexWriter(registry);
  const lineage = new LineageIndexRows();
  let checkpoint = latest?.checkpoint ?? START;
  let coversUntil = latest ? Date.parse(latest.coversUntil) : Number.NEGATIVE_INFINITY;
  let eventsRead = latest?.eventsRead ?? 0;
  let maxSkewMs = latest ? (latest.maxSkewMs ?? Number.POSITIVE_INFINITY) : 0;
  let sinceLast = 0;
  let written = 0;
  for (;;) {
    options.signal?.throwIfAborted();
    const page = await store.readAll(checkpoint, options.batchSize ?? 5000, { types: foldedTypes });
    if (page.events.length === 0) return written;
    for (const event of page.events) {
      const changes = fold.apply(event);
      if (changes) lineage.add(changes, event.checkpoint);
      const recordedAt = Date.parse(event.metadata.recordedAt);
      if (recordedAt < coversUntil) maxSkewMs = Math.max(maxSkewMs, coversUntil - recordedAt);
      coversUntil = Math.max(coversUntil, recordedAt);
      eventsRead++;
      sinceLast++;
      if (sinceLast < every) continue;
      sinceLast = 0;
      const state = JSON.stringify(fold.toState());
      await db.transaction().execute(async (trx) => {
        await lineage.write(trx);
        await registryRows.write(trx, fold.registry, event.checkpoint);
        await sql`
          INSERT INTO world_snapshots (fold_version, checkpoint, covers_until, events_read, events_folded,
                                       max_skew_ms, state)
          VALUES (${worldFoldVersion}, ${event.checkpoint}, ${new Date(coversUntil).toISOString()}::timestamptz,
                  ${eventsRead}, ${fold.eventsFolded}, ${Number.isFinite(maxSkewMs) ? maxSkewMs : null}, ${state}::json)
          ON CONFLICT (fold_version, checkpoint) DO NOTHING`.execute(trx);
      });
      written++;
    }
    checkpoint = page.checkpoint;
  }
}

/**
 * Keeps the snapshots up to date in the background (never in a request's path): checks every
 * `checkEveryMs` whether `every` more folded events have arrived. One pass at a time; `stop()`
 * waits for the one under way.
 */
export function startWorldSnapshots(options: {
  readonly db: AnyDb;
  readonly store: EventStore;
  readonly every?: number;
  readonly checkEveryMs: number;
  readonly onError?: (error: unknown) => void;
  readonly onWritten?: (count: number) => void;
}): { stop(): Promise<void> } {
  const abort = new AbortController();
  let running: Promise<void> | undefined;
  const tick = () => {
    if (running) return;
    running = writeWorldSnapshots(options.db, options.store, {
      ...(options.every !== undefined ? { every: options.every } : {}),
      signal: abort.signal,
    })
      .then((count) => {
        if (count > 0) options.onWritten?.(count);
      })
      .catch((error: unknown) => {
        if (!abort.signal.aborted) options.onError?.(error);
      })
      .finally(() => {
        running = undefined;
      });
  };
  tick();
  const timer = setInterval(tick, options.checkEveryMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      abort.abort(new Error('world snapshots stopped'));
      await running;
    },
  };
}
