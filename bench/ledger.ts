/**
 * `npm run bench -- ledger [events=1000000] [postgres|pglite] [rounds=3]`: writes a log of `events` events (100 events in
 * each of events/100 streams, 10 at a time to 100 streams per transaction, written straight into the tables with the
 * event store's hashes: bulkWriteLog), then times, in one run:
 *   - the first ledger checkpoint (hashing every leaf) and an incremental one after 10,000 more events (appended
 *     through the event store);
 *   - per round, alternating so that all see the same load: the baseline read (COPY's bare lines on PostgreSQL,
 *     the 20,000-row pages verify read before on PGlite; verify_vs_read_baseline is the median ratio), the content
 *     and leaf hashes alone (hashes_events_per_s), then `verifyLedger` over the whole log (content hashes, chains,
 *     streams table, signatures, roots). time_*_us split verify's time per event.
 * PostgreSQL (DATABASE_URL, in a fresh database) by default; PGlite in memory when asked or without it.
 * LEDGER_BENCH_DATABASE=NAME keeps the PostgreSQL log (and its key, in the temp directory) for the next run.
 */
import { sql } from 'kysely';
import { migrateToLatest } from '../src/app/migrate.js';
import {
  PostgresEventStore,
  generateLedgerKeyPair,
  openDatabase,
  parseLedgerSigningKey,
  recordLedgerCheckpoint,
  verifyLedger,
  type Database,
  type StreamAppend,
} from '../src/eventstore/index.js';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ledgerEventLines, readLedgerEvents, type LogPlace } from '../src/eventstore/ledger/ledgerLog.js';
import { chainEvents, stampEvents } from '../src/eventstore/prepareEvents.js';
import { checkedEventsInGlobalOrder } from '../src/eventstore/ledger/checkedEvents.js';
import { machine, round, spread, withSpread, type BenchResult } from './lib.js';

const STREAMS_PER_CALL = 100;
const EVENTS_PER_APPEND = 10;
const EVENTS_PER_STREAM = 100;

async function writeLog(store: PostgresEventStore, events: number, prefix: string): Promise<number> {
  let written = 0;
  const streams = Math.max(1, Math.ceil(events / EVENTS_PER_STREAM));
  for (let first = 0; first < streams && written < events; first += STREAMS_PER_CALL) {
    const ids = Array.from(
      { length: Math.min(STREAMS_PER_CALL, streams - first) },
      (_, i) => `${prefix}-${first + i}`,
    );
    for (let version = 0; version < EVENTS_PER_STREAM && written < events; version += EVENTS_PER_APPEND) {
      const appends: StreamAppend[] = ids.map((streamId) => ({
        streamId,
        expected: version,
        context: { actor: 'bench' },
        events: benchEvents(version),
      }));
      const outcomes = await store.appendMany(appends);
      const failed = outcomes.find((outcome) => outcome.status === 'rejected');
      if (failed) throw (failed as PromiseRejectedResult).reason;
      written += appends.length * EVENTS_PER_APPEND;
    }
  }
  return written;
}

/**
 * The same log as writeLog (same streams, data and interleaving: 10 events of each of 100 streams per append,
 * stream after stream), written straight into the tables in large INSERT ... SELECT FROM unnest statements, one
 * transaction each, with the hashes the event store computes (stampEvents and chainEvents): a million events in
 * tens of seconds instead of minutes. Only for an empty log (PostgreSQL or PGlite); the streams table is set at the end.
 */
async function bulkWriteLog(database: Database, events: number, prefix: string): Promise<number> {
  const streams = Math.max(1, Math.ceil(events / EVENTS_PER_STREAM));
  const heads = new Map<string, { version: number; hash: string | null }>();
  let written = 0;
  const columns = {
    event_id: [] as string[],
    stream_id: [] as string[],
    stream_version: [] as number[],
    type: [] as string[],
    data: [] as string[],
    actor: [] as string[],
    correlation_id: [] as string[],
    recorded_at: [] as string[],
    previous_hash: [] as (string | null)[],
    hash: [] as string[],
  };
  const flush = async () => {
    if (columns.event_id.length === 0) return;
    await sql`
      INSERT INTO events (event_id, stream_id, stream_version, type, schema_version, data, actor, correlation_id,
                          causation_id, recorded_at, previous_hash, hash)
      SELECT event_id, stream_id, stream_version, type, 1, data, actor, correlation_id, NULL, recorded_at,
             previous_hash, hash
      FROM unnest(${columns.event_id}::uuid[], ${columns.stream_id}::text[], ${columns.stream_version}::int[],
                  ${columns.type}::text[], ${columns.data}::jsonb[], ${columns.actor}::text[],
                  ${columns.correlation_id}::text[], ${columns.recorded_at}::timestamptz[],
                  ${columns.previous_hash}::text[], ${columns.hash}::text[])
           WITH ORDINALITY AS t(event_id, stream_id, stream_version, type, data, actor, correlation_id, recorded_at,
                                previous_hash, hash, n)
      ORDER BY n`.execute(database.db);
    for (const column of Object.values(columns)) column.length = 0;
  };
  for (let first = 0; first < streams && written < events; first += STREAMS_PER_CALL) {
    const ids = Array.from(
      { length: Math.min(STREAMS_PER_CALL, streams - first) },
      (_, i) => `${prefix}-${first + i}`,
    );
    for (let version = 0; version < EVENTS_PER_STREAM && written < events; version += EVENTS_PER_APPEND) {
      for (const streamId of ids) {
        const head = heads.get(streamId) ?? { version: 0, hash: null };
        const stamped = stampEvents(streamId, benchEvents(version), head.version, { actor: 'bench' });
        const chained = chainEvents(stamped, head.version, head.hash);
        for (const event of chained) {
          columns.event_id.push(event.eventId);
          columns.stream_id.push(event.streamId);
          columns.stream_version.push(event.streamVersion);
          columns.type.push(event.type);
          columns.data.push(event.dataJson);
          columns.actor.push(event.actor);
          columns.correlation_id.push(event.correlationId);
          columns.recorded_at.push(event.recordedAt);
          columns.previous_hash.push(event.previousHash);
          columns.hash.push(event.hash);
        }
        heads.set(streamId, {
          version: head.version + chained.length,
          hash: chained[chained.length - 1]!.hash,
        });
        written += chained.length;
      }
      if (columns.event_id.length >= 20_000) await flush();
    }
  }
  await flush();
  const streamIds = [...heads.keys()];
  await sql`
    INSERT INTO streams (stream_id, version, last_hash)
    SELECT * FROM unnest(${streamIds}::text[], ${streamIds.map((id) => heads.get(id)!.version)}::int[],
                         ${streamIds.map((id) => heads.get(id)!.hash)}::text[])`.execute(database.db);
  return written;
}

/** The events writeLog appends to a stream after `version`. */
function benchEvents(version: number) {
  return Array.from({ length: EVENTS_PER_APPEND }, (_, i) => ({
    type: 'RunProgressReported',
    data: {
      step: version + i + 1,
      stage: 'general',
      loss: 1 / (version + i + 1),
      learningRate: 1e-5,
      tokensPerSecond: 2100 + i,
      metrics: { entityLoss: 0.3, gradNorm: 1.25 },
    },
  }));
}

async function countEvents(database: Database): Promise<number> {
  const { rows } = await sql<{ n: string }>`SELECT count(*) AS n FROM events`.execute(database.db);
  return Number(rows[0]!.n);
}

async function until<T>(work: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const started = process.hrtime.bigint();
  const value = await work();
  return { value, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

/** A new key, or for a kept database the one its checkpoints were signed with (kept beside it in `file`). */
function benchKeyPem(file: string | undefined): string {
  if (file && existsSync(file)) return readFileSync(file, 'utf8');
  const pem = generateLedgerKeyPair().privateKeyPem;
  if (file) writeFileSync(file, pem, { mode: 0o600 });
  return pem;
}

async function measure(
  database: Database,
  backend: string,
  events: number,
  rounds: number,
  keyFile?: string,
): Promise<BenchResult> {
  await migrateToLatest(database.db);
  const store = new PostgresEventStore(database);
  const key = parseLedgerSigningKey(benchKeyPem(keyFile), 'bench key');
  const held = await countEvents(database);
  const write = held > 0 ? undefined : await until(() => bulkWriteLog(database, events, 'run'));
  if (write) process.stderr.write(`wrote ${write.value} events in ${write.seconds.toFixed(1)} s\n`);
  else process.stderr.write(`reusing the ${held} events the kept database holds\n`);

  const inSnapshot = <T>(work: (trx: typeof database.db) => Promise<T>) =>
    until(() =>
      database.db.transaction().setIsolationLevel('repeatable read').setAccessMode('read only').execute(work),
    );
  // The baseline: the rows verify reads, with no work on them (COPY's bare lines on PostgreSQL; on PGlite the
  // 20,000-row pages of tuneledger_ledger_events). Then the per-event content and leaf hashes alone
  // (checkedEventsInGlobalOrder, what verify does before its chains and tree).
  const readLines = () =>
    inSnapshot(async (trx) => {
      let count = 0;
      for await (const lines of ledgerEventLines(database, trx)!) {
        for (let at = lines.indexOf(0x0a); at >= 0; at = lines.indexOf(0x0a, at + 1)) count += 1;
      }
      return count;
    });
  const readPages = () =>
    inSnapshot(async (trx) => {
      let after: LogPlace = { transactionId: '0', globalPosition: '0' };
      let count = 0;
      for (;;) {
        const rows = await readLedgerEvents(trx, after, 20_000);
        if (rows.length === 0) return count;
        count += rows.length;
        const last = rows[rows.length - 1]!;
        after = { transactionId: last.transaction_id, globalPosition: last.global_position };
      }
    });
  const hashOnly = () =>
    inSnapshot(async (trx) => {
      let count = 0;
      for await (const rows of checkedEventsInGlobalOrder(database, trx, 20_000)) count += rows.length;
      return count;
    });
  const first = await until(() => recordLedgerCheckpoint(database, store, key));
  const more = await writeLog(store, 10_000, `more-${Date.now().toString(36)}`);
  const incremental = await until(() => recordLedgerCheckpoint(database, store, key));

  // Baseline, hashing and verify alternate, so that all see the same load on a shared machine.
  const copying = database.copyRowsOut !== undefined;
  const rates = {
    baseline: [] as number[],
    pages: [] as number[],
    hashes: [] as number[],
    verify: [] as number[],
    verifyVsBaseline: [] as number[],
  };
  let peakHeap = 0;
  let heapGrowth = 0;
  const rate = (run: { value: number; seconds: number }) => run.value / run.seconds;
  for (let pass = 0; pass < rounds; pass += 1) {
    const pages = rate(await readPages());
    const baseline = copying ? rate(await readLines()) : pages;
    const hashes = rate(await hashOnly());
    const sampler = setInterval(() => {
      peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
    }, 50);
    const heapBefore = process.memoryUsage().heapUsed;
    peakHeap = heapBefore;
    const verify = await until(() => verifyLedger(database, { publicKey: key.publicKey }));
    clearInterval(sampler);
    heapGrowth = Math.max(heapGrowth, peakHeap - heapBefore);
    if (!verify.value.ok)
      throw new Error(`the bench log does not verify: ${JSON.stringify(verify.value.problems[0])}`);
    const verifyRate = verify.value.eventsChecked / verify.seconds;
    rates.baseline.push(baseline);
    rates.pages.push(pages);
    rates.hashes.push(hashes);
    rates.verify.push(verifyRate);
    rates.verifyVsBaseline.push(verifyRate / baseline);
    process.stderr.write(
      `round ${pass + 1} (load ${loadavg()[0]!.toFixed(1)}): pages ${Math.round(pages)}/s, ` +
        (copying ? `COPY lines ${Math.round(baseline)}/s, ` : '') +
        `hashes ${Math.round(hashes)}/s, verify ${Math.round(verifyRate)}/s (${verify.value.eventsChecked} events)\n`,
    );
  }
  const perEvent = (list: readonly number[]) => 1e6 / spread(list).median;
  const verifyRate = spread(rates.verify);
  return {
    name: 'ledger',
    backend,
    inputs: {
      events: write?.value ?? held,
      rounds,
      streams: Math.ceil(events / EVENTS_PER_STREAM),
      machine: machine(),
    },
    metrics: {
      ...(write ? { bulk_write_events_per_s: round(write.value / write.seconds) } : {}),
      // On a kept log the first checkpoint resumes from the one the last run recorded: not a full pass.
      ...(write
        ? {
            checkpoint_full_events_per_s: round(first.value.checkpoint.treeSize / first.seconds),
            checkpoint_full_s: round(first.seconds),
          }
        : { checkpoint_resumed_s: round(first.seconds) }),
      checkpoint_incremental_new_events: more + 1,
      checkpoint_incremental_s: round(incremental.seconds),
      ...withSpread('verify_events_per_s', rates.verify),
      ...withSpread('read_baseline_events_per_s', rates.baseline),
      verify_vs_read_baseline: round(spread(rates.verifyVsBaseline).median),
      ...withSpread('hashes_events_per_s', rates.hashes),
      ...withSpread('read_pages_events_per_s', rates.pages),
      // Where verify's time goes, per event (medians of the passes above): the rows out of the database, the
      // content and leaf hashes, then the rest (chains, tree, streams table, signatures).
      time_read_us: round(perEvent(rates.baseline)),
      time_hashes_us: round(perEvent(rates.hashes) - perEvent(rates.baseline)),
      time_chains_tree_us: round(perEvent(rates.verify) - perEvent(rates.hashes)),
      verify_heap_growth_mb: round(heapGrowth / 2 ** 20),
    },
    goals: [
      `verify >= 200,000 events/s: ${verifyRate.median >= 200_000 ? 'yes' : 'no'} (${Math.round(verifyRate.median).toLocaleString('en')}/s)`,
    ],
  };
}

export default async function (args: string[]): Promise<BenchResult[]> {
  const events = Number(args[0] ?? 1_000_000);
  const target = args[1] ?? (process.env.DATABASE_URL ? 'postgres' : 'pglite');
  const rounds = Number(args[2] ?? 3);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error('rounds must be a whole number >= 1');
  if (!Number.isInteger(events) || events < 1) throw new Error('events must be a whole number >= 1');
  if (target === 'pglite') {
    const database = await openDatabase({ dataDir: 'memory://' });
    try {
      return [await measure(database, 'pglite', events, rounds)];
    } finally {
      await database.close();
    }
  }
  if (!process.env.DATABASE_URL) throw new Error('DATABASE_URL is not set: run with pglite, or set it');
  const pg = await import('pg');
  // LEDGER_BENCH_DATABASE=NAME keeps the log in that database (created when missing) for the next run, which
  // skips writing it: generating a million events takes minutes.
  const kept = process.env.LEDGER_BENCH_DATABASE;
  if (kept !== undefined && !/^[a-z_][a-z0-9_]*$/.test(kept))
    throw new Error('LEDGER_BENCH_DATABASE must be a plain lower-case database name');
  const name = kept ?? `tuneledger_bench_${Date.now().toString(36)}`;
  const admin = new pg.default.Client({ connectionString: process.env.DATABASE_URL });
  await admin.connect();
  const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(process.env.DATABASE_URL);
  url.pathname = `/${name}`;
  const database = await openDatabase({ databaseUrl: url.toString() });
  try {
    const keyFile = kept === undefined ? undefined : join(tmpdir(), `${name}-ledger-key.pem`);
    return [await measure(database, 'postgres', events, rounds, keyFile)];
  } finally {
    await database.close();
    if (kept === undefined) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}
