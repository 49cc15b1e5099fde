import { sql, type Kysely } from 'kysely';
import { IdempotencyConflictError, IdempotencyKeyReusedError, WrongExpectedVersionError } from '../errors.js';
import type {
  AppendResult,
  Checkpoint,
  EventContext,
  EventStore,
  ExpectedVersion,
  NewEvent,
  ReadAllOptions,
  ReadAllResult,
  ReadStreamOptions,
  RecordedEvent,
  StreamAppend,
  Subscription,
  VerifyResult,
} from '../eventStore.js';
import { verifyChain } from '../hashChain.js';
import {
  chainEvents,
  expectationHolds,
  refuseRepeatedStreams,
  stampEvents,
  type PreparedEvent,
  type StampedEvents,
} from '../prepareEvents.js';
import { pollingSubscription } from '../pollingSubscription.js';
import { formatCheckpoint, parseCheckpoint } from './checkpoint.js';
import type { Database } from './database.js';

/** The channel appends NOTIFY on; subscribers LISTEN on it. */
export const EVENTS_CHANNEL = 'tuneledger_events';

export interface PostgresEventStoreOptions {
  /** Subscription polling interval when no notification arrives (ms). Default 250. */
  readonly pollIntervalMs?: number;
  /** Events fetched per round trip while a subscription catches up. Default 1000. */
  readonly batchSize?: number;
}

interface Head {
  readonly version: number;
  readonly hash: string | null;
}

interface AppendManyRow extends AppendRow {
  out_index: number;
}

interface AppendRow {
  out_status: 'ok' | 'stale' | 'duplicate';
  out_version: number | null;
  out_hash: string | null;
  out_position: string | null;
  out_transaction: string | null;
}

interface EventRow {
  checkpoint: string;
  event_id: string;
  stream_id: string;
  stream_version: number;
  type: string;
  schema_version: number;
  data: unknown;
  actor: string;
  correlation_id: string;
  causation_id: string | null;
  recorded_at: string;
  previous_hash: string | null;
  hash: string;
}

const HEAD_CACHE_LIMIT = 10_000;
/** Appends within this window share one NOTIFY: a busy writer must not double its queries. */
const NOTIFY_COALESCE_MS = 5;
const MAX_STALE_RETRIES = 100;

/**
 * The event store on PostgreSQL or PGlite (same SQL on both). An append is one call of the
 * `tuneledger_append` function; the stream head (version, last hash) the hashes are chained to
 * is cached per stream and corrected by the function when another writer moved the stream.
 */
export class PostgresEventStore implements EventStore {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the event store's tables are reached through raw SQL
  private readonly db: Kysely<any>;
  private readonly heads = new Map<string, Head>();
  private notifyScheduled = false;
  private closed = false;

  constructor(
    private readonly database: Database,
    private readonly options: PostgresEventStoreOptions = {},
  ) {
    this.db = database.db;
  }

  async append(
    streamId: string,
    events: readonly NewEvent[],
    expected: ExpectedVersion,
    context: EventContext,
  ): Promise<AppendResult> {
    const stamped = stampEvents(streamId, events, expected, context);
    let head = this.heads.get(streamId) ?? (await this.readHead(streamId));
    let headIsFresh = !this.heads.has(streamId);
    for (let attempt = 0; attempt < MAX_STALE_RETRIES; attempt += 1) {
      if (!expectationHolds(expected, head.version)) {
        if (!headIsFresh) {
          head = await this.readHead(streamId);
          headIsFresh = true;
          continue;
        }
        const original = await this.findRecorded(stamped);
        if (original) return original;
        throw new WrongExpectedVersionError(streamId, expected, head.version);
      }
      const prepared = chainEvents(stamped, head.version, head.hash);
      let rows: AppendRow[];
      try {
        rows = await this.callAppend(streamId, head.version, prepared, context.idempotency);
      } catch (error) {
        // Two writers created the stream, or retried the same ids, at the same moment: re-read.
        if ((error as { code?: string }).code === '23505') {
          this.heads.delete(streamId);
          head = await this.readHead(streamId);
          headIsFresh = true;
          continue;
        }
        throw error;
      }
      const status = rows[0]?.out_status;
      if (status === 'duplicate') {
        const original = await this.findRecorded(stamped);
        if (original) return original;
        continue;
      }
      if (status === 'stale') {
        head = { version: rows[0]!.out_version ?? 0, hash: rows[0]!.out_hash };
        headIsFresh = true;
        this.remember(streamId, head);
        continue;
      }
      this.scheduleNotify();
      return this.written(streamId, prepared, rows);
    }
    throw new Error(
      `append to "${streamId}" gave up after ${MAX_STALE_RETRIES} attempts: the stream kept moving under heavy contention`,
    );
  }

  /**
   * One call of `tuneledger_append_many` for every stream whose expectation holds against the head known
   * here (a stream never seen and expected not to exist is taken to be empty; the function corrects that).
   * Whatever that call does not write ('stale', 'duplicate', an expectation that does not hold, a race on a
   * new stream or a reused id) goes through `append`, which has the rules for it.
   */
  async appendMany(appends: readonly StreamAppend[]): Promise<PromiseSettledResult<AppendResult>[]> {
    refuseRepeatedStreams(appends);
    const outcomes: PromiseSettledResult<AppendResult>[] = new Array(appends.length);
    const stamped: { index: number; events: StampedEvents }[] = [];
    appends.forEach((entry, index) => {
      try {
        stamped.push({
          index,
          events: stampEvents(entry.streamId, entry.events, entry.expected, entry.context),
        });
      } catch (error) {
        outcomes[index] = { status: 'rejected', reason: error };
      }
    });
    const unknown = stamped
      .map(({ index }) => appends[index]!)
      .filter(
        (entry) => !this.heads.has(entry.streamId) && entry.expected !== 'no_stream' && entry.expected !== 0,
      )
      .map((entry) => entry.streamId);
    const readHeads = unknown.length > 0 ? await this.readHeads(unknown) : new Map<string, Head>();
    const batch: { index: number; prepared: PreparedEvent[] }[] = [];
    const separately: number[] = [];
    for (const { index, events } of stamped) {
      const entry = appends[index]!;
      const head = this.heads.get(entry.streamId) ??
        readHeads.get(entry.streamId) ?? { version: 0, hash: null };
      // A kept idempotency key needs its own transaction: `append` writes it.
      if (expectationHolds(entry.expected, head.version) && !entry.context.idempotency) {
        batch.push({ index, prepared: chainEvents(events, head.version, head.hash) });
      } else separately.push(index);
    }
    if (batch.length > 0) {
      let rows: AppendManyRow[] | undefined;
      try {
        const result = await sql<AppendManyRow>`
          SELECT * FROM tuneledger_append_many(${appendsParameter(appends, batch)}::jsonb)`.execute(this.db);
        rows = result.rows;
      } catch (error) {
        // A reused id or a new stream raced with another writer: nothing of this call was written.
        if ((error as { code?: string }).code !== '23505') throw error;
        separately.push(...batch.map(({ index }) => index));
      }
      if (rows) {
        const byIndex = new Map<number, AppendManyRow[]>();
        for (const row of rows) {
          const list = byIndex.get(row.out_index);
          if (list) list.push(row);
          else byIndex.set(row.out_index, [row]);
        }
        for (const { index, prepared } of batch) {
          const streamId = appends[index]!.streamId;
          const streamRows = byIndex.get(index) ?? [];
          const status = streamRows[0]?.out_status;
          if (status === 'ok') {
            outcomes[index] = { status: 'fulfilled', value: this.written(streamId, prepared, streamRows) };
            continue;
          }
          if (status === 'stale') {
            this.remember(streamId, {
              version: streamRows[0]!.out_version ?? 0,
              hash: streamRows[0]!.out_hash,
            });
          }
          separately.push(index);
        }
        if (rows.some((row) => row.out_status === 'ok')) this.scheduleNotify();
      }
    }
    await Promise.all(
      separately.map(async (index) => {
        const entry = appends[index]!;
        try {
          const value = await this.append(entry.streamId, entry.events, entry.expected, entry.context);
          outcomes[index] = { status: 'fulfilled', value };
        } catch (error) {
          outcomes[index] = { status: 'rejected', reason: error };
        }
      }),
    );
    return outcomes;
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<readonly RecordedEvent[]> {
    const backwards = options.direction === 'backwards';
    const from = options.from ?? (backwards ? 2_147_483_647 : 1);
    const limit = options.limit ?? 2_147_483_647;
    const result = await sql<EventRow>`
      SELECT ${sql.raw(COLUMNS)} FROM events
      WHERE stream_id = ${streamId}
        AND stream_version ${sql.raw(backwards ? '<=' : '>=')} ${from}
      ORDER BY stream_version ${sql.raw(backwards ? 'DESC' : 'ASC')}
      LIMIT ${limit}`.execute(this.db);
    return result.rows.map(toRecordedEvent);
  }

  async readAll(from: Checkpoint, limit: number, options: ReadAllOptions = {}): Promise<ReadAllResult> {
    const { transactionId, globalPosition } = parseCheckpoint(from);
    const count = Math.max(1, Math.floor(limit));
    const result = await (
      options.types
        ? sql<EventRow>`
      SELECT * FROM tuneledger_read_all_of_types(${transactionId}::xid8, ${globalPosition}::bigint, ${count}, ${[...options.types]}::text[])`
        : sql<EventRow>`
      SELECT * FROM tuneledger_read_all(${transactionId}::xid8, ${globalPosition}::bigint, ${count})`
    ).execute(this.db);
    const events = result.rows.map(toRecordedEvent);
    return { events, checkpoint: events.length > 0 ? events[events.length - 1]!.checkpoint : from };
  }

  async head(): Promise<Checkpoint> {
    // The newest event below the snapshot's xmin: every transaction before it has ended, so nothing can
    // appear at or before it later (the same visibility rule as readAll). One step down the index.
    // Ordered by the table's columns, not the text aliases of the same name: as text "9" sorts after "10".
    const result = await sql<{ transaction_id: string; global_position: string }>`
      SELECT transaction_id::text AS transaction_id, global_position::text AS global_position FROM events
      WHERE transaction_id < pg_snapshot_xmin(pg_current_snapshot())
      ORDER BY events.transaction_id DESC, events.global_position DESC LIMIT 1`.execute(this.db);
    const row = result.rows[0];
    return row ? formatCheckpoint(row.transaction_id, row.global_position) : '';
  }

  subscribe(from: Checkpoint): Subscription {
    return pollingSubscription({
      from,
      readAll: (checkpoint, limit) => this.readAll(checkpoint, limit),
      batchSize: this.options.batchSize ?? 1000,
      pollIntervalMs: this.options.pollIntervalMs ?? 250,
      onWake: (wake) => this.database.listen(EVENTS_CHANNEL, wake),
    });
  }

  async verify(streamId: string): Promise<VerifyResult> {
    return verifyChain(streamId, await this.readStream(streamId));
  }

  /** The store does not own the database: whoever opened it closes it. */
  async close(): Promise<void> {
    this.closed = true;
    this.heads.clear();
  }

  private async readHead(streamId: string): Promise<Head> {
    const result = await sql<{ version: number; last_hash: string | null }>`
      SELECT version, last_hash FROM streams WHERE stream_id = ${streamId}`.execute(this.db);
    const row = result.rows[0];
    return row ? { version: row.version, hash: row.last_hash } : { version: 0, hash: null };
  }

  private async readHeads(streamIds: readonly string[]): Promise<Map<string, Head>> {
    const result = await sql<{ stream_id: string; version: number; last_hash: string | null }>`
      SELECT stream_id, version, last_hash FROM streams WHERE stream_id = ANY(${streamIds}::text[])`.execute(
      this.db,
    );
    return new Map(result.rows.map((row) => [row.stream_id, { version: row.version, hash: row.last_hash }]));
  }

  /** The append's events as recorded (the rows give checkpoints), and the stream's new head remembered. */
  private written(
    streamId: string,
    prepared: readonly PreparedEvent[],
    rows: readonly AppendRow[],
  ): AppendResult {
    const events = prepared.map((event, index): RecordedEvent => {
      const row = rows[index]!;
      return {
        eventId: event.eventId,
        streamId,
        streamVersion: event.streamVersion,
        checkpoint: formatCheckpoint(row.out_transaction!, row.out_position!),
        type: event.type,
        schemaVersion: event.schemaVersion,
        data: event.data,
        metadata: {
          actor: event.actor,
          correlationId: event.correlationId,
          causationId: event.causationId,
          recordedAt: event.recordedAt,
          previousHash: event.previousHash,
          hash: event.hash,
        },
      };
    });
    const last = prepared[prepared.length - 1]!;
    this.remember(streamId, { version: last.streamVersion, hash: last.hash });
    return { nextExpectedVersion: last.streamVersion, events };
  }

  private remember(streamId: string, head: Head): void {
    this.heads.delete(streamId);
    if (this.heads.size >= HEAD_CACHE_LIMIT) this.heads.delete(this.heads.keys().next().value!);
    this.heads.set(streamId, head);
  }

  /**
   * One call of `tuneledger_append`; with an idempotency key, in one transaction with the key's row, so the
   * key is kept exactly when the events are written (an append that writes nothing rolls the key back).
   */
  private async callAppend(
    streamId: string,
    headVersion: number,
    prepared: readonly PreparedEvent[],
    idempotency: EventContext['idempotency'],
  ): Promise<AppendRow[]> {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the event store's tables are reached through raw SQL
    const append = async (db: Kysely<any>) =>
      (
        await sql<AppendRow>`
          SELECT * FROM tuneledger_append(${streamId}, ${headVersion}, ${eventsParameter(prepared)}::jsonb)`.execute(
          db,
        )
      ).rows;
    if (!idempotency) return append(this.db);
    let unwritten: AppendRow[] | undefined;
    try {
      return await this.db.transaction().execute(async (trx) => {
        await keepIdempotencyKey(trx, streamId, idempotency);
        const rows = await append(trx);
        if (rows[0]?.out_status === 'ok') return rows;
        unwritten = rows;
        throw ROLL_BACK;
      });
    } catch (error) {
      if (error === ROLL_BACK && unwritten) return unwritten;
      throw error;
    }
  }

  async idempotencyFingerprint(key: string): Promise<string | undefined> {
    const result = await sql<{ fingerprint: string }>`
      SELECT fingerprint FROM idempotency_keys WHERE idempotency_key = ${key}`.execute(this.db);
    return result.rows[0]?.fingerprint;
  }

  /** The events of an earlier append with the same ids, or undefined when none of the ids is known. */
  private async findRecorded(stamped: StampedEvents): Promise<AppendResult | undefined> {
    const ids = stamped.events.map((event) => event.eventId);
    const result = await sql<EventRow>`
      SELECT ${sql.raw(COLUMNS)} FROM events WHERE event_id = ANY(${ids}::uuid[])
      ORDER BY stream_version`.execute(this.db);
    if (result.rows.length === 0) return undefined;
    const elsewhere = result.rows.find((row) => row.stream_id !== stamped.streamId);
    if (elsewhere) {
      throw new IdempotencyConflictError(
        `event id ${elsewhere.event_id} is already recorded in stream "${elsewhere.stream_id}", not "${stamped.streamId}"; ` +
          'derive idempotency ids from the target stream',
      );
    }
    if (result.rows.length !== ids.length) {
      throw new IdempotencyConflictError(
        `append to "${stamped.streamId}" mixes ${result.rows.length} already recorded event id(s) with ` +
          `${ids.length - result.rows.length} new one(s); retry the original batch unchanged, or use new ids`,
      );
    }
    const events = result.rows.map(toRecordedEvent);
    return { nextExpectedVersion: events[events.length - 1]!.streamVersion, events, duplicate: true };
  }

  /**
   * One NOTIFY per burst of appends (at most one per NOTIFY_COALESCE_MS), sent outside the
   * append's transaction: a NOTIFY inside it would take PostgreSQL's global notify lock at
   * commit and serialise all concurrent appends.
   */
  private scheduleNotify(): void {
    if (this.notifyScheduled || this.closed) return;
    this.notifyScheduled = true;
    setTimeout(() => {
      this.notifyScheduled = false;
      sql`SELECT pg_notify(${EVENTS_CHANNEL}, '')`.execute(this.db).catch(() => {
        // Subscribers fall back to polling; a lost wake-up only delays them.
      });
    }, NOTIFY_COALESCE_MS);
  }
}

/** Thrown inside an append's transaction to roll it back when the append function wrote nothing. */
const ROLL_BACK = Symbol('roll back');

/**
 * Keeps the key with the request's fingerprint, or checks it against the one kept. A concurrent transaction
 * holding the same new key makes the INSERT wait for it to end, so two requests never both keep one key.
 */
async function keepIdempotencyKey(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the event store's tables are reached through raw SQL
  trx: Kysely<any>,
  streamId: string,
  { key, fingerprint }: NonNullable<EventContext['idempotency']>,
): Promise<void> {
  const kept = await sql<{ fingerprint: string }>`
    INSERT INTO idempotency_keys (idempotency_key, fingerprint, stream_id)
    VALUES (${key}, ${fingerprint}, ${streamId})
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING fingerprint`.execute(trx);
  if (kept.rows.length > 0) return;
  const earlier = await sql<{ fingerprint: string }>`
    SELECT fingerprint FROM idempotency_keys WHERE idempotency_key = ${key}`.execute(trx);
  if (earlier.rows[0]?.fingerprint !== fingerprint) throw new IdempotencyKeyReusedError(key);
}

// Checkpoint and timestamp are formatted by the database: parsing dates and padding numbers in
// JavaScript row by row was the largest cost of readAll.
/** The events as the append function's jsonb argument, reusing each event's canonical data text. */
function eventsParameter(prepared: readonly PreparedEvent[]): string {
  const items = prepared.map(({ data: _data, dataJson, ...rest }) => {
    const withoutData = JSON.stringify(rest);
    return `${withoutData.slice(0, -1)},"data":${dataJson}}`;
  });
  return `[${items.join(',')}]`;
}

/** The batch as `tuneledger_append_many`'s argument: its index in the call, the stream, the head hashed against. */
function appendsParameter(
  appends: readonly StreamAppend[],
  batch: readonly { index: number; prepared: readonly PreparedEvent[] }[],
): string {
  const items = batch.map(
    ({ index, prepared }) =>
      `{"index":${index},"streamId":${JSON.stringify(appends[index]!.streamId)},` +
      `"headVersion":${prepared[0]!.streamVersion - 1},"events":${eventsParameter(prepared)}}`,
  );
  return `[${items.join(',')}]`;
}

const COLUMNS = `lpad(transaction_id::text, 20, '0') || ':' || lpad(global_position::text, 20, '0') AS checkpoint,
  event_id::text AS event_id, stream_id, stream_version, type, schema_version, data, actor,
  correlation_id, causation_id,
  to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS recorded_at,
  previous_hash, hash`;

function toRecordedEvent(row: EventRow): RecordedEvent {
  return {
    eventId: row.event_id,
    streamId: row.stream_id,
    streamVersion: row.stream_version,
    checkpoint: row.checkpoint,
    type: row.type,
    schemaVersion: row.schema_version,
    data: row.data,
    metadata: {
      actor: row.actor,
      correlationId: row.correlation_id,
      causationId: row.causation_id,
      recordedAt: row.recorded_at,
      previousHash: row.previous_hash,
      hash: row.hash,
    },
  };
}
