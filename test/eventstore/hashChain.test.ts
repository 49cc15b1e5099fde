import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../src/eventstore/eventStore.js';
import {
  StreamChainCursor,
  eventHash,
  eventHashOfCanonicalData,
  hashedFieldsOf,
  verifyChain,
  type HashedFields,
} from '../../src/eventstore/hashChain.js';
import { canonicalJson } from '../../src/eventstore/canonicalJson.js';

// The hash chain on its own, without a database: the stores' contract tests check it end to end.

const fields: HashedFields = {
  eventId: '0b7e1c52-0000-4000-8000-000000000001',
  streamId: 'run-1',
  streamVersion: 1,
  type: 'RunStarted',
  schemaVersion: 2,
  data: { z: [1, 'two', null], a: { 'quote"d': 'é\n' } },
  actor: 'worker:"train"',
  correlationId: 'corr-1',
  causationId: null,
  recordedAt: '2026-12-07T14:00:00.000Z',
  previousHash: null,
};

/** A stream of `count` correctly chained events, as a store would record them. */
function chain(streamId: string, count: number): RecordedEvent[] {
  const events: RecordedEvent[] = [];
  let previousHash: string | null = null;
  for (let version = 1; version <= count; version++) {
    const hashed: HashedFields = {
      ...fields,
      eventId: `event-${version}`,
      streamId,
      streamVersion: version,
      data: { step: version },
      causationId: version > 1 ? `event-${version - 1}` : null,
      previousHash,
    };
    const hash = eventHash(hashed);
    events.push({
      eventId: hashed.eventId,
      streamId,
      streamVersion: version,
      checkpoint: String(version),
      type: hashed.type,
      schemaVersion: hashed.schemaVersion,
      data: hashed.data,
      metadata: {
        actor: hashed.actor,
        correlationId: hashed.correlationId,
        causationId: hashed.causationId,
        recordedAt: hashed.recordedAt,
        previousHash,
        hash,
      },
    });
    previousHash = hash;
  }
  return events;
}

describe('eventHash', () => {
  it('is sha256 over the canonical JSON of every hashed field', () => {
    expect(eventHash(fields)).toBe(createHash('sha256').update(canonicalJson(fields, 'event')).digest('hex'));
  });

  it('changes when any one hashed field changes', () => {
    const changed: Partial<HashedFields>[] = [
      { eventId: 'other' },
      { streamId: 'run-2' },
      { streamVersion: 2 },
      { type: 'RunFinished' },
      { schemaVersion: 3 },
      { data: { z: [1, 'two', null], a: { 'quote"d': 'é' } } },
      { actor: 'someone else' },
      { correlationId: 'corr-2' },
      { causationId: 'cause' },
      { recordedAt: '2026-12-07T14:00:00.001Z' },
      { previousHash: 'a'.repeat(64) },
    ];
    const hashes = new Set([
      eventHash(fields),
      ...changed.map((change) => eventHash({ ...fields, ...change })),
    ]);
    expect(hashes.size).toBe(changed.length + 1);
  });
});

describe('eventHashOfCanonicalData', () => {
  it('gives the same hash as eventHash when the data is passed as canonical JSON text', () => {
    const variants: HashedFields[] = [
      fields,
      { ...fields, causationId: 'cause-"1"', previousHash: 'f'.repeat(64), streamVersion: 12 },
      { ...fields, data: [], type: 'Tab\there', actor: '\u2028' },
      { ...fields, data: 'a string', schemaVersion: 10 },
    ];
    for (const variant of variants) {
      expect(eventHashOfCanonicalData(variant, canonicalJson(variant.data))).toBe(eventHash(variant));
    }
  });

  it('hashes the data text it is given, not the data field', () => {
    expect(eventHashOfCanonicalData(fields, '{"other":1}')).toBe(
      eventHash({ ...fields, data: { other: 1 } }),
    );
  });
});

describe('hashedFieldsOf', () => {
  it('takes every hashed field from the recorded event and its metadata, and leaves out the checkpoint and hash', () => {
    const [event] = chain('run-3', 1);
    expect(hashedFieldsOf(event!)).toEqual({
      eventId: 'event-1',
      streamId: 'run-3',
      streamVersion: 1,
      type: fields.type,
      schemaVersion: fields.schemaVersion,
      data: { step: 1 },
      actor: fields.actor,
      correlationId: fields.correlationId,
      causationId: null,
      recordedAt: fields.recordedAt,
      previousHash: null,
    });
  });
});

describe('StreamChainCursor', () => {
  it('starts before version 1 with no hash, and moves only on an event that follows', () => {
    const cursor = new StreamChainCursor();
    expect(cursor.version).toBe(0);
    expect(cursor.hash).toBeNull();
    expect(cursor.follow({ streamVersion: 2, previousHash: null, hash: 'h2' })).toBe(
      'version 1 is missing (found 2)',
    );
    expect(cursor.follow({ streamVersion: 1, previousHash: 'h0', hash: 'h1' })).toBe(
      'previousHash does not match the hash of version 0',
    );
    expect([cursor.version, cursor.hash]).toEqual([0, null]);
    expect(cursor.follow({ streamVersion: 1, previousHash: null, hash: 'h1' })).toBeUndefined();
    expect([cursor.version, cursor.hash]).toEqual([1, 'h1']);
    expect(cursor.follow({ streamVersion: 2, previousHash: 'h1', hash: 'h2' })).toBeUndefined();
    expect([cursor.version, cursor.hash]).toEqual([2, 'h2']);
  });

  it('refuses a repeated or skipped version and a link to another hash, and stays where it was', () => {
    const cursor = new StreamChainCursor();
    cursor.follow({ streamVersion: 1, previousHash: null, hash: 'h1' });
    expect(cursor.follow({ streamVersion: 1, previousHash: null, hash: 'again' })).toBe(
      'version 2 is missing (found 1)',
    );
    expect(cursor.follow({ streamVersion: 3, previousHash: 'h1', hash: 'h3' })).toBe(
      'version 2 is missing (found 3)',
    );
    expect(cursor.follow({ streamVersion: 2, previousHash: null, hash: 'h2' })).toBe(
      'previousHash does not match the hash of version 1',
    );
    expect([cursor.version, cursor.hash]).toEqual([1, 'h1']);
  });
});

describe('verifyChain', () => {
  it('accepts an intact chain and counts its events; an empty stream is intact with none', () => {
    expect(verifyChain('s', chain('s', 3))).toEqual({ ok: true, streamId: 's', eventsChecked: 3 });
    expect(verifyChain('empty', [])).toEqual({ ok: true, streamId: 'empty', eventsChecked: 0 });
  });

  it('names the first missing version', () => {
    const events = chain('s', 4);
    expect(verifyChain('s', [events[0]!, events[1]!, events[3]!])).toEqual({
      ok: false,
      streamId: 's',
      eventsChecked: 3,
      firstBrokenVersion: 3,
      reason: 'version 3 is missing (found 4)',
    });
  });

  it('refuses a first event that names a predecessor', () => {
    const [first] = chain('s', 1);
    const linked = { ...first!, metadata: { ...first!.metadata, previousHash: 'a'.repeat(64) } };
    expect(verifyChain('s', [linked])).toMatchObject({
      ok: false,
      eventsChecked: 1,
      firstBrokenVersion: 1,
      reason: 'previousHash does not match the hash of version 0',
    });
  });

  it('refuses an event whose content no longer matches its hash, at that version', () => {
    const events = chain('s', 3);
    events[1] = { ...events[1]!, data: { step: 20 } };
    const result = verifyChain('s', events);
    expect(result).toMatchObject({ ok: false, streamId: 's', eventsChecked: 2, firstBrokenVersion: 2 });
    expect(result.reason).toBe("hash does not match the event's content (event event-2 was altered)");
  });

  it('refuses altered metadata as it refuses altered data', () => {
    const events = chain('s', 2);
    events[1] = { ...events[1]!, metadata: { ...events[1]!.metadata, actor: 'intruder' } };
    expect(verifyChain('s', events)).toMatchObject({ ok: false, firstBrokenVersion: 2 });
  });

  it('reports content that cannot be hashed as a broken link instead of throwing', () => {
    const events = chain('s', 2);
    events[1] = { ...events[1]!, data: { loss: Number.NaN } };
    const result = verifyChain('s', events);
    expect(result).toMatchObject({ ok: false, eventsChecked: 2, firstBrokenVersion: 2 });
    // The reason names where in the event the value is, so an operator can find it.
    expect(result.reason).toMatch(/^content cannot be hashed: event\.data\.loss is NaN/);
  });
});
