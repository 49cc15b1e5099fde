import type { Kysely } from 'kysely';
import * as crypto from 'node:crypto';
import { canonicalJsonOfJsonbText, isPrintedAsIs } from '../canonicalJson.js';
import { eventHashOfCanonicalData } from '../hashChain.js';
import { leafHash, leafHashOfHex } from '../merkle.js';
import type { Database } from '../postgres/database.js';
import {
  ledgerEventLines,
  ledgerEventOfCopyRow,
  readLedgerEvents,
  type LedgerEventRow,
} from './ledgerLog.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the event store's tables are reached through raw SQL
type Db = Kysely<any>;

/**
 * An event as the whole-log check walks it: its place in the log and in its stream's chain, whether its hash
 * matches its content (checked already), and its Merkle leaf hash. The event's data is not kept.
 */
export interface CheckedEvent {
  readonly transaction_id: string;
  readonly global_position: string;
  readonly event_id: string;
  readonly stream_id: string;
  readonly stream_version: number;
  readonly previous_hash: string | null;
  readonly hash: string;
  /** Why the event's hash is not its content's; undefined when it is. */
  readonly altered: string | undefined;
  /** RFC 9162 leaf hash of the stored hash's bytes. */
  readonly leaf: Buffer;
}

/**
 * Every event global readers see, in global order, checked, in batches: on PostgreSQL from one `COPY ... TO STDOUT`
 * (`ledgerEventLines`, hashed from the lines' bytes); on PGlite a page of `pageSize` rows at a time
 * (tuneledger_ledger_events), the next page fetched while one is checked.
 */
export async function* checkedEventsInGlobalOrder(
  database: Database,
  trx: Db,
  pageSize: number,
): AsyncGenerator<CheckedEvent[]> {
  const lines = ledgerEventLines(database, trx);
  if (lines) {
    for await (const batch of lines) yield checkedEventsOfCopyBatch(batch);
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
  return recomputed === row.hash ? undefined : alteredReason(row.stream_id, row.stream_version);
}

function alteredReason(streamId: string, streamVersion: number): string {
  return `${streamId} version ${streamVersion}: its hash does not match its content (the event was altered)`;
}

/**
 * The events of a batch of COPY lines (ledgerLog's LEDGER_EVENTS_SELECT, text format, each line ending in a
 * newline), checked. Most lines are hashed straight from their bytes (CopyLineHasher): the hashed text is
 * assembled in a reused buffer from the line's own bytes, data's jsonb text rewritten to canonical JSON in
 * place, with no string per field and no JSON value. A line the byte path does not take on (a backslash: COPY
 * escapes or a JSON escape; a key that is not plain ASCII; a number JavaScript would print otherwise, ...)
 * goes through the general path, so both give the same verdict.
 */
export function checkedEventsOfCopyBatch(batch: Buffer): CheckedEvent[] {
  const events: CheckedEvent[] = [];
  for (
    let start = 0, end = batch.indexOf(0x0a);
    end >= 0;
    start = end + 1, end = batch.indexOf(0x0a, start)
  ) {
    events.push(
      copyLineHasher.check(batch, start, end) ??
        checkedEventOfRow(ledgerEventOfCopyRow(batch.toString('utf8', start, end))),
    );
  }
  return events;
}

/** The byte path alone for one COPY line (without its newline): undefined when the line needs the general path. */
export function checkedEventOfCopyLineBytes(line: Buffer): CheckedEvent | undefined {
  return copyLineHasher.check(line, 0, line.length);
}

const TAB = 0x09;
const BACKSLASH = 0x5c;
const QUOTE = 0x22;
const FIELDS = 14;

/** Thrown (and caught) when a line needs the general path. */
class NotTheFastPath extends Error {}
const NOT_FAST = new NotTheFastPath();

const sha256: (data: Uint8Array) => Buffer =
  typeof crypto.hash === 'function'
    ? (data) => crypto.hash('sha256', data, 'buffer')
    : (data) => crypto.createHash('sha256').update(data).digest();

const ascii = (text: string) => Buffer.from(text, 'latin1');
const PARTS = {
  actor: ascii('{"actor":'),
  causationId: ascii(',"causationId":'),
  correlationId: ascii(',"correlationId":'),
  data: ascii(',"data":'),
  eventId: ascii(',"eventId":'),
  previousHash: ascii(',"previousHash":'),
  recordedAt: ascii(',"recordedAt":'),
  schemaVersion: ascii(',"schemaVersion":'),
  streamId: ascii(',"streamId":'),
  streamVersion: ascii(',"streamVersion":'),
  type: ascii(',"type":'),
  null: ascii('null'),
};
const LITERALS = { true: ascii('true'), false: ascii('false') };

/**
 * Builds eventHashOfCanonicalData's text for one COPY line in a reused buffer and hashes it. Fields are found
 * by their tabs; a text field is written as JSON.stringify would (quotes around its bytes) when it holds no
 * quote, backslash or control character; data's jsonb text is rewritten to canonical JSON (no whitespace, keys
 * in code-unit order, numbers as JavaScript prints them).
 */
class CopyLineHasher {
  private out = Buffer.allocUnsafe(1 << 16);
  private length = 0;
  private readonly tabs = new Int32Array(FIELDS + 1);
  private readonly stored = Buffer.alloc(32);
  /** An object's members as first written, while they are reordered. */
  private scratch = Buffer.allocUnsafe(1 << 12);
  private input: Buffer = this.out;
  private at = 0;
  private end = 0;

  check(line: Buffer, start: number, end: number): CheckedEvent | undefined {
    const tabs = this.tabs;
    tabs[0] = start - 1;
    let count = 1;
    for (let index = start; index < end; index += 1) {
      const byte = line[index]!;
      if (byte === TAB) {
        if (count > FIELDS - 1) return undefined;
        tabs[count++] = index;
      }
    }
    if (count !== FIELDS) return undefined;
    tabs[FIELDS] = end;
    const from = (field: number) => tabs[field]! + 1;
    const to = (field: number) => tabs[field + 1]!;
    this.input = line;
    this.length = 0;
    try {
      this.put(PARTS.actor);
      this.text(from(8), to(8), false);
      this.put(PARTS.causationId);
      this.text(from(10), to(10), true);
      this.put(PARTS.correlationId);
      this.text(from(9), to(9), false);
      this.put(PARTS.data);
      this.at = from(7);
      this.end = to(7);
      this.value();
      if (this.at !== this.end) return undefined;
      this.put(PARTS.eventId);
      this.text(from(2), to(2), false);
      this.put(PARTS.previousHash);
      const previousNull = this.text(from(12), to(12), true);
      this.put(PARTS.recordedAt);
      this.text(from(11), to(11), false);
      this.put(PARTS.schemaVersion);
      this.integer(from(6), to(6));
      this.put(PARTS.streamId);
      this.text(from(3), to(3), false);
      this.put(PARTS.streamVersion);
      const streamVersion = this.integer(from(4), to(4));
      this.put(PARTS.type);
      this.text(from(5), to(5), false);
      this.byte(0x7d);
      // The stored hash: 64 lower-case hex digits, or the general path says what it is.
      const hashFrom = from(13);
      if (to(13) - hashFrom !== 64 || !decodeHex(line, hashFrom, this.stored)) return undefined;
      const streamId = line.toString('utf8', from(3), to(3));
      const content = sha256(this.out.subarray(0, this.length));
      return {
        transaction_id: line.toString('latin1', from(0), to(0)),
        global_position: line.toString('latin1', from(1), to(1)),
        event_id: line.toString('latin1', from(2), to(2)),
        stream_id: streamId,
        stream_version: streamVersion,
        previous_hash: previousNull ? null : line.toString('utf8', from(12), to(12)),
        hash: line.toString('latin1', hashFrom, to(13)),
        altered: content.equals(this.stored) ? undefined : alteredReason(streamId, streamVersion),
        leaf: leafHash(this.stored),
      };
    } catch (error) {
      if (error === NOT_FAST) return undefined;
      throw error;
    }
  }

  private ensure(bytes: number): void {
    if (this.length + bytes <= this.out.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.out.length * 2, this.length + bytes));
    this.out.copy(bigger, 0, 0, this.length);
    this.out = bigger;
  }

  private put(part: Buffer): void {
    this.ensure(part.length);
    copyBytes(part, 0, part.length, this.out, this.length);
    this.length += part.length;
  }

  private byte(value: number): void {
    this.ensure(1);
    this.out[this.length++] = value;
  }

  private copy(from: number, to: number): void {
    this.ensure(to - from);
    copyBytes(this.input, from, to, this.out, this.length);
    this.length += to - from;
  }

  /** A text field as a JSON string (or null for COPY's \N when `nullable`); true when it was null. */
  private text(from: number, to: number, nullable: boolean): boolean {
    const input = this.input;
    if (nullable && to - from === 2 && input[from] === BACKSLASH && input[from + 1] === 0x4e) {
      this.put(PARTS.null);
      return true;
    }
    for (let index = from; index < to; index += 1) {
      const byte = input[index]!;
      if (byte < 0x20 || byte === QUOTE || byte === BACKSLASH) throw NOT_FAST;
    }
    this.byte(QUOTE);
    this.copy(from, to);
    this.byte(QUOTE);
    return false;
  }

  /** A whole number as PostgreSQL's integer output writes it (what JavaScript prints too). */
  private integer(from: number, to: number): number {
    const input = this.input;
    if (to - from < 1 || to - from > 9 || (input[from] === 0x30 && to - from > 1)) throw NOT_FAST;
    let value = 0;
    for (let index = from; index < to; index += 1) {
      const digit = input[index]! - 0x30;
      if (digit < 0 || digit > 9) throw NOT_FAST;
      value = value * 10 + digit;
    }
    this.copy(from, to);
    return value;
  }

  private skipSpace(): void {
    while (this.at < this.end && this.input[this.at] === 0x20) this.at += 1;
  }

  /** One jsonb value from `at`, written canonically. */
  private value(): void {
    this.skipSpace();
    if (this.at >= this.end) throw NOT_FAST;
    const byte = this.input[this.at]!;
    if (byte === QUOTE) this.string();
    else if (byte === 0x7b) this.object();
    else if (byte === 0x5b) this.array();
    else if (byte === 0x74) this.literal(LITERALS.true);
    else if (byte === 0x66) this.literal(LITERALS.false);
    else if (byte === 0x6e) this.literal(PARTS.null);
    else this.number();
  }

  private literal(word: Buffer): void {
    const end = this.at + word.length;
    if (end > this.end || word.compare(this.input, this.at, end) !== 0) throw NOT_FAST;
    this.put(word);
    this.at = end;
  }

  /** A string without escapes (the line has no backslash), written as it is: jsonb's text is JSON.stringify's. */
  private string(): number {
    const start = this.at;
    const close = this.input.indexOf(QUOTE, start + 1);
    if (close < 0 || close >= this.end) throw NOT_FAST;
    for (let index = start + 1; index < close; index += 1) {
      const byte = this.input[index]!;
      // A backslash: a JSON escape (as COPY writes it), which the general path reads.
      if (byte < 0x20 || byte === BACKSLASH) throw NOT_FAST;
    }
    this.copy(start, close + 1);
    this.at = close + 1;
    return close + 1;
  }

  private number(): void {
    const input = this.input;
    const start = this.at;
    let end = start;
    let plain = true;
    while (end < this.end) {
      const byte = input[end]!;
      if (byte >= 0x30 && byte <= 0x39) end += 1;
      else if (byte === 0x2d || byte === 0x2e || byte === 0x2b || byte === 0x65 || byte === 0x45) {
        plain = false;
        end += 1;
      } else break;
    }
    if (end === start) throw NOT_FAST;
    this.at = end;
    // Whole numbers of up to 15 digits without a leading zero print as they are; anything else as JavaScript does.
    if (plain && end - start <= 15 && (input[start] !== 0x30 || end - start === 1)) {
      this.copy(start, end);
      return;
    }
    const literal = input.toString('latin1', start, end);
    const text = isPrintedAsIs(literal) ? literal : JSON.stringify(Number(literal));
    this.ensure(text.length);
    this.length += this.out.write(text, this.length, 'latin1');
  }

  private array(): void {
    this.at += 1;
    this.byte(0x5b);
    this.skipSpace();
    if (this.input[this.at] === 0x5d) {
      this.at += 1;
      this.byte(0x5d);
      return;
    }
    for (;;) {
      this.value();
      this.skipSpace();
      const byte = this.input[this.at++];
      if (byte === 0x5d) break;
      if (byte !== 0x2c || this.at > this.end) throw NOT_FAST;
      this.byte(0x2c);
    }
    this.byte(0x5d);
  }

  /**
   * An object's members written in jsonb's order (keys by length, then bytes), then reordered into code-unit
   * order (the same as byte order for ASCII keys; a key with other bytes takes the general path).
   */
  private object(): void {
    this.at += 1;
    const objectStart = this.length;
    this.byte(0x7b);
    this.skipSpace();
    if (this.input[this.at] === 0x7d) {
      this.at += 1;
      this.byte(0x7d);
      return;
    }
    // Per member: where its key's text starts and ends in the input, and where "key":value starts and ends in out.
    const members: number[] = [];
    let sorted = true;
    for (;;) {
      this.skipSpace();
      if (this.input[this.at] !== QUOTE) throw NOT_FAST;
      const keyStart = this.at + 1;
      const memberStart = this.length;
      const keyEnd = this.string() - 1;
      for (let index = keyStart; index < keyEnd; index += 1) if (this.input[index]! >= 0x80) throw NOT_FAST;
      if (this.input[this.at] !== 0x3a) throw NOT_FAST;
      this.at += 1;
      this.byte(0x3a);
      this.value();
      if (
        members.length > 0 &&
        compareBytes(
          this.input,
          members[members.length - 4]!,
          members[members.length - 3]!,
          keyStart,
          keyEnd,
        ) >= 0
      )
        sorted = false;
      members.push(keyStart, keyEnd, memberStart, this.length);
      this.skipSpace();
      const byte = this.input[this.at++];
      if (byte === 0x7d) break;
      if (byte !== 0x2c || this.at > this.end) throw NOT_FAST;
      this.byte(0x2c);
    }
    this.byte(0x7d);
    if (sorted) return;
    // Insertion sort of the members (a handful) by key, then the object's text rewritten from a copy in that order.
    const count = members.length / 4;
    const order: number[] = [];
    const input = this.input;
    for (let member = 0; member < count; member += 1) {
      let place = order.length;
      while (
        place > 0 &&
        compareBytes(
          input,
          members[order[place - 1]! * 4]!,
          members[order[place - 1]! * 4 + 1]!,
          members[member * 4]!,
          members[member * 4 + 1]!,
        ) > 0
      ) {
        order[place] = order[place - 1]!;
        place -= 1;
      }
      order[place] = member;
    }
    const size = this.length - objectStart;
    if (this.scratch.length < size)
      this.scratch = Buffer.allocUnsafe(Math.max(size, this.scratch.length * 2));
    const written = this.scratch;
    copyBytes(this.out, objectStart, this.length, written, 0);
    let at = objectStart + 1;
    for (let index = 0; index < count; index += 1) {
      if (index > 0) this.out[at++] = 0x2c;
      const member = order[index]! * 4;
      const start = members[member + 2]! - objectStart;
      const end = members[member + 3]! - objectStart;
      copyBytes(written, start, end, this.out, at);
      at += end - start;
    }
    this.out[at] = 0x7d;
  }
}

/** source[from, to) into target at `at`: a loop for the short runs a line is made of (Buffer.copy costs more per call). */
function copyBytes(source: Buffer, from: number, to: number, target: Buffer, at: number): void {
  if (to - from > 64) {
    source.copy(target, at, from, to);
    return;
  }
  for (let index = from; index < to; index += 1) target[at++] = source[index]!;
}

/** Byte order of input[aStart, aEnd) and input[bStart, bEnd). */
function compareBytes(input: Buffer, aStart: number, aEnd: number, bStart: number, bEnd: number): number {
  const length = Math.min(aEnd - aStart, bEnd - bStart);
  for (let index = 0; index < length; index += 1) {
    const difference = input[aStart + index]! - input[bStart + index]!;
    if (difference !== 0) return difference;
  }
  return aEnd - aStart - (bEnd - bStart);
}

/** Lower-case hex digits input[from, from + 64) into `into` (32 bytes); false at any other character. */
function decodeHex(input: Buffer, from: number, into: Buffer): boolean {
  for (let index = 0; index < 32; index += 1) {
    const high = hexDigit(input[from + 2 * index]!);
    const low = hexDigit(input[from + 2 * index + 1]!);
    if (high < 0 || low < 0) return false;
    into[index] = (high << 4) | low;
  }
  return true;
}

function hexDigit(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x61 + 10;
  return -1;
}

const copyLineHasher = new CopyLineHasher();
