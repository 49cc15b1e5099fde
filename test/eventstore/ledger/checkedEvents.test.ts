import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresEventStore, type RecordedEvent } from '../../../src/eventstore/index.js';
import {
  checkedEventOfCopyLineBytes,
  checkedEventOfRow,
  checkedEventsOfCopyBatch,
  type CheckedEvent,
} from '../../../src/eventstore/ledger/checkedEvents.js';
import { ledgerEventLines, ledgerEventOfCopyRow } from '../../../src/eventstore/ledger/ledgerLog.js';
import { postgresTarget, type TestDatabase } from '../../support/databases.js';

/**
 * verify hashes most COPY lines straight from their bytes (the byte path) and the others through a decoded row
 * (the general path, which rebuilds canonical JSON from jsonb's text). Both must give the same verdict for every
 * line, intact or altered: the lines here come from PostgreSQL's own COPY of events the event store wrote.
 */
describe.runIf(postgresTarget)('checked events from COPY lines (PostgreSQL)', () => {
  let database: TestDatabase;
  let store: PostgresEventStore;
  beforeAll(async () => {
    database = await postgresTarget!.open();
    store = new PostgresEventStore(database);
  });
  afterAll(() => database.close());

  /** Every COPY line of the log, without its newline, as verify reads it (once global readers see every event). */
  async function copyLines(): Promise<Buffer[]> {
    for (;;) {
      const { rows } = await sql<{ hidden: number }>`
        SELECT count(*)::int AS hidden FROM events
        WHERE transaction_id >= pg_snapshot_xmin(pg_current_snapshot())`.execute(database.db);
      if (rows[0]!.hidden === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return database.db
      .transaction()
      .setIsolationLevel('repeatable read')
      .setAccessMode('read only')
      .execute(async (trx) => {
        const lines: Buffer[] = [];
        for await (const batch of ledgerEventLines(database, trx)!) {
          for (
            let start = 0, end = batch.indexOf(0x0a);
            end >= 0;
            start = end + 1, end = batch.indexOf(0x0a, start)
          )
            lines.push(Buffer.from(batch.subarray(start, end)));
        }
        return lines;
      });
  }

  const general = (line: Buffer): CheckedEvent =>
    checkedEventOfRow(ledgerEventOfCopyRow(line.toString('utf8')));

  /** Each line's verdict by the byte path (where it takes the line) equals the general path's; returns how many it took. */
  function expectSameVerdicts(lines: readonly Buffer[]): number {
    let taken = 0;
    for (const line of lines) {
      const expected = general(line);
      const bytes = checkedEventOfCopyLineBytes(line);
      if (bytes) {
        taken += 1;
        expect(bytes, line.toString('utf8')).toEqual(expected);
      }
      expect(checkedEventsOfCopyBatch(Buffer.concat([line, Buffer.from('\n')]))).toEqual([expected]);
    }
    return taken;
  }

  const values: unknown[] = [
    {
      step: 3,
      stage: 'general',
      loss: 1 / 3,
      learningRate: 1e-5,
      tokensPerSecond: 2100,
      metrics: { gradNorm: 1.25, entityLoss: 0.3 },
    },
    {
      b: 1,
      a: 2,
      aa: 3,
      'a!': 4,
      ' ': 5,
      'a ': 6,
      B: 7,
      _: 8,
      '~': 9,
      ab: { z: [{ y: 1, x: [] }, {}], a: 'é 中文 😀 \u2028' },
    },
    [
      1e-7,
      1e-6,
      0.000001234,
      1e21,
      1e20,
      123456789012345680,
      0.1,
      1 / 3,
      -2.5,
      12345.678901234,
      2 ** 53,
      100,
      -100,
      0,
    ],
    [-0.000001, 5e-324, 1.7976931348623157e308, -1e-7, 1.5e300, 999999999999999, 1000000000000000, 10.5, 0.5],
    { long: 'x'.repeat(300), nested: { deeper: { deepest: [true, false, null, 'y'.repeat(70)] } }, k: {} },
    { é: 1, e: 2, ü: [1] },
    'just a string',
    42,
    null,
    true,
    [],
    {},
  ];

  it('gives the general path verdict for every line, intact or altered in any field', async () => {
    const written: RecordedEvent[] = [];
    for (const [index, data] of values.entries()) {
      const result = await store.append(
        `mixed-${index}`,
        [
          { type: 'MetricLogged', data },
          { type: 'MetricLogged', data: { index } },
        ],
        'no_stream',
        {
          actor: index % 2 === 0 ? 'engineer@example.com' : 'ü-actor',
          ...(index % 3 === 0 ? { causationId: 'cause-1' } : {}),
        },
      );
      written.push(...result.events);
    }
    const intact = await copyLines();
    expect(intact).toHaveLength(written.length);
    const taken = expectSameVerdicts(intact);
    expect(intact.map((line) => general(line).altered)).toEqual(intact.map(() => undefined));
    // The byte path takes every line here but the one whose keys are not plain ASCII.
    expect(taken).toBe(intact.length - 1);

    // Altered without recomputing the hash, one field at a time (triggers off, as an attacker with the database would).
    await database.db.transaction().execute(async (trx) => {
      await sql`SET LOCAL session_replication_role = replica`.execute(trx);
      const at = (n: number) => written[n]!.eventId;
      await sql`UPDATE events SET data = jsonb_set(data, '{step}', '4') WHERE event_id = ${at(0)}`.execute(
        trx,
      );
      await sql`UPDATE events SET data = data - 'a' WHERE event_id = ${at(2)}`.execute(trx);
      await sql`UPDATE events SET data = '[1e-7, 1e-6]' WHERE event_id = ${at(4)}`.execute(trx);
      await sql`UPDATE events SET actor = 'someone else' WHERE event_id = ${at(6)}`.execute(trx);
      await sql`UPDATE events SET recorded_at = recorded_at + interval '1 ms' WHERE event_id = ${at(8)}`.execute(
        trx,
      );
      await sql`UPDATE events SET causation_id = NULL WHERE event_id = ${at(12)}`.execute(trx);
      await sql`UPDATE events SET type = 'Other' WHERE event_id = ${at(14)}`.execute(trx);
      await sql`UPDATE events SET schema_version = 2 WHERE event_id = ${at(16)}`.execute(trx);
      await sql`UPDATE events SET previous_hash = NULL WHERE event_id = ${at(17)}`.execute(trx);
      await sql`UPDATE events SET correlation_id = 'c' WHERE event_id = ${at(18)}`.execute(trx);
      await sql`UPDATE events SET data = '{"k": "with \\"escape\\""}' WHERE event_id = ${at(20)}`.execute(
        trx,
      );
      await sql`UPDATE events SET hash = upper(hash) WHERE event_id = ${at(22)}`.execute(trx);
    });
    const altered = await copyLines();
    expectSameVerdicts(altered);
    const alteredIds = new Set([0, 2, 4, 6, 8, 12, 14, 16, 17, 18, 20, 22].map((n) => written[n]!.eventId));
    for (const line of altered) {
      const verdict = general(line);
      expect(verdict.altered !== undefined, verdict.event_id).toBe(alteredIds.has(verdict.event_id));
    }
  });

  it('agrees with the general path for any JSON data', async () => {
    const samples = fc
      .sample(fc.jsonValue({ maxDepth: 4 }), 300)
      .map((value) => JSON.parse(JSON.stringify(value)) as unknown)
      .filter((value) => !JSON.stringify(value).includes('\\u0000'));
    await store.appendMany(
      samples.map((data, index) => ({
        streamId: `any-${index}`,
        expected: 'no_stream',
        context: { actor: 'property' },
        events: [{ type: 'MetricLogged', data }],
      })),
    );
    const lines = await copyLines();
    expect(lines.length).toBeGreaterThan(samples.length);
    expect(expectSameVerdicts(lines)).toBeGreaterThan(lines.length / 3);
  });
});
