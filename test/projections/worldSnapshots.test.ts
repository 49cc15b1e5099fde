import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { appendLifecycle, generateLifecycle, untilVisible } from '../../bench/projections.js';
import { PostgresEventStore } from '../../src/eventstore/index.js';
import {
  worldAsOf,
  worldFoldVersion,
  writeWorldSnapshots,
  type WorldAsOf,
} from '../../src/projections/index.js';
import { foldedTypes, WorldFold } from '../../src/projections/worldFold.js';
import { databaseTargets, postgresSkipReason, postgresUrl, type TestDatabase } from '../support/databases.js';

/**
 * Every node id the log states, all kinds, and a sample of them to walk from (every deployment, ten
 * nodes spread over the log, the two newest model versions): the lineage is read where a question leads, so two
 * answers compare through the same questions.
 */
let lineageIds: { all: string[]; walkedFrom: string[] } = { all: [], walkedFrom: [] };

async function learnLineageIds(store: PostgresEventStore): Promise<void> {
  const fold = new WorldFold();
  for (const event of (await store.readAll('', 100_000)).events) fold.apply(event);
  const ids = [...fold.lineage.nodes.keys()];
  lineageIds = {
    all: ids,
    walkedFrom: [
      ...ids.filter((id) => id.startsWith('deployment:')),
      ...Array.from({ length: 10 }, (_, index) => ids[Math.floor((index * ids.length) / 10)]!),
      ...ids.filter((id) => id.startsWith('model:')).slice(-2),
    ],
  };
}

/** Everything a world answer holds, in order (maps as arrays), so two answers compare exactly. */
async function answer(world: WorldAsOf): Promise<string> {
  const walks = [];
  for (const id of lineageIds.walkedFrom) {
    walks.push({
      id,
      up: await world.lineage.walk(id, 'upstream', { maxDepth: 50, maxNodes: 5000 }),
      down: await world.lineage.walk(id, 'downstream', { maxDepth: 2, maxNodes: 5000 }),
      // Small limits: truncation keeps the first nodes reached.
      downCut: await world.lineage.walk(id, 'downstream', { maxDepth: 3, maxNodes: 4 }),
      upstream: id.startsWith('model:') ? await world.lineage.upstream(id) : null,
    });
  }
  return JSON.stringify({
    at: world.at,
    eventsFolded: world.eventsFolded,
    deployments: [...world.deployments.values()],
    registry: [...(await world.registry()).values()].map((model) => ({
      ...model,
      versions: [...model.versions.values()],
    })),
    present: [...(await world.lineage.present(lineageIds.all))].sort(),
    walks,
  });
}

/** A seeded PRNG (mulberry32): the same moments on every run, different ones across the log. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

for (const target of databaseTargets) {
  describe(`time travel snapshots (${target.name})`, () => {
    let database: TestDatabase;
    let store: PostgresEventStore;
    /** recordedAt of the first and last event: the moments to ask about lie between. */
    let span: { first: number; last: number };

    // One log for the file (appending it is the slow part); each test starts with no snapshots.
    beforeAll(async () => {
      database = await target.open();
      store = new PostgresEventStore(database);
      const appends = generateLifecycle({ events: 2000, progressPerRun: 20 });
      // Appended in a few parts with pauses, so recordedAt spreads over distinct moments.
      const parts = 5;
      let checkpoint = '';
      for (let part = 0; part < parts; part++) {
        const slice = appends.slice(
          Math.floor((appends.length * part) / parts),
          Math.floor((appends.length * (part + 1)) / parts),
        );
        ({ checkpoint } = await appendLifecycle(store, slice));
        await new Promise((resolve) => setTimeout(resolve, 15));
      }
      await untilVisible(store, checkpoint);
      const all = await store.readAll('', 100_000);
      span = {
        first: Date.parse(all.events[0]!.metadata.recordedAt),
        last: Date.parse(all.events.at(-1)!.metadata.recordedAt),
      };
      await learnLineageIds(store);
      expect(lineageIds.walkedFrom.length).toBeGreaterThan(10);
    });
    afterAll(() => database.close());
    beforeEach(async () => {
      await sql`DELETE FROM world_snapshots`.execute(database.db);
      await sql`DELETE FROM world_lineage_nodes`.execute(database.db);
      await sql`DELETE FROM world_lineage_edges`.execute(database.db);
      await sql`DELETE FROM world_registry_rows`.execute(database.db);
    });

    const moments = (count: number, seed: number) => {
      const random = prng(seed);
      return Array.from(
        { length: count },
        () => new Date(span.first - 5 + Math.floor(random() * (span.last - span.first + 10))),
      );
    };

    it('gives the same answers with and without snapshots at random moments across the log', async () => {
      const written = await writeWorldSnapshots(database.db, store, { every: 15 });
      expect(written).toBeGreaterThan(5);
      let usedSnapshots = 0;
      for (const at of moments(12, 7)) {
        for (const clockSkewMs of [0, 60_000]) {
          const plain = await worldAsOf(store, at, { clockSkewMs });
          const fromSnapshot = await worldAsOf(store, at, { clockSkewMs, snapshots: database.db });
          expect(plain.fromSnapshot).toBeNull();
          if (fromSnapshot.fromSnapshot !== null) usedSnapshots++;
          expect(await answer(fromSnapshot), `at ${at.toISOString()}, skew ${clockSkewMs} ms`).toBe(
            await answer(plain),
          );
        }
      }
      // Most moments lie after the first snapshot: the property is tested on snapshots, not around them.
      expect(usedSnapshots).toBeGreaterThan(12);
    });

    it('reads the registry from its index: one model alone, and the same in pages of any size', async () => {
      await writeWorldSnapshots(database.db, store, { every: 15 });
      let usedSnapshots = 0;
      for (const at of moments(8, 5)) {
        const plain = await worldAsOf(store, at);
        const fromSnapshot = await worldAsOf(store, at, { snapshots: database.db, batchSize: 7 });
        if (fromSnapshot.fromSnapshot !== null) usedSnapshots++;
        expect(await answer(fromSnapshot), at.toISOString()).toBe(await answer(plain));
        const all = await plain.registry();
        for (const name of [...all.keys(), 'no-such-model']) {
          const one = await fromSnapshot.registry(name);
          expect([...one.keys()]).toEqual(all.has(name) ? [name] : []);
          expect(JSON.stringify([...(one.get(name)?.versions.values() ?? [])])).toBe(
            JSON.stringify([...(all.get(name)?.versions.values() ?? [])]),
          );
        }
      }
      expect(usedSnapshots).toBeGreaterThan(4);
    });

    it('writes to the registry index only the models and versions each snapshot changed', async () => {
      // A snapshot after every folded event: the index then holds every model and version there is.
      const written = await writeWorldSnapshots(database.db, store, { every: 1 });
      const { rows } = await sql<{ rows: string; keys: string }>`
        SELECT count(*) AS rows, count(DISTINCT (model_name, version)) AS keys FROM world_registry_rows`.execute(
        database.db,
      );
      const registry = await (await worldAsOf(store, new Date(span.last + 1000))).registry();
      const versions = [...registry.values()].reduce((n, model) => n + model.versions.size, 0);
      expect(Number(rows[0]!.keys)).toBe(registry.size + versions);
      // Whole registries at every snapshot would be about written x keys rows; changes are far fewer.
      expect(Number(rows[0]!.rows)).toBeLessThan((written * Number(rows[0]!.keys)) / 4);
    });

    it('stops reading after T by the skew the writer measured, not the whole allowance', async () => {
      await writeWorldSnapshots(database.db, store, { every: 15 });
      const { rows } = await sql<{ skew: number | null }>`
        SELECT max(max_skew_ms) AS skew FROM world_snapshots`.execute(database.db);
      expect(rows[0]!.skew).not.toBeNull();
      // The whole log was appended within a minute: the fixed allowance alone reads to its end.
      const at = new Date(span.first + (span.last - span.first) / 3);
      const plain = await worldAsOf(store, at, { clockSkewMs: 60_000 });
      // Pages of 10 (the first page is read whole): the count read shows where the read stopped.
      const fromSnapshot = await worldAsOf(store, at, {
        clockSkewMs: 60_000,
        snapshots: database.db,
        batchSize: 10,
      });
      expect(fromSnapshot.fromSnapshot).not.toBeNull();
      expect(await answer(fromSnapshot)).toBe(await answer(plain));
      const total = (await store.readAll('', 100_000, { types: foldedTypes })).events.length;
      expect(plain.eventsRead).toBe(total);
      expect(fromSnapshot.eventsRead).toBeLessThan(total / 2);
    });

    it('answers the same after the snapshots are deleted', async () => {
      await writeWorldSnapshots(database.db, store, { every: 25 });
      const at = moments(6, 11);
      const worlds = await Promise.all(at.map((t) => worldAsOf(store, t, { snapshots: database.db })));
      expect(worlds.some((world) => world.fromSnapshot !== null)).toBe(true);
      const before: string[] = [];
      for (const world of worlds) before.push(await answer(world));
      await sql`DELETE FROM world_snapshots`.execute(database.db);
      for (const [index, t] of at.entries()) {
        const after = await worldAsOf(store, t, { snapshots: database.db });
        expect(after.fromSnapshot).toBeNull();
        expect(await answer(after)).toBe(before[index]!);
      }
    });

    it("ignores snapshots of another fold version, and would use its own version's", async () => {
      const now = new Date(span.last + 1000);
      const truth = await answer(await worldAsOf(store, now));
      const head = (await store.readAll('', 100_000)).checkpoint;
      // An empty world claiming to hold the whole log: used, it would change every answer.
      const insert = (foldVersion: number) => sql`
        INSERT INTO world_snapshots (fold_version, checkpoint, covers_until, events_read, events_folded, state)
        VALUES (${foldVersion}, ${head}, '2000-01-01T00:00:00Z', 0, 0,
                ${JSON.stringify({ deployments: [], registry: [] })}::json)`;
      await insert(worldFoldVersion - 1).execute(database.db);
      await insert(worldFoldVersion + 1).execute(database.db);
      const ignored = await worldAsOf(store, now, { snapshots: database.db });
      expect(ignored.fromSnapshot).toBeNull();
      expect(await answer(ignored)).toBe(truth);
      // The control: the same row under this fold's version is taken (so the test above can fail).
      await insert(worldFoldVersion).execute(database.db);
      const taken = await worldAsOf(store, now, { snapshots: database.db });
      expect(taken.fromSnapshot).toBe(head);
      expect(await answer(taken)).not.toBe(truth);
    });

    it("answers moments outside the database's years (year 0, year 10000) like any other", async () => {
      await writeWorldSnapshots(database.db, store, { every: 25 });
      for (const at of [new Date('0000-12-31T23:59:59.999Z'), new Date(Date.UTC(10_000, 0, 1))]) {
        const plain = await worldAsOf(store, at);
        const fromSnapshot = await worldAsOf(store, at, { snapshots: database.db });
        expect(await answer(fromSnapshot), at.toISOString()).toBe(await answer(plain));
      }
      const far = await worldAsOf(store, new Date(Date.UTC(10_000, 0, 1)), { snapshots: database.db });
      expect(far.fromSnapshot).not.toBeNull();
    });

    it('writes only the snapshots that are due, resuming from the newest one', async () => {
      const first = await writeWorldSnapshots(database.db, store, { every: 40 });
      expect(first).toBeGreaterThan(0);
      expect(await writeWorldSnapshots(database.db, store, { every: 40 })).toBe(0);
      const { rows } = await sql<{ n: string }>`SELECT count(*) AS n FROM world_snapshots`.execute(
        database.db,
      );
      expect(Number(rows[0]!.n)).toBe(first);
      await expect(writeWorldSnapshots(database.db, store, { every: 0 })).rejects.toThrow(/positive integer/);
    });
  });
}

describe('time travel snapshots and a log out of time order', () => {
  it('reads on past T by the skew the writer measured, and finds an event recorded before one ahead of it', async () => {
    const database = await databaseTargets[0]!.open();
    try {
      const store = new PostgresEventStore(database);
      const appends = generateLifecycle({ events: 600, progressPerRun: 10 });
      const folds = (index: number) =>
        appends[index]!.events.some((event) => foldedTypes.includes(event.type));
      const x = appends.findIndex((_, index) => index >= 20 && folds(index) && folds(index + 1));
      const base = Date.now() + 3_600_000;
      // The clock alone is set (Date): X is stamped 30 s after Y but committed before it, as when Y's
      // append was stamped first and committed later.
      vi.useFakeTimers({ toFake: ['Date'] });
      try {
        vi.setSystemTime(base);
        await appendLifecycle(store, appends.slice(0, x));
        vi.setSystemTime(base + 60_000);
        await appendLifecycle(store, appends.slice(x, x + 1));
        vi.setSystemTime(base + 30_000);
        await appendLifecycle(store, appends.slice(x + 1, x + 2));
        vi.setSystemTime(base + 3_600_000);
        const { checkpoint } = await appendLifecycle(store, appends.slice(x + 2));
        await untilVisible(store, checkpoint);
      } finally {
        vi.useRealTimers();
      }
      await writeWorldSnapshots(database.db, store, { every: 1 });
      const { rows } = await sql<{
        skew: number;
      }>`SELECT max(max_skew_ms) AS skew FROM world_snapshots`.execute(database.db);
      expect(Number(rows[0]!.skew)).toBe(30_000);
      await learnLineageIds(store);
      // T after Y, before X: Y is in the answer, found only by reading on past X.
      const at = new Date(base + 40_000);
      const plain = await worldAsOf(store, at, { clockSkewMs: 60_000 });
      const fromSnapshot = await worldAsOf(store, at, { clockSkewMs: 60_000, snapshots: database.db });
      expect(fromSnapshot.fromSnapshot).not.toBeNull();
      const withoutY = await worldAsOf(store, at, { clockSkewMs: 0 });
      expect(plain.eventsFolded).toBe(withoutY.eventsFolded + 1);
      expect(await answer(fromSnapshot)).toBe(await answer(plain));
    } finally {
      await database.close();
    }
  });
});

describe.skipIf(!postgresUrl)('time travel snapshots and the gap rule (postgres)', () => {
  it.skipIf(!postgresUrl)(
    'never snapshots an event that a still-open older transaction makes invisible',
    async () => {
      const target = databaseTargets.find((t) => t.name === 'postgres')!;
      const database = await target.open();
      const blocker = new pg.Client({ connectionString: postgresUrl });
      await blocker.connect();
      try {
        const store = new PostgresEventStore(database);
        const appends = generateLifecycle({ events: 800, progressPerRun: 10 });
        const { checkpoint } = await appendLifecycle(store, appends.slice(0, -12));
        await untilVisible(store, checkpoint);
        // An older transaction holds an xid: events committed after it stay invisible until it ends.
        await blocker.query('BEGIN');
        await blocker.query('SELECT pg_current_xact_id()');
        const late = await appendLifecycle(store, appends.slice(-12));
        await writeWorldSnapshots(database.db, store, { every: 1 });
        const { rows } = await sql<{ checkpoint: string }>`
          SELECT max(checkpoint) AS checkpoint FROM world_snapshots`.execute(database.db);
        expect(rows[0]!.checkpoint < late.checkpoint).toBe(true);
        expect(rows[0]!.checkpoint <= checkpoint).toBe(true);
        await blocker.query('COMMIT');
        await untilVisible(store, late.checkpoint);
        await writeWorldSnapshots(database.db, store, { every: 1 });
        await learnLineageIds(store);
        const now = new Date(Date.now() + 1000);
        const withSnapshots = await worldAsOf(store, now, { snapshots: database.db });
        expect(withSnapshots.fromSnapshot).not.toBeNull();
        expect(await answer(withSnapshots)).toBe(await answer(await worldAsOf(store, now)));
      } finally {
        await blocker.end();
        await database.close();
      }
    },
  );
});
void postgresSkipReason;
