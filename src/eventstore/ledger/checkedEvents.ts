import { setImmediate as setImmediatePromise } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import { canonicalJsonOfJsonbText } from '../canonicalJson.js';
import { eventHashOfCanonicalData } from '../hashChain.js';
import { leafHashOfHex } from '../merkle.js';
import type { Database } from '../postgres/database.js';
import type { CheckedEvent } from './checkedEvent.js';
import { CopyLineChecker, alteredEventReason } from './copyLineCheck.js';
import {
  ledgerEventLines,
  ledgerEventOfCopyRow,
  readLedgerEvents,
  type LedgerEventRow,
} from './ledgerLog.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the event store's tables are reached through raw SQL
type Db = Kysely<any>;

export type { CheckedEvent } from './checkedEvent.js';

/**
 * Every event global readers see, in global order, checked, in batches: on PostgreSQL from one `COPY ... TO STDOUT`
 * (`ledgerEventLines`); on PGlite a page of `pageSize` rows at a time
 * (tuneledger_ledger_events), the next page fetched while one is checked.
 */
export async function* checkedEventsInGlobalOrder(
  database: Database,
  trx: Db,
  pageSize: number,
): AsyncGenerator<CheckedEvent[]> {
  const lines = ledgerEventLines(database, trx);
  if (lines) {
    for await (const batch of lines) {
      yield checkedEventsOfCopyBatch(batch);
      // A turn of the event loop between batches: the socket is read meanwhile, so PostgreSQL streams the next
      // rows while these are checked instead of waiting until the batches read ahead are used up.
      await setImmediatePromise();
    }
    return;
  }
  let page = readLedgerEvents(trx, { transactionId: '0', globalPosition: '0' }, pageSize);
  for (;;) {
    const rows = await page;
    if (rows.length === 0) return;
    const last = rows[rows.length - 1]!;
    page = readLedgerEvents(
      trx,
      { transactionId: last.transaction_id, globalPosition: last.global_position },
      pageSize,
    );
    yield rows.map(checkedEventOfRow);
  }
}

/** The general path: a decoded row, its content hashed from its fields (eventHashOfCanonicalData). */
export function checkedEventOfRow(row: LedgerEventRow): CheckedEvent {
  return {
    transaction_id: row.transaction_id,
    global_position: row.global_position,
    event_id: row.event_id,
    stream_id: row.stream_id,
    stream_version: row.stream_version,
    previous_hash: row.previous_hash,
    hash: row.hash,
    altered: contentProblem(row),
    leaf: leafHashOfHex(row.hash),
  };
}

/** Why the row's hash is not its content's, or undefined when it is. */
function contentProblem(row: LedgerEventRow): string | undefined {
  let recomputed: string;
  try {
    recomputed = eventHashOfCanonicalData(
      {
        eventId: row.event_id,
        streamId: row.stream_id,
        streamVersion: row.stream_version,
        type: row.type,
        schemaVersion: row.schema_version,
        data: undefined,
        actor: row.actor,
        correlationId: row.correlation_id,
        causationId: row.causation_id,
        recordedAt: row.recorded_at,
        previousHash: row.previous_hash,
      },
      canonicalJsonOfJsonbText(row.data),
    );
  } catch (error) {
    return `${row.stream_id} version ${row.stream_version}: its content cannot be hashed: ${(error as Error).message}`;
  }
  return recomputed === row.hash ? undefined : alteredEventReason(row.stream_id, row.stream_version);
}

const copyLines = new CopyLineChecker();

/**
 * The events of a batch of COPY lines (ledgerLog's LEDGER_EVENTS_SELECT, text format, each line ending in a
 * newline), checked: each line through CopyLineChecker's byte-level path, or, where it declines (escapes, unusual
 * data), through the general one (ledgerEventOfCopyRow, checkedEventOfRow), which gives the same verdict.
 */
export function checkedEventsOfCopyBatch(batch: Buffer): CheckedEvent[] {
  const events: CheckedEvent[] = [];
  for (
    let start = 0, end = batch.indexOf(0x0a);
    end >= 0;
    start = end + 1, end = batch.indexOf(0x0a, start)
  ) {
    const event = copyLines.check(batch, start, end);
    if (event) {
      events.push(event);
      continue;
    }
    // A string per line, not slices of one per batch: an event verify keeps (a stream's last) must not keep its
    // whole batch's text alive.
    events.push(checkedEventOfRow(ledgerEventOfCopyRow(batch.toString('utf8', start, end))));
  }
  return events;
}
