import * as crypto from 'node:crypto';
import { sha256 } from '../merkle.js';
import { CanonicalBytes } from './canonicalBytes.js';
import type { CheckedEvent } from './checkedEvent.js';

/** Why an event's hash is not its content's (the general path says the same). */
export function alteredEventReason(streamId: string, streamVersion: number): string {
  return `${streamId} version ${streamVersion}: its hash does not match its content (the event was altered)`;
}

/**
 * A checked event from a COPY line. Its place in the log (transaction id, global position, event id) is kept as
 * one string and split only when asked for (problems, and the stream heads' order): one string per event, not three.
 */
class CopyLineEvent implements CheckedEvent {
  constructor(
    /** transaction_id, global_position and event_id, tab-separated, as on the line. */
    private readonly place: string,
    readonly stream_id: string,
    readonly stream_version: number,
    readonly previous_hash: string | null,
    readonly hash: string,
    readonly altered: string | undefined,
    readonly leaf: Buffer,
  ) {}

  get transaction_id(): string {
    return this.place.slice(0, this.place.indexOf('\t'));
  }

  get global_position(): string {
    const first = this.place.indexOf('\t');
    return this.place.slice(first + 1, this.place.indexOf('\t', first + 1));
  }

  get event_id(): string {
    return this.place.slice(this.place.lastIndexOf('\t') + 1);
  }
}

const FIELDS = 14;
/** The columns of LEDGER_EVENTS_SELECT, in order. */
const Field = {
  TransactionId: 0,
  GlobalPosition: 1,
  EventId: 2,
  StreamId: 3,
  StreamVersion: 4,
  Type: 5,
  SchemaVersion: 6,
  Data: 7,
  Actor: 8,
  CorrelationId: 9,
  CausationId: 10,
  RecordedAt: 11,
  PreviousHash: 12,
  Hash: 13,
} as const;
type Field = (typeof Field)[keyof typeof Field];

const text = (value: string) => Buffer.from(value, 'latin1');
const ACTOR = text('{"actor":"');
const CAUSATION = text('","causationId":');
const CORRELATION = text(',"correlationId":"');
const DATA = text('","data":');
const EVENT_ID = text(',"eventId":"');
const PREVIOUS_HASH = text('","previousHash":');
const RECORDED_AT = text(',"recordedAt":"');
const SCHEMA_VERSION = text('","schemaVersion":');
const STREAM_ID = text(',"streamId":"');
const STREAM_VERSION = text('","streamVersion":');
const TYPE = text(',"type":"');
const END = text('"}');
const NULL = text('null');
const QUOTE = text('"');

/**
 * The whole-log check's fast path over one line of COPY's text output (ledgerLog's LEDGER_EVENTS_SELECT): the
 * event's hashed text (eventHashOfCanonicalData's layout, data as canonicalJson) is assembled in one reused
 * buffer straight from the line's bytes, hashed, and compared with the stored hash; the stored hash's bytes then
 * give the Merkle leaf. No string is made of the line, its data or the hashed text.
 *
 * It takes the common line: no backslash except a `\N` null in causation_id or previous_hash (so no COPY
 * escape and no JSON escape anywhere), no double quote or control character in the text fields, a stored hash
 * of 64 lowercase hex digits, and data canonicalBytes can write. It declines anything else (undefined), and the
 * caller checks that line through the general path (ledgerEventOfCopyRow, checkedEventOfRow), which decides.
 */
export class CopyLineChecker {
  private readonly text = new CanonicalBytes();
  /** Field i is line[starts[i], ends[i]). */
  private readonly starts = new Int32Array(FIELDS);
  private readonly ends = new Int32Array(FIELDS);
  /** 0x00 then the stored hash's 32 bytes: the leaf hash's input (RFC 9162). */
  private readonly leafInput = Buffer.alloc(33);
  /**
   * The last line's stream id and stored hash: the next event of the same stream (an append of several events
   * lies together in the log) takes these strings again instead of new ones, and its previousHash is then the
   * very string its predecessor's hash is.
   */
  private lastStreamId = '';
  private lastHash = '';

  /** The event on `line[start, end)` (without its newline), checked; undefined when this path declines it. */
  check(line: Buffer, start: number, end: number): CheckedEvent | undefined {
    if (!this.split(line, start, end)) return undefined;
    const { starts, ends } = this;
    const streamVersion = integerOf(line, starts[Field.StreamVersion]!, ends[Field.StreamVersion]!);
    const schemaVersion = integerOf(line, starts[Field.SchemaVersion]!, ends[Field.SchemaVersion]!);
    if (streamVersion === undefined || schemaVersion === undefined) return undefined;
    if (!this.decodeStoredHash(line)) return undefined;
    const out = this.text;
    // The line's bytes bound the hashed text's, less data (canonical text is no longer than jsonb's), plus the keys.
    out.reset(end - start + 256);
    out.ascii(ACTOR);
    this.field(line, Field.Actor);
    out.ascii(CAUSATION);
    this.nullableString(line, Field.CausationId);
    out.ascii(CORRELATION);
    this.field(line, Field.CorrelationId);
    out.ascii(DATA);
    if (!this.writeData(line)) return undefined;
    out.ascii(EVENT_ID);
    this.field(line, Field.EventId);
    out.ascii(PREVIOUS_HASH);
    this.nullableString(line, Field.PreviousHash);
    out.ascii(RECORDED_AT);
    this.field(line, Field.RecordedAt);
    out.ascii(SCHEMA_VERSION);
    this.field(line, Field.SchemaVersion);
    out.ascii(STREAM_ID);
    this.field(line, Field.StreamId);
    out.ascii(STREAM_VERSION);
    this.field(line, Field.StreamVersion);
    out.ascii(TYPE);
    this.field(line, Field.Type);
    out.ascii(END);
    // As hex, compared with the stored hash's text (needed as a string anyway): no Buffer per digest.
    const hash = line.toString('latin1', starts[Field.Hash], ends[Field.Hash]);
    const matches = crypto.hash('sha256', out.bytes.subarray(0, out.length), 'hex') === hash;
    const streamId = this.streamIdOf(line);
    const previousHash = this.isNull(line, Field.PreviousHash) ? null : this.previousHashOf(line);
    this.lastHash = hash;
    return new CopyLineEvent(
      line.toString('latin1', start, ends[Field.EventId]),
      streamId,
      streamVersion,
      previousHash,
      hash,
      matches ? undefined : alteredEventReason(streamId, streamVersion),
      sha256(this.leafInput),
    );
  }

  /** The stream id (UTF-8), the last line's string when the bytes are the same. */
  private streamIdOf(line: Buffer): string {
    const start = this.starts[Field.StreamId]!;
    const end = this.ends[Field.StreamId]!;
    if (sameAsciiText(line, start, end, this.lastStreamId)) return this.lastStreamId;
    this.lastStreamId = line.toString('utf8', start, end);
    return this.lastStreamId;
  }

  /** previous_hash (not null), the last line's hash string when it is the same text. */
  private previousHashOf(line: Buffer): string {
    const start = this.starts[Field.PreviousHash]!;
    const end = this.ends[Field.PreviousHash]!;
    if (sameAsciiText(line, start, end, this.lastHash)) return this.lastHash;
    return line.toString('utf8', start, end);
  }

  /**
   * Finds the 14 tab-separated fields; false for another count, a backslash other than a `\N` null in
   * causation_id or previous_hash, or a double quote or control character outside data.
   */
  private split(line: Buffer, start: number, end: number): boolean {
    const { starts, ends } = this;
    let field = 0;
    let backslashes = 0;
    starts[0] = start;
    for (let index = start; index < end; index += 1) {
      const code = line[index]!;
      if (code === 0x09) {
        if (field === FIELDS - 1) return false;
        ends[field] = index;
        field += 1;
        starts[field] = index + 1;
      } else if (code === 0x5c) {
        backslashes += 1;
      } else if (code < 0x20 || (code === 0x22 && field !== Field.Data)) {
        return false;
      }
    }
    if (field !== FIELDS - 1) return false;
    ends[field] = end;
    if (backslashes === 0) return true;
    const nulls =
      (this.isNull(line, Field.CausationId) ? 1 : 0) + (this.isNull(line, Field.PreviousHash) ? 1 : 0);
    return backslashes === nulls;
  }

  private isNull(line: Buffer, field: Field): boolean {
    const start = this.starts[field]!;
    return this.ends[field]! - start === 2 && line[start] === 0x5c && line[start + 1] === 0x4e;
  }

  /** The stored hash's bytes into `leafInput` after its 0x00; false unless it is 64 lowercase hex digits. */
  private decodeStoredHash(line: Buffer): boolean {
    const start = this.starts[Field.Hash]!;
    if (this.ends[Field.Hash]! - start !== 64) return false;
    const leafInput = this.leafInput;
    for (let index = 0; index < 32; index += 1) {
      const high = HEX_DIGIT[line[start + 2 * index]!]!;
      const low = HEX_DIGIT[line[start + 2 * index + 1]!]!;
      if ((high | low) < 0) return false;
      leafInput[index + 1] = (high << 4) | low;
    }
    return true;
  }

  /** `data` as canonical JSON; false where canonicalBytes declines it, or nests too deep for its recursion. */
  private writeData(line: Buffer): boolean {
    try {
      return this.text.writeJsonbAsCanonical(line, this.starts[Field.Data]!, this.ends[Field.Data]!);
    } catch (error) {
      if (error instanceof RangeError) return false; // the call stack: the general path says what it can
      throw error;
    }
  }

  private field(line: Buffer, field: Field): void {
    this.text.copy(line, this.starts[field]!, this.ends[field]!);
  }

  /** A text field as a JSON string (no quote, backslash or control character in it: `split` saw to it), or null. */
  private nullableString(line: Buffer, field: Field): void {
    if (this.isNull(line, field)) {
      this.text.ascii(NULL);
      return;
    }
    this.text.ascii(QUOTE);
    this.field(line, field);
    this.text.ascii(QUOTE);
  }
}

/**
 * Whether `line[start, end)` is `text` in ASCII: then it decodes to `text` in any encoding (a byte above 0x7F
 * could match a character of `text` and still decode to another).
 */
function sameAsciiText(line: Buffer, start: number, end: number, text: string): boolean {
  if (end - start !== text.length) return false;
  for (let index = start; index < end; index += 1) {
    const code = line[index]!;
    if (code > 0x7f || code !== text.charCodeAt(index - start)) return false;
  }
  return true;
}

/** Each byte's value as a lowercase hex digit, or -1. */
const HEX_DIGIT = new Int8Array(256).fill(-1);
for (let digit = 0; digit < 16; digit += 1) HEX_DIGIT[digit.toString(16).charCodeAt(0)] = digit;

/**
 * An int4 column's text (an optional minus sign, then digits without a leading zero) as its number, whose
 * JSON.stringify is that same text; undefined for anything else.
 */
function integerOf(line: Buffer, start: number, end: number): number | undefined {
  let index = start;
  if (line[index] === 0x2d) index += 1;
  const digits = end - index;
  if (digits < 1 || digits > 10 || (digits > 1 && line[index] === 0x30)) return undefined;
  if (index > start && digits === 1 && line[index] === 0x30) return undefined; // -0
  let value = 0;
  for (; index < end; index += 1) {
    const code = line[index]!;
    if (code < 0x30 || code > 0x39) return undefined;
    value = value * 10 + (code - 0x30);
  }
  return line[start] === 0x2d ? -value : value;
}
