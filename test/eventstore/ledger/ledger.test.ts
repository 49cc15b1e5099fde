import { sql } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startLedgerCheckpointer } from '../../../src/app/ledgerCheckpointer.js';
import {
  PostgresEventStore,
  eventHash,
  generateLedgerKeyPair,
  parseLedgerSigningKey,
  readCheckpointEvents,
  recordLedgerCheckpoint,
  verifyLedger,
  type LedgerSigningKey,
  type RecordedEvent,
  type SignedCheckpoint,
} from '../../../src/eventstore/index.js';
import { hashedFieldsOf } from '../../../src/eventstore/hashChain.js';
import { databaseTargets, type TestDatabase } from '../../support/databases.js';

const keyA = parseLedgerSigningKey(generateLedgerKeyPair().privateKeyPem, 'key A');
const keyB = parseLedgerSigningKey(generateLedgerKeyPair().privateKeyPem, 'key B');
const actor = { actor: 'test' };

for (const target of databaseTargets) {
  describe(`ledger on ${target.name}`, () => {
    let database: TestDatabase;
    let store: PostgresEventStore;
    beforeAll(async () => {
      database = await target.open();
    });
    afterAll(() => database.close());
    beforeEach(async () => {
      await database.reset();
      store = new PostgresEventStore(database);
    });

    /** Three streams of four events, interleaved in the global log. */
    async function writeLog(prefix = 'run'): Promise<RecordedEvent[]> {
      const written: RecordedEvent[] = [];
      for (let step = 1; step <= 4; step += 1) {
        for (const name of ['a', 'b', 'c']) {
          const result = await store.append(
            `${prefix}-${name}`,
            [{ type: 'MetricLogged', data: { step, loss: 1 / step, nested: { name, tags: ['x', step] } } }],
            step - 1,
            actor,
          );
          written.push(...result.events);
        }
      }
      await visible();
      return written;
    }

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

    async function checkpoint(key: LedgerSigningKey = keyA): Promise<SignedCheckpoint> {
      const recorded = await recordLedgerCheckpoint(database, store, key, { batchSize: 5 });
      await visible();
      return recorded.checkpoint;
    }

    /** Changes rows as an attacker with full database access would: triggers off. */
    async function tamper(statements: (trx: typeof database.db) => Promise<void>): Promise<void> {
      await database.db.transaction().execute(async (trx) => {
        await sql`SET LOCAL session_replication_role = replica`.execute(trx);
        await statements(trx);
      });
    }

    const verify = (kept?: SignedCheckpoint) =>
      verifyLedger(database, { publicKey: keyA.publicKey, kept, batchSize: 4 });

    it('passes an intact log with its checkpoints and a kept one, and extends checkpoints incrementally', async () => {
      await writeLog();
      const first = await checkpoint();
      expect(first).toMatchObject({ treeSize: 12, keyId: keyA.publicKey.keyId });
      await writeLog('later');
      const second = await checkpoint();
      // The first checkpoint's event is leaf 12: the second tree covers it too.
      expect(second.treeSize).toBe(25);
      const verdict = await verify(first);
      expect(verdict).toMatchObject({
        ok: true,
        eventsChecked: 26,
        treeSize: 26,
        checkpointsChecked: 2,
        signaturesChecked: true,
        problemCount: 0,
        streamsChecked: 7,
      });
      // Continuing from the first checkpoint's subtrees gives the root hashing everything from scratch gives.
      await tamper(async (trx) => {
        await sql`DELETE FROM events WHERE stream_id = 'ledger-checkpoints'`.execute(trx);
        await sql`DELETE FROM streams WHERE stream_id = 'ledger-checkpoints'`.execute(trx);
      });
      const fresh = await recordLedgerCheckpoint(database, store, keyA);
      expect(fresh.checkpoint.treeSize).toBe(24);
      await visible();
      expect((await verify()).ok).toBe(true);
    });

    it('reads back every character as it was hashed: tabs, newlines, backslashes, quotes, control and astral characters', async () => {
      // COPY's text format escapes tab, newline, carriage return and backslash (and \\N means null): text holding
      // them, in data and in the stream id, actor and correlation id, must hash as it was written.
      const odd = 'tab\there\nline\r\\N back\\slash "quoted" \u0001\u000b\u001f é 中文 😀 \\t';
      const written: RecordedEvent[] = [];
      for (const streamId of [`odd\t${odd}`, 'plain']) {
        const result = await store.append(
          streamId,
          [
            { type: 'MetricLogged', data: { text: odd, [odd]: [odd, 1.5, null, true], '\\N': '\\N' } },
            {
              type: 'MetricLogged',
              data: { 'a\tb': { 'c\nd': 'e\\f' }, n: -0.000001, big: 1234567890123456.8 },
            },
          ],
          0,
          { actor: `actor\n${odd}`, correlationId: `corr\t${odd}` },
        );
        written.push(...result.events);
      }
      await visible();
      await checkpoint();
      expect(await verify()).toMatchObject({ ok: true, eventsChecked: 5, problemCount: 0 });
      // The same text, altered by one escaped character, is caught.
      const target = written[0]!;
      await tamper(async (trx) => {
        await sql`UPDATE events SET data = jsonb_set(data, '{text}', to_jsonb(${odd.replace('\t', '\n')}::text))
          WHERE event_id = ${target.eventId}`.execute(trx);
      });
      const verdict = await verify();
      expect(verdict.ok).toBe(false);
      expect(verdict.problems[0]).toMatchObject({
        kind: 'altered',
        streamId: target.streamId,
        streamVersion: 1,
        eventId: target.eventId,
        leafIndex: 0,
      });
    });

    it('names an event updated in place (hash not recomputed)', async () => {
      const events = await writeLog();
      const kept = await checkpoint();
      const target = events.find((e) => e.streamId === 'run-b' && e.streamVersion === 2)!;
      await tamper(async (trx) => {
        await sql`UPDATE events SET data = '{"step": 2, "loss": 0.0001}'::jsonb WHERE event_id = ${target.eventId}`.execute(
          trx,
        );
      });
      const verdict = await verify(kept);
      expect(verdict.ok).toBe(false);
      expect(verdict.problems[0]).toMatchObject({
        kind: 'altered',
        streamId: 'run-b',
        streamVersion: 2,
        eventId: target.eventId,
        leafIndex: 4,
      });
      expect(verdict.problems[0]!.globalPosition).toBe(positionOf(target));
    });

    it('names the version a middle delete removed', async () => {
      const events = await writeLog();
      await checkpoint();
      const target = events.find((e) => e.streamId === 'run-a' && e.streamVersion === 2)!;
      await tamper(async (trx) => {
        await sql`DELETE FROM events WHERE event_id = ${target.eventId}`.execute(trx);
      });
      const verdict = await verify();
      expect(verdict.ok).toBe(false);
      expect(verdict.problems.map((p) => p.kind)).toEqual(
        expect.arrayContaining(['unlinked', 'root-mismatch']),
      );
      expect(verdict.problems.find((p) => p.kind === 'unlinked')).toMatchObject({
        streamId: 'run-a',
        streamVersion: 2,
      });
      // Global order: the tree diverges from leaf 3, where run-a version 2 was.
      expect(verdict.problems[0]).toMatchObject({ kind: 'root-mismatch', leafIndex: 0 });
    });

    it('names a deleted tail event by the version the streams table still records', async () => {
      await writeLog();
      await tamper(async (trx) => {
        await sql`DELETE FROM events WHERE stream_id = 'run-c' AND stream_version = 4`.execute(trx);
      });
      const verdict = await verify();
      expect(verdict.ok).toBe(false);
      expect(verdict.problems[0]).toMatchObject({ kind: 'stream-head', streamId: 'run-c', streamVersion: 4 });
      expect(verdict.problems[0]!.reason).toMatch(
        /streams table records run-c at version 4 .* ends at version 3/,
      );
    });

    it('names a stream whose versions were reordered in the global log', async () => {
      const events = await writeLog();
      const [v2, v3] = [2, 3].map((v) =>
        events.find((e) => e.streamId === 'run-a' && e.streamVersion === v)!,
      );
      await swapPlaces(v2!, v3!);
      const verdict = await verify();
      expect(verdict.ok).toBe(false);
      expect(verdict.problems[0]).toMatchObject({
        kind: 'out-of-order',
        streamId: 'run-a',
        streamVersion: 3,
        globalPosition: positionOf(v2!),
      });
    });

    it('catches events of different streams reordered under a checkpoint', async () => {
      const events = await writeLog();
      await checkpoint();
      const [x, y] = [events[7]!, events[8]!]; // run-c version 2 and run-a version 3: no stream order changes
      await swapPlaces(x, y);
      const verdict = await verify();
      expect(verdict.ok).toBe(false);
      expect(verdict.problems).toHaveLength(1);
      expect(verdict.problems[0]).toMatchObject({ kind: 'root-mismatch' });
      expect(verdict.problems[0]!.reason).toMatch(
        /first 12 events do not hash to the root signed by the checkpoint/,
      );
    });

    it('catches a truncated log through a kept checkpoint, even with the streams table put back', async () => {
      await writeLog();
      const kept = await checkpoint();
      expect((await verify(kept)).ok).toBe(true);
      await tamper(async (trx) => {
        // The last event of each stream goes, the checkpoint event with it, and the heads are rewound.
        await sql`DELETE FROM events WHERE stream_version = 4 OR stream_id = 'ledger-checkpoints'`.execute(
          trx,
        );
        await sql`DELETE FROM streams WHERE stream_id = 'ledger-checkpoints'`.execute(trx);
        await sql`UPDATE streams s SET version = 3, last_hash = e.hash FROM events e
                  WHERE e.stream_id = s.stream_id AND e.stream_version = 3`.execute(trx);
      });
      // Nothing inside the database gives it away...
      expect((await verify()).ok).toBe(true);
      // ...but the checkpoint kept elsewhere does.
      const verdict = await verify(kept);
      expect(verdict.ok).toBe(false);
      expect(verdict.problems.map((p) => p.kind)).toEqual(expect.arrayContaining(['truncated']));
      expect(verdict.problems.find((p) => p.leafIndex !== undefined)).toMatchObject({
        kind: 'truncated',
        leafIndex: 9,
      });
    });

    it('catches a stream re-chained with recomputed hashes through the signed root', async () => {
      const events = await writeLog();
      const kept = await checkpoint();
      await rechain('run-b', 2, events, { rechainSuccessors: true });
      const verdict = await verify(kept);
      expect(verdict.ok).toBe(false);
      // Every hash and link holds: only the signed roots differ, from the first leaf they cover.
      expect(verdict.problems).toHaveLength(1);
      expect(verdict.problems[0]).toMatchObject({ kind: 'root-mismatch', streamId: 'run-a', leafIndex: 0 });
      expect(verdict.problems[0]!.reason).toMatch(/first 12 events .* among leaves 0\.\.11 /);
      expect(verdict.problemCount).toBe(2); // the recorded checkpoint and the kept one
    });

    it('names the successor whose link breaks when only the altered event is re-hashed', async () => {
      const events = await writeLog();
      await rechain('run-b', 2, events, { rechainSuccessors: false });
      const verdict = await verify();
      expect(verdict.ok).toBe(false);
      expect(verdict.problems[0]).toMatchObject({ kind: 'unlinked', streamId: 'run-b', streamVersion: 3 });
      expect(verdict.problems[0]!.reason).toMatch(/previousHash does not match the hash of version 2/);
    });

    it('records no periodic checkpoint while only checkpoints were appended, and the server checkpointer signs one', async () => {
      await writeLog();
      const first = await recordLedgerCheckpoint(database, store, keyA, { skipWhenIdle: true });
      expect(first.event).toBeDefined();
      const idle = await recordLedgerCheckpoint(database, store, keyA, { skipWhenIdle: true });
      expect(idle).toEqual({ checkpoint: first.checkpoint });
      await store.append('run-a', [{ type: 'MetricLogged', data: { step: 5 } }], 4, actor);
      await visible();
      const checkpointer = startLedgerCheckpointer({
        database,
        store,
        key: keyA,
        intervalSeconds: 0.05,
        logger: pino({ level: 'silent' }),
      });
      try {
        await vi.waitFor(
          async () => {
            const rows = await readCheckpointEvents(database.db);
            expect(rows.map((row) => (row.data as { treeSize: number }).treeSize)).toEqual([12, 14]);
          },
          { timeout: 30_000, interval: 50 },
        );
      } finally {
        await checkpointer.stop();
      }
      await visible();
      expect((await verify()).ok).toBe(true);
    });

    it('refuses a checkpoint signed by another key', async () => {
      await writeLog();
      await checkpoint(keyB);
      const verdict = await verify();
      expect(verdict.ok).toBe(false);
      expect(verdict.problems[0]).toMatchObject({
        kind: 'checkpoint',
        streamId: 'ledger-checkpoints',
        streamVersion: 1,
      });
      expect(verdict.problems[0]!.reason).toMatch(
        `signed by key ${keyB.publicKey.keyId}, not by the ledger key ${keyA.publicKey.keyId}`,
      );
      // The same log checked with key B is intact.
      expect((await verifyLedger(database, { publicKey: keyB.publicKey })).ok).toBe(true);
    });

    /** Swaps two events' places in the global order, (transaction id, global position). */
    async function swapPlaces(x: RecordedEvent, y: RecordedEvent): Promise<void> {
      await tamper(async (trx) => {
        const place = (event: RecordedEvent) => {
          const [transactionId, position] = event.checkpoint
            .split(':')
            .map((part) => BigInt(part).toString());
          return { transactionId: transactionId!, position: position! };
        };
        const [px, py] = [place(x), place(y)];
        await sql`UPDATE events SET global_position = -1 WHERE event_id = ${x.eventId}`.execute(trx);
        await sql`UPDATE events SET global_position = ${px.position}, transaction_id = ${px.transactionId}::xid8
                  WHERE event_id = ${y.eventId}`.execute(trx);
        await sql`UPDATE events SET global_position = ${py.position}, transaction_id = ${py.transactionId}::xid8
                  WHERE event_id = ${x.eventId}`.execute(trx);
      });
    }

    /** Alters an event's data and recomputes its hash, and its successors' links and hashes when asked. */
    async function rechain(
      streamId: string,
      fromVersion: number,
      events: readonly RecordedEvent[],
      { rechainSuccessors }: { rechainSuccessors: boolean },
    ): Promise<void> {
      const chain = events.filter((e) => e.streamId === streamId);
      let previousHash = chain[fromVersion - 2]?.metadata.hash ?? null;
      await tamper(async (trx) => {
        for (const event of chain.slice(fromVersion - 1, rechainSuccessors ? undefined : fromVersion)) {
          const data = event.streamVersion === fromVersion ? { step: 2, loss: 0.0001 } : event.data;
          const hash = eventHash({ ...hashedFieldsOf(event), data, previousHash });
          await sql`UPDATE events SET data = ${JSON.stringify(data)}::jsonb, previous_hash = ${previousHash}, hash = ${hash}
                    WHERE event_id = ${event.eventId}`.execute(trx);
          previousHash = hash;
        }
        if (rechainSuccessors) {
          await sql`UPDATE streams SET last_hash = ${previousHash} WHERE stream_id = ${streamId}`.execute(
            trx,
          );
        }
      });
    }
  });
}

function positionOf(event: RecordedEvent): string {
  return BigInt(event.checkpoint.split(':')[1]!).toString();
}
