/**
 * `npm run bench -- ledger [events=1000000] [postgres|pglite] [rounds=3]`: writes a log of `events` events (100 events in
 * each of events/100 streams, appended 10 at a time to 100 streams per call), then times, in one run:
 *   - reading the log alone: the same rows verify reads, as verify reads them (one COPY on PostgreSQL, decoded into
 *     a row per event), with no work on them (the baseline: what any whole-log pass costs; verify_vs_read_log is the
 *     ratio, meaningful on a loaded machine); also COPY's bare lines and the 20,000-row pages verify read before;
 *     time_*_us split verify's time per event into getting the lines, decoding them and the checks;
 *   - the first ledger checkpoint (hashing every leaf) and an incremental one after 10,000 more events;
 *   - `verifyLedger` over the whole log (content hashes, chains, streams table, signatures, roots).
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
import {
  ledgerEventLines,
  ledgerEventsInGlobalOrder,
  readLedgerEvents,
  type LogPlace,
} from '../src/eventstore/ledger/ledgerLog.js';
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
        events: Array.from({ length: EVENTS_PER_APPEND }, (_, i) => ({
          type: 'RunProgressReported',
          data: {
            step: version + i + 1,
            stage: 'general',
            loss: 1 / (version + i + 1),
            learningRate: 1e-5,
            tokensPerSecond: 2100 + i,
            metrics: { entityLoss: 0.3, gradNorm: 1.25 },
          },
        })),
      }));
      const outcomes = await store.appendMany(appends);
      const failed = outcomes.find((outcome) => outcome.status === 'rejected');
      if (failed) throw (failed as PromiseRejectedResult).reason;
      written += appends.length * EVENTS_PER_APPEND;
    }
  }
  return written;
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
  const write = held > 0 ? undefined : await until(() => writeLog(store, events, 'run'));
  if (write) process.stderr.write(`wrote ${write.value} events in ${write.seconds.toFixed(1)} s\n`);
  else process.stderr.write(`reusing the ${held} events the kept database holds\n`);

  const inSnapshot = <T>(work: (trx: typeof database.db) => Promise<T>) =>
    until(() =>
      database.db.transaction().setIsolationLevel('repeatable read').setAccessMode('read only').execute(work),
    );
  // The rows verify reads, with no work on them: as verify reads them (COPY on PostgreSQL, decoded into one
  // object per event), as COPY's bare lines, and as the 20,000-row pages of tuneledger_ledger_events verify
  // read before (the driver's row objects).
  const readLog = () =>
    inSnapshot(async (trx) => {
      let count = 0;
      for await (const rows of ledgerEventsInGlobalOrder(database, trx, 20_000)) count += rows.length;
      return count;
    });
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
  const first = await until(() => recordLedgerCheckpoint(database, store, key));
  const more = await writeLog(store, 10_000, `more-${Date.now().toString(36)}`);
  const incremental = await until(() => recordLedgerCheckpoint(database, store, key));

  // Baseline and verify alternate, so that both see the same load on a shared machine.
  const readRates: number[] = [];
  const lineRates: number[] = [];
  const pageRates: number[] = [];
  const verifyRates: number[] = [];
  const ratios: number[] = [];
  let peakHeap = 0;
  let heapGrowth = 0;
  const copying = database.copyRowsOut !== undefined;
  for (let pass = 0; pass < rounds; pass += 1) {
    const pages = await readPages();
    const lines = copying ? await readLines() : undefined;
    const read = await readLog();
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
    const readRate = read.value / read.seconds;
    const verifyRate = verify.value.eventsChecked / verify.seconds;
    readRates.push(readRate);
    pageRates.push(pages.value / pages.seconds);
    if (lines) lineRates.push(lines.value / lines.seconds);
    verifyRates.push(verifyRate);
    ratios.push(verifyRate / readRate);
    process.stderr.write(
      `round ${pass + 1} (load ${loadavg()[0]!.toFixed(1)}): pages ${Math.round(pages.value / pages.seconds)}/s, ` +
        (lines ? `COPY lines ${Math.round(lines.value / lines.seconds)}/s, ` : '') +
        `read ${Math.round(readRate)}/s, verify ${Math.round(verifyRate)}/s (${verify.value.eventsChecked} events)\n`,
    );
  }
  const perEvent = (rates: readonly number[]) => 1e6 / spread(rates).median;
  const readRate = spread(readRates);
  const verifyRate = spread(verifyRates);
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
      ...(write ? { write_events_per_s: round(write.value / write.seconds) } : {}),
      checkpoint_full_events_per_s: round(first.value.checkpoint.treeSize / first.seconds),
      checkpoint_full_s: round(first.seconds),
      checkpoint_incremental_new_events: more + 1,
      checkpoint_incremental_s: round(incremental.seconds),
      read_log_events_per_s: round(readRate.median),
      read_log_events_per_s_min: round(readRate.min),
      read_log_events_per_s_max: round(readRate.max),
      verify_events_per_s: round(verifyRate.median),
      verify_events_per_s_min: round(verifyRate.min),
      verify_events_per_s_max: round(verifyRate.max),
      verify_vs_read_log: round(spread(ratios).median),
      ...withSpread('read_pages_events_per_s', pageRates),
      ...(lineRates.length > 0 ? withSpread('read_copy_lines_events_per_s', lineRates) : {}),
      // Where verify's time goes, per event (medians of the passes above): the rows out of the database, decoding
      // them, then the checks (content hash, Merkle leaf and tree, chains, streams table).
      ...(lineRates.length > 0 ? { time_copy_lines_us: round(perEvent(lineRates)) } : {}),
      ...(lineRates.length > 0
        ? { time_decode_rows_us: round(perEvent(readRates) - perEvent(lineRates)) }
        : {}),
      time_checks_us: round(perEvent(verifyRates) - perEvent(readRates)),
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
