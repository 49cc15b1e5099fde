import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PostgresEventStore, canonicalJson, verifyLedger } from '../../../src/eventstore/index.js';
import { CanonicalBytes } from '../../../src/eventstore/ledger/canonicalBytes.js';
import {
  checkedEventOfRow,
  checkedEventsOfCopyBatch,
  type CheckedEvent,
} from '../../../src/eventstore/ledger/checkedEvents.js';
import { CopyLineChecker } from '../../../src/eventstore/ledger/copyLineCheck.js';
import { ledgerEventLines, ledgerEventOfCopyRow } from '../../../src/eventstore/ledger/ledgerLog.js';
import { postgresSkipReason, postgresTarget, type TestDatabase } from '../../support/databases.js';

if (postgresSkipReason) console.warn(`copyLineCheck.test.ts skipped: ${postgresSkipReason}`);

/**
 * The byte-level path of the whole-log check (CopyLineChecker over COPY's lines, canonicalJson written by
 * CanonicalBytes from jsonb's text) against the general path it stands in for (ledgerEventOfCopyRow and
 * checkedEventOfRow), on real COPY output of intact and tampered rows.
 */
describe.skipIf(postgresSkipReason !== undefined)('the COPY line fast path of verify (PostgreSQL)', () => {
  let database: TestDatabase;
  let store: PostgresEventStore;
  beforeAll(async () => {
    database = await postgresTarget!.open();
  });
  afterAll(() => database.close());
  beforeEach(async () => {
    await database.reset();
    store = new PostgresEventStore(database);
  });

  /** Waits until global readers see every event (PostgreSQL holds back events above running transactions). */
  async function visible(): Promise<void> {
    for (;;) {
      const { rows } = await sql<{ hidden: number }>`
        SELECT count(*)::int AS hidden FROM events
        WHERE transaction_id >= pg_snapshot_xmin(pg_current_snapshot())`.execute(database.db);
      if (rows[0]!.hidden === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Every line of the log's COPY output, with the fast path's event (undefined: declined) and the general one's. */
  async function bothPaths(): Promise<{ fast: CheckedEvent | undefined; general: CheckedEvent }[]> {
    await visible();
    const checker = new CopyLineChecker();
    return database.db
      .transaction()
      .setIsolationLevel('repeatable read')
      .setAccessMode('read only')
      .execute(async (trx) => {
        const lines: { fast: CheckedEvent | undefined; general: CheckedEvent }[] = [];
        for await (const batch of ledgerEventLines(database, trx)!) {
          for (
            let start = 0, end = batch.indexOf(0x0a);
            end >= 0;
            start = end + 1, end = batch.indexOf(0x0a, start)
          ) {
            lines.push({
              fast: checker.check(batch, start, end),
              general: checkedEventOfRow(ledgerEventOfCopyRow(batch.toString('utf8', start, end))),
            });
          }
        }
        return lines;
      });
  }

  const fields = (event: CheckedEvent) => ({
    transaction_id: event.transaction_id,
    global_position: event.global_position,
    event_id: event.event_id,
    stream_id: event.stream_id,
    stream_version: event.stream_version,
    previous_hash: event.previous_hash,
    hash: event.hash,
    altered: event.altered,
    leaf: event.leaf.toString('hex'),
  });

  async function appendValues(
    values: readonly unknown[],
    streamIds: readonly string[],
    actor = 'test',
  ): Promise<void> {
    for (let index = 0; index < values.length; index += 1) {
      await store.append(
        streamIds[index % streamIds.length]!,
        [{ type: 'ValueRecorded', data: { value: values[index] } }],
        'any',
        { actor, correlationId: `corr-${index}` },
      );
    }
  }

  it('gives the general path verdict for every line, taking the common ones itself', async () => {
    const values = fc
      .sample(fc.jsonValue({ maxDepth: 3 }), 150)
      .map((value) => JSON.parse(JSON.stringify(value)) as unknown)
      .filter((value) => !JSON.stringify(value).includes('\\u0000'));
    const plain = [
      {
        loss: 1 / 3,
        step: 7,
        stage: 'general',
        learningRate: 1e-5,
        metrics: { gradNorm: 1.25, entityLoss: 0.3 },
      },
      {
        big: 123456789012345680000,
        tiny: -1e-7,
        zero: 0,
        negative: -2.5,
        exact: 0.1,
        list: [1, 'é', null, true],
      },
      { b: { d: [], c: {} }, a: 'x', aa: 'y', ab: 'z', 'a!': 1, ' ': 2 },
    ];
    await appendValues(plain, ['plain', 'é-stream']);
    await appendValues(values, ['plain', 'odd\tstream "quoted"', 'é-stream'], 'ü "quoted" actor');
    await appendValues(values, ['plain', 'é-stream']);
    const lines = await bothPaths();
    expect(lines).toHaveLength(plain.length + 2 * values.length);
    for (const { fast, general } of lines) {
      expect(general.altered).toBeUndefined();
      if (fast) expect(fields(fast)).toEqual(fields(general));
    }
    // Events without escapes or non-ASCII keys, in text fields without a tab or quote, take the fast path.
    expect(lines.slice(0, plain.length).every(({ fast }) => fast !== undefined)).toBe(true);
    expect(lines.some(({ fast }) => fast === undefined)).toBe(true);
  });

  it('catches every tampered jsonb column, text field and stored hash the general path catches', async () => {
    await appendValues(
      [
        { loss: 0.5, step: 1, nested: { b: 1, a: [1, 2] } },
        { loss: 0.25, step: 2, nested: { b: 2, a: [3] } },
        { loss: 0.125, step: 3, nested: { b: 3, a: [] } },
        { loss: 0.0625, step: 4, nested: { b: 4, a: [5] } },
        { loss: 0.03125, step: 5, nested: { b: 5, a: [6] } },
        { loss: 0.015625, step: 6, nested: { b: 6, a: [7] } },
        { loss: 0.0078125, step: 7, nested: { b: 7, a: [8] } },
      ],
      ['run-a'],
    );
    const versions = await sql<{
      stream_version: number;
    }>`SELECT stream_version FROM events ORDER BY stream_version`.execute(database.db);
    expect(versions.rows).toHaveLength(7);
    await database.db.transaction().execute(async (trx) => {
      await sql`SET LOCAL session_replication_role = replica`.execute(trx);
      // A number, a nested key, an array element, an added key, the actor, and the stored hash written in
      // capitals (the same bytes, not the same text).
      await sql`UPDATE events SET data = jsonb_set(data, '{value,loss}', '0.5000001') WHERE stream_version = 1`.execute(
        trx,
      );
      await sql`UPDATE events SET data = '{"value": {"loss": 0.25, "step": 2, "nested": {"c": 2, "a": [3]}}}'
        WHERE stream_version = 2`.execute(trx);
      await sql`UPDATE events SET data = jsonb_set(data, '{value,nested,a}', '[0]') WHERE stream_version = 3`.execute(
        trx,
      );
      await sql`UPDATE events SET data = jsonb_set(data, '{value,extra}', '"x"') WHERE stream_version = 4`.execute(
        trx,
      );
      await sql`UPDATE events SET actor = 'mallory' WHERE stream_version = 5`.execute(trx);
      await sql`UPDATE events SET hash = upper(hash) WHERE stream_version = 6`.execute(trx);
    });
    const lines = await bothPaths();
    const altered = lines.map(({ general }) => general.altered !== undefined);
    expect(altered).toEqual([true, true, true, true, true, true, false]);
    for (const { fast, general } of lines) if (fast) expect(fields(fast)).toEqual(fields(general));
    // Only the capitalised hash leaves the fast path.
    expect(lines.map(({ fast }) => fast !== undefined)).toEqual([true, true, true, true, true, false, true]);

    const verdict = await verifyLedger(database);
    expect(verdict.ok).toBe(false);
    expect(
      verdict.problems.filter((problem) => problem.kind === 'altered').map((p) => p.streamVersion),
    ).toEqual([1, 2, 3, 4, 5, 6]);
  });
});

describe('checkedEventsOfCopyBatch', () => {
  it('hands data nested too deep for the byte path to the general path instead of failing verify', () => {
    const depth = 200_000;
    const data = `${'['.repeat(depth)}${']'.repeat(depth)}`;
    const hash = 'ab'.repeat(32);
    const line = [
      '7',
      '1',
      '01a252cc-9ae6-755e-8047-9e5ae35699a3',
      'deep',
      '1',
      'Deep',
      '1',
      data,
      'test',
      'c',
      '\\N',
      '2026-12-07T23:17:50.438Z',
      '\\N',
      hash,
    ].join('\t');
    const [event] = checkedEventsOfCopyBatch(Buffer.from(`${line}\n`));
    expect(event).toMatchObject({ stream_id: 'deep', stream_version: 1, hash });
    expect(event!.altered).toBeDefined();
  });
});

describe('CopyLineChecker on consecutive lines', () => {
  /** A COPY line (bytes) of an event of `streamId` (raw bytes) after `previousHash` (or `\\N`). */
  const lineOf = (streamId: Buffer, version: number, previousHash: string, hash: string) =>
    Buffer.concat([
      Buffer.from(`7\t${version}\t01a252cc-9ae6-755e-8047-9e5ae35699a${version}\t`),
      streamId,
      Buffer.from(
        `\t${version}\tValueRecorded\t1\t{"value": ${version}}\ttest\tc\t\\N\t2026-12-07T23:17:50.438Z\t` +
          `${previousHash}\t${hash}`,
      ),
    ]);
  const fields = (event: CheckedEvent) => [event.stream_id, event.previous_hash, event.hash, event.event_id];

  it("takes the last line's stream id and hash strings again only for the same ASCII bytes", () => {
    const first = 'ab'.repeat(32);
    const second = 'cd'.repeat(32);
    const lines = [
      lineOf(Buffer.from('é', 'utf8'), 1, '\\N', first),
      // One byte that is 'é' in latin1 (and not UTF-8): the same length and char code as the last stream id.
      lineOf(Buffer.from([0xe9]), 2, first, second),
      lineOf(Buffer.from([0xe9]), 3, second, first),
      // The previous hash in capitals: not the last hash's text.
      lineOf(Buffer.from('run', 'utf8'), 4, first.toUpperCase(), second),
      lineOf(Buffer.from('run', 'utf8'), 5, second, first),
      lineOf(Buffer.from('ruN', 'utf8'), 6, first, second),
    ];
    const checker = new CopyLineChecker();
    const fast = lines.map((line) => checker.check(line, 0, line.length));
    const general = lines.map((line) => checkedEventOfRow(ledgerEventOfCopyRow(line.toString('utf8'))));
    expect(fast.every((event) => event !== undefined)).toBe(true);
    expect(fast.map((event) => fields(event!))).toEqual(general.map(fields));
    expect(fast.map((event) => event!.stream_id)).toEqual(['é', '\uFFFD', '\uFFFD', 'run', 'run', 'ruN']);
    expect(fast[3]!.previous_hash).toBe(first.toUpperCase());
    expect(fast[4]!.previous_hash).toBe(second);
  });
});

describe('CanonicalBytes', () => {
  const write = (jsonbText: string): string | undefined => {
    const out = new CanonicalBytes();
    const source = Buffer.from(`\t${jsonbText}\t`);
    out.reset(source.length);
    return out.writeJsonbAsCanonical(source, 1, source.length - 1)
      ? out.bytes.toString('utf8', 0, out.length)
      : undefined;
  };

  it('writes canonicalJson from jsonb text: keys re-sorted at every level, spaces dropped, numbers as JavaScript prints them', () => {
    expect(
      write(
        '{"b": 1, "a": {"zz": [1, 2.5, "x y"], "y": null}, "aa": true, "ab": false, "learningRate": 0.00001}',
      ),
    ).toBe(
      canonicalJson({
        b: 1,
        a: { zz: [1, 2.5, 'x y'], y: null },
        aa: true,
        ab: false,
        learningRate: 0.00001,
      }),
    );
    expect(write('[0.30000000000000004, 123456789012345678901, -0, 0.10, 1.5, 0.000001, 0.0000001]')).toBe(
      '[0.30000000000000004,123456789012345680000,0,0.1,1.5,0.000001,1e-7]',
    );
    expect(write('"é 😀"')).toBe('"é 😀"');
    expect(write('{}')).toBe('{}');
    expect(write('[]')).toBe('[]');
  });

  it('declines what the general path must decide: escapes, non-ASCII keys, repeated keys, text that is not jsonb', () => {
    for (const text of [
      '"a\\"b"',
      '{"é": 1}',
      '{"a": 1, "a": 2}',
      '{"a":1}',
      '[1,2]',
      '{"a": 1',
      '01',
      '1e5x',
      'nul',
      '',
    ]) {
      expect(write(text), text).toBeUndefined();
    }
  });
});
