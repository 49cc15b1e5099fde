/**
 * `npm run bench -- eventstore [--runs 5] [--seconds 1.5] [--writers 8]`
 * Single-event appends/s (8 concurrent writers, one stream each), 10-event batch appends/s and
 * readAll events/s, on PGlite (on disk, in a temporary directory) and on PostgreSQL when
 * DATABASE_URL is set (in a fresh database, dropped afterwards). Baseline in the same run and
 * with the same client concurrency: one-row INSERT transactions into a bare table with a jsonb column.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { migrateToLatest } from '../src/app/migrate.js';
import { openDatabase, PostgresEventStore, type Database } from '../src/eventstore/index.js';
import { round, withSpread, type BenchResult } from './lib.js';

interface Options {
  readonly runs: number;
  readonly seconds: number;
  readonly writers: number;
}

export default async function eventstoreBench(args: string[]): Promise<BenchResult[]> {
  const option = (name: string, fallback: number) => {
    const index = args.indexOf(`--${name}`);
    return index >= 0 ? Number(args[index + 1]) : fallback;
  };
  const options: Options = {
    runs: option('runs', 5),
    seconds: option('seconds', 1.5),
    writers: option('writers', 8),
  };
  const results: BenchResult[] = [];

  const dataDir = mkdtempSync(join(tmpdir(), 'tuneledger-bench-'));
  try {
    const database = await openDatabase({ dataDir });
    try {
      results.push(await measure('pglite', database, options));
    } finally {
      await database.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }

  const databaseUrl = process.env.DATABASE_URL;
  if (databaseUrl) {
    const name = `tuneledger_bench_${randomBytes(4).toString('hex')}`;
    await admin(databaseUrl, `CREATE DATABASE ${name}`);
    try {
      const url = new URL(databaseUrl);
      url.pathname = `/${name}`;
      const database = await openDatabase({ databaseUrl: url.toString(), poolSize: options.writers });
      try {
        results.push(await measure('postgres', database, options));
      } finally {
        await database.close();
      }
    } finally {
      await admin(databaseUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
  } else {
    process.stdout.write('DATABASE_URL is not set: PostgreSQL not measured\n');
  }
  return results;
}

async function measure(
  backend: 'pglite' | 'postgres',
  database: Database,
  options: Options,
): Promise<BenchResult> {
  await migrateToLatest(database.db);
  await sql`CREATE TABLE IF NOT EXISTS bench_baseline (id bigserial PRIMARY KEY, data jsonb NOT NULL)`.execute(
    database.db,
  );
  const store = new PostgresEventStore(database);
  const payload = { datasetId: randomUUID(), rows: 52002, split: 'train', tags: ['instruction', 'en'] };
  const actor = { actor: 'bench' };

  const baseline: number[] = [];
  const appends: number[] = [];
  const batches: number[] = [];
  for (let run = 0; run < options.runs; run += 1) {
    // Interleaved, so drift in machine load hits baseline and store alike.
    baseline.push(
      await throughput(options, async () => {
        await sql`INSERT INTO bench_baseline (data) VALUES (${JSON.stringify(payload)}::jsonb)`.execute(
          database.db,
        );
      }),
    );
    appends.push(
      await throughput(options, async (writer, state) => {
        state.version = (
          await store.append(
            `bench-${run}-${writer}`,
            [{ type: 'Bench', data: payload }],
            state.version,
            actor,
          )
        ).nextExpectedVersion;
      }),
    );
    batches.push(
      await throughput(options, async (writer, state) => {
        const events = Array.from({ length: 10 }, () => ({ type: 'Bench', data: payload }));
        state.version = (
          await store.append(`bench-batch-${run}-${writer}`, events, state.version, actor)
        ).nextExpectedVersion;
      }),
    );
  }

  const reads: number[] = [];
  let total = 0;
  for (let run = 0; run < options.runs; run += 1) {
    const started = performance.now();
    let checkpoint = '';
    total = 0;
    for (;;) {
      const page = await store.readAll(checkpoint, 1000);
      if (page.events.length === 0) break;
      total += page.events.length;
      checkpoint = page.checkpoint;
    }
    reads.push(total / ((performance.now() - started) / 1000));
  }

  const median = (samples: number[]) => [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)]!;
  const ratio = median(appends) / median(baseline);
  const readRate = median(reads);
  return {
    name: `eventstore-${backend}`,
    backend,
    inputs: {
      ...options,
      payloadBytes: JSON.stringify(payload).length,
      readAllEvents: total,
      readAllPage: 1000,
    },
    metrics: {
      ...withSpread('appends_per_s', appends),
      ...withSpread('baseline_inserts_per_s', baseline),
      appends_vs_baseline_ratio: round(ratio),
      ...withSpread('batch10_appends_per_s', batches),
      batch10_events_per_s: round(median(batches) * 10),
      ...withSpread('readall_events_per_s', reads),
    },
    goals: [
      `single appends >= 40% of baseline: ${ratio >= 0.4 ? 'yes' : 'no'} (${Math.round(ratio * 100)}%)`,
      `readAll >= 50,000 events/s: ${readRate >= 50_000 ? 'yes' : 'no'} (${Math.round(readRate)})`,
    ],
  };
}

/** Operations per second of `writers` concurrent loops for the configured duration. */
async function throughput(
  options: Options,
  operation: (writer: number, state: { version: number }) => Promise<void>,
): Promise<number> {
  const deadline = performance.now() + options.seconds * 1000;
  const started = performance.now();
  let count = 0;
  await Promise.all(
    Array.from({ length: options.writers }, async (_, writer) => {
      const state = { version: 0 };
      while (performance.now() < deadline) {
        await operation(writer, state);
        count += 1;
      }
    }),
  );
  return count / ((performance.now() - started) / 1000);
}

async function admin(databaseUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
