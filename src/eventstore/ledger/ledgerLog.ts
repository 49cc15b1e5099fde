import { sql, type Kysely } from 'kysely';
import { parseCheckpoint } from '../postgres/checkpoint.js';
import type { Checkpoint } from '../eventStore.js';
import type { Database } from '../postgres/database.js';
import { LEDGER_STREAM } from './ledgerStream.js';

/**
 * The ledger's reads of the log, straight from the event store's tables (PostgreSQL and PGlite). Every read
 * is one page of a keyset walk, so a whole-log pass holds one page at a time.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the event store's tables are reached through raw SQL
type Db = Kysely<any>;

export interface LeafRow {
  readonly checkpoint: string;
  readonly stream_id: string;
  readonly hash: string;
}

/** Position and hash of the events after `from`, in global order (tuneledger_ledger_leaves, migration 0020). */
export async function readLeaves(db: Db, from: Checkpoint, limit: number): Promise<LeafRow[]> {
  const { transactionId, globalPosition } = parseCheckpoint(from);
  const { rows } = await sql<LeafRow>`
    SELECT * FROM tuneledger_ledger_leaves(${transactionId}::xid8, ${globalPosition}::bigint, ${limit})`.execute(
    db,
  );
  return rows;
}

export interface LogRow {
  readonly checkpoint: string;
  readonly event_id: string;
  readonly stream_id: string;
  readonly stream_version: number;
  readonly type: string;
  readonly schema_version: number;
  readonly data: unknown;
  readonly actor: string;
  readonly correlation_id: string;
  readonly causation_id: string | null;
  readonly recorded_at: string;
  readonly previous_hash: string | null;
  readonly hash: string;
}

/** Whole events after `from`, in global order (tuneledger_read_all, migration 0002). */
export async function readLogPage(db: Db, from: Checkpoint, limit: number): Promise<LogRow[]> {
  const { transactionId, globalPosition } = parseCheckpoint(from);
  const { rows } = await sql<LogRow>`
    SELECT * FROM tuneledger_read_all(${transactionId}::xid8, ${globalPosition}::bigint, ${limit})`.execute(
    db,
  );
  return rows;
}

export interface ChainRow {
  readonly stream_id: string;
  readonly stream_version: number;
  readonly previous_hash: string | null;
  readonly hash: string;
  readonly event_id: string;
  readonly checkpoint: string;
}

/** Events after (streamId, version) in stream order: each stream's chain, stream after stream. */
export async function readChainPage(
  db: Db,
  after: { streamId: string; version: number },
  limit: number,
): Promise<ChainRow[]> {
  const { rows } = await sql<ChainRow>`
    SELECT stream_id, stream_version, previous_hash, hash, event_id::text AS event_id,
           lpad(transaction_id::text, 20, '0') || ':' || lpad(global_position::text, 20, '0') AS checkpoint
    FROM events
    WHERE (stream_id, stream_version) > (${after.streamId}, ${after.version})
    ORDER BY stream_id, stream_version
    LIMIT ${limit}`.execute(db);
  return rows;
}

export interface StreamRow {
  readonly stream_id: string;
  readonly version: number;
  readonly last_hash: string | null;
}

export async function readStreamRows(db: Db, streamIds: readonly string[]): Promise<Map<string, StreamRow>> {
  const { rows } = await sql<StreamRow>`
    SELECT stream_id, version, last_hash FROM streams WHERE stream_id = ANY(${[...streamIds]}::text[])`.execute(
    db,
  );
  return new Map(rows.map((row) => [row.stream_id, row]));
}

/** Streams the `streams` table records but the log holds no event of (every event deleted). */
export async function readStreamsWithoutEvents(db: Db, limit: number): Promise<StreamRow[]> {
  const { rows } = await sql<StreamRow>`
    SELECT s.stream_id, s.version, s.last_hash FROM streams s
    WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.stream_id = s.stream_id)
    ORDER BY s.stream_id LIMIT ${limit}`.execute(db);
  return rows;
}

export interface CheckpointEventRow {
  readonly stream_version: number;
  readonly event_id: string;
  readonly type: string;
  readonly checkpoint: string;
  readonly data: unknown;
}

/** The ledger stream's events in version order (after `afterVersion`), or newest first when `newestFirst`. */
export async function readCheckpointEvents(
  db: Db,
  options: { newestFirst?: boolean; afterVersion?: number; limit?: number } = {},
): Promise<CheckpointEventRow[]> {
  const { rows } = await sql<CheckpointEventRow>`
    SELECT stream_version, event_id::text AS event_id, type, data,
           lpad(transaction_id::text, 20, '0') || ':' || lpad(global_position::text, 20, '0') AS checkpoint
    FROM events WHERE stream_id = ${LEDGER_STREAM} AND stream_version > ${options.afterVersion ?? 0}
    ORDER BY stream_version ${sql.raw(options.newestFirst ? 'DESC' : 'ASC')}
    LIMIT ${options.limit ?? 2_147_483_647}`.execute(db);
  return rows;
}

/** The checkpoint of the newest event global readers see now ('' for an empty log). */
export async function readHead(db: Db): Promise<Checkpoint> {
  const { rows } = await sql<{ checkpoint: string }>`
    SELECT lpad(transaction_id::text, 20, '0') || ':' || lpad(global_position::text, 20, '0') AS checkpoint
    FROM events WHERE transaction_id < pg_snapshot_xmin(pg_current_snapshot())
    ORDER BY transaction_id DESC, global_position DESC LIMIT 1`.execute(db);
  return rows[0]?.checkpoint ?? '';
}

/** The global position (the bigserial) in a store checkpoint. */
export function globalPositionOf(checkpoint: string): string {
  return checkpoint === '' ? '0' : parseCheckpoint(checkpoint).globalPosition;
}

/** An event as `tuneledger verify` hashes it: every hashed field as text, data as jsonb's own text output. */
export interface LedgerEventRow {
  readonly transaction_id: string;
  readonly global_position: string;
  readonly event_id: string;
  readonly stream_id: string;
  readonly stream_version: number;
  readonly type: string;
  readonly schema_version: number;
  readonly data: string;
  readonly actor: string;
  readonly correlation_id: string;
  readonly causation_id: string | null;
  readonly recorded_at: string;
  readonly previous_hash: string | null;
  readonly hash: string;
}

export interface LogPlace {
  readonly transactionId: string;
  readonly globalPosition: string;
}

/** Events after `after` in global order (tuneledger_ledger_events, migration 0021). */
export async function readLedgerEvents(db: Db, after: LogPlace, limit: number): Promise<LedgerEventRow[]> {
  const { rows } = await sql<LedgerEventRow>`
    SELECT * FROM tuneledger_ledger_events(${after.transactionId}::xid8, ${after.globalPosition}::bigint, ${limit})`.execute(
    db,
  );
  return rows;
}

/**
 * PostgreSQL only (undefined on PGlite): the events global readers see, in global order, as the lines of one
 * `COPY ... TO STDOUT` in batches of whole lines, each ending in a newline (`ledgerEventOfCopyRow` reads one), on a connection of its own
 * in the snapshot of `trx`
 * (a repeatable-read transaction that must stay open until the lines are read).
 */
export function ledgerEventLines(database: Database, trx: Db): AsyncIterable<Buffer> | undefined {
  const copyRowsOut = database.copyRowsOut;
  if (!copyRowsOut) return undefined;
  return (async function* () {
    const { rows } = await sql<{ snapshot: string }>`SELECT pg_export_snapshot() AS snapshot`.execute(trx);
    // The index's order, not a sort of the whole table; no JIT compilation for one scan.
    yield* copyRowsOut(LEDGER_EVENTS_SELECT, rows[0]!.snapshot, { enable_sort: 'off', jit: 'off' });
  })();
}

/**
 * tuneledger_ledger_events' query (migration 0021) over the whole log, for COPY: the columns' text output is what
 * that function's casts give (jsonb's own text for data), recorded_at formatted as the event hash has it.
 */
const LEDGER_EVENTS_SELECT = `
  SELECT e.transaction_id, e.global_position, e.event_id, e.stream_id, e.stream_version, e.type, e.schema_version,
         e.data, e.actor, e.correlation_id, e.causation_id,
         to_char(e.recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), e.previous_hash, e.hash
  FROM events e
  WHERE e.transaction_id < pg_snapshot_xmin(pg_current_snapshot())
  ORDER BY e.transaction_id, e.global_position`;

const LEDGER_EVENT_FIELDS = 14;

/** One line of COPY's text format (LEDGER_EVENTS_SELECT's columns, tab-separated), without its newline. */
export function ledgerEventOfCopyRow(line: string): LedgerEventRow {
  const fields = line.split('\t');
  if (fields.length !== LEDGER_EVENT_FIELDS) {
    throw new Error(`a COPY row of the events table has ${fields.length} fields, not ${LEDGER_EVENT_FIELDS}`);
  }
  return {
    transaction_id: fields[0]!,
    global_position: fields[1]!,
    event_id: fields[2]!,
    stream_id: copyText(fields[3]!),
    stream_version: Number(fields[4]),
    type: copyText(fields[5]!),
    schema_version: Number(fields[6]),
    data: copyText(fields[7]!),
    actor: copyText(fields[8]!),
    correlation_id: copyText(fields[9]!),
    causation_id: copyNullableText(fields[10]!),
    recorded_at: fields[11]!,
    previous_hash: copyNullableText(fields[12]!),
    hash: copyText(fields[13]!),
  };
}

const COPY_ESCAPES: Readonly<Record<string, string>> = {
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
};

/** A field of COPY's text format: backslash escapes undone (`\\`, `\t`, `\n`, ...). */
function copyText(field: string): string {
  if (!field.includes('\\')) return field;
  return field.replace(/\\([\s\S])/g, (_, c: string) => COPY_ESCAPES[c] ?? c);
}

function copyNullableText(field: string): string | null {
  return field === '\\N' ? null : copyText(field);
}

/**
 * A stream's events after `afterVersion` that global readers do not see yet (their transaction is above the
 * oldest running one when the snapshot was taken), in version order.
 */
export async function readUnorderedTail(
  db: Db,
  streamId: string,
  afterVersion: number,
): Promise<LedgerEventRow[]> {
  const { rows } = await sql<LedgerEventRow>`
    SELECT e.transaction_id::text, e.global_position::text, e.event_id::text, e.stream_id, e.stream_version,
           e.type, e.schema_version, e.data::text AS data, e.actor, e.correlation_id, e.causation_id,
           to_char(e.recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS recorded_at,
           e.previous_hash, e.hash
    FROM events e
    WHERE e.stream_id = ${streamId} AND e.stream_version > ${afterVersion}
      AND e.transaction_id >= pg_snapshot_xmin(pg_current_snapshot())
    ORDER BY e.stream_version`.execute(db);
  return rows;
}

/** The `streams` table after `afterStreamId`, in stream id order. */
export async function readStreamsPage(db: Db, afterStreamId: string, limit: number): Promise<StreamRow[]> {
  const { rows } = await sql<StreamRow>`
    SELECT stream_id, version, last_hash FROM streams WHERE stream_id > ${afterStreamId}
    ORDER BY stream_id LIMIT ${limit}`.execute(db);
  return rows;
}
