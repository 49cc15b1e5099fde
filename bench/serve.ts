/**
 * `npm run bench -- serve [--threads=1] [--tokens=16] [--requests=48] [--postgres] [--defer-capture]`: the OpenAI-compatible endpoint on the
 * tiny model, in this process over embedded PGlite with a real API token: latency p50/p99 and generated
 * tokens/s at concurrency 1, 8 and 32, and where the time goes: in the model (the generation thread), waiting
 * for a thread, and the rest of the request path (routing, auth, redaction, filter, capture, thread messages).
 * Baseline in the same run: the generation pool called directly (no HTTP, no filters, no capture).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { pino } from 'pino';
import { migrateToLatest } from '../src/app/migrate.js';
import { openDatabase, PostgresEventStore, type Database } from '../src/eventstore/index.js';
import { createGraphqlServer } from '../src/graphql/index.js';
import { initBackend, initModel, saveModel } from '../src/ml/index.js';
import { ByteTokenizer } from '../src/ml/tokenizers/index.js';
import { modelKey, startServing } from '../src/serving/index.js';
import { createServices, systemClock, uuidIds } from '../src/services/index.js';
import { machine, percentiles, round, type BenchResult } from './lib.js';

const option = (args: string[], name: string, fallback: number) =>
  Number(args.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback);

interface Timing {
  readonly clientMs: number;
  readonly modelMs: number;
  readonly queueMs: number;
  readonly serverMs: number;
  readonly preMs: number;
  readonly handoffMs: number;
  readonly postMs: number;
  readonly tokens: number;
}

/** Embedded PGlite, or with --postgres a fresh database next to DATABASE_URL's. */
async function freshDatabase(
  postgres: boolean,
): Promise<{ database: Database; kind: string; drop: () => Promise<void> }> {
  const url = process.env.DATABASE_URL;
  if (!postgres || !url) {
    if (postgres)
      throw new Error('--postgres needs DATABASE_URL, e.g. postgres://postgres@127.0.0.1:5432/postgres');
    const database = await openDatabase({ dataDir: 'memory://' });
    await migrateToLatest(database.db);
    return { database, kind: 'pglite', drop: async () => {} };
  }
  const name = `tuneledger_bench_serve_${randomBytes(4).toString('hex')}`;
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(statement);
    await client.end();
  };
  await admin(`CREATE DATABASE ${name}`);
  const target = new URL(url);
  target.pathname = `/${name}`;
  const database = await openDatabase({ databaseUrl: target.toString() });
  await migrateToLatest(database.db);
  return { database, kind: 'postgres', drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

export default async function (args: string[]): Promise<BenchResult> {
  const threads = option(args, 'threads', 1);
  const maxTokens = option(args, 'tokens', 16);
  const requestsPerLevel = option(args, 'requests', 48);
  const dir = mkdtempSync(join(tmpdir(), 'tuneledger-bench-serve-'));
  const backend = await initBackend();
  saveModel(initModel(), join(dir, 'tiny'));
  await new ByteTokenizer().save(join(dir, 'tiny'));
  const { database, kind, drop } = await freshDatabase(args.includes('--postgres'));
  const store = new PostgresEventStore(database);
  const services = createServices({ store, clock: systemClock, ids: uuidIds });
  const logger = pino({ level: 'silent' });
  const serving = await startServing({
    store,
    services,
    resolver: { resolve: async (model) => ({ key: modelKey(model), baseDir: join(dir, 'tiny') }) },
    pool: { threads, maxQueue: 256 },
    watch: false,
    logger,
    // --defer-capture: interactions wait in the buffer until the end, to see what concurrent appends cost.
    ...(args.includes('--defer-capture')
      ? { recorder: { flushMs: 3_600_000, batchSize: 1_000_000, maxBuffered: 1_000_000 } }
      : {}),
  });
  const graphql = await createGraphqlServer({
    store,
    db: database.db,
    services,
    port: 0,
    logger,
    routes: (app, api) => serving.mount(app, api),
  });
  const token = (await graphql.tokens.create({ actor: 'bench', roles: ['viewer'], createdBy: 'bench' }))
    .token;
  const model = { name: 'tiny', version: 1 };
  await serving.host.activate('bench', model);
  const url = graphql.url.replace(/\/graphql$/, '/v1/chat/completions');
  const body = (i: number) =>
    JSON.stringify({
      model: 'bench',
      messages: [
        {
          role: 'user',
          content: `Question number ${i}: what is the capital of France? Mail me at someone@example.com.`,
        },
      ],
      max_tokens: maxTokens,
    });

  const one = async (i: number): Promise<Timing> => {
    const started = performance.now();
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: body(i),
    });
    const json = (await response.json()) as { usage: { completion_tokens: number } };
    const clientMs = performance.now() - started;
    if (response.status !== 200)
      throw new Error(`request failed with ${response.status}: ${JSON.stringify(json)}`);
    const timing = Object.fromEntries(
      (response.headers.get('server-timing') ?? '').split(',').map((part) => {
        const [name, dur] = part.trim().split(';dur=');
        return [name, Number(dur)];
      }),
    ) as Record<string, number>;
    return {
      clientMs,
      modelMs: timing['model']!,
      queueMs: timing['queue']!,
      serverMs: timing['total']!,
      preMs: timing['pre']!,
      handoffMs: timing['handoff']!,
      postMs: timing['post']!,
      tokens: json.usage.completion_tokens,
    };
  };

  const metrics: Record<string, number> = {};
  const goals: string[] = [];
  // Warm-up: first forward passes compile kernels.
  for (let i = 0; i < 4; i++) await one(i);
  // Baseline: the pool alone, one at a time.
  const direct: number[] = [];
  for (let i = 0; i < 16; i++) {
    const started = performance.now();
    await serving.pool.generate({
      key: modelKey(model),
      prompt: { kind: 'chat', messages: [{ role: 'user', content: `Question number ${i}` }] },
      maxTokens,
      stream: false,
    }).result;
    direct.push(performance.now() - started);
  }
  Object.assign(metrics, percentiles('baseline_pool_latency_ms', direct));
  for (const concurrency of [1, 8, 32]) {
    const timings: Timing[] = [];
    let next = 0;
    const total = Math.max(requestsPerLevel, concurrency * 2);
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < total) timings.push(await one(next++));
      }),
    );
    const wallS = (performance.now() - started) / 1000;
    const overhead = timings.map((t) => Math.max(0, t.serverMs - t.modelMs - t.queueMs));
    Object.assign(
      metrics,
      percentiles(
        `c${concurrency}_latency_ms`,
        timings.map((t) => t.clientMs),
      ),
      percentiles(
        `c${concurrency}_model_ms`,
        timings.map((t) => t.modelMs),
      ),
      percentiles(
        `c${concurrency}_queue_ms`,
        timings.map((t) => t.queueMs),
      ),
      percentiles(`c${concurrency}_overhead_ms`, overhead),
      percentiles(
        `c${concurrency}_pre_ms`,
        timings.map((t) => t.preMs),
      ),
      percentiles(
        `c${concurrency}_handoff_ms`,
        timings.map((t) => t.handoffMs),
      ),
      percentiles(
        `c${concurrency}_post_ms`,
        timings.map((t) => t.postMs),
      ),
      {
        [`c${concurrency}_tokens_per_s`]: round(timings.reduce((s, t) => s + t.tokens, 0) / wallS),
        [`c${concurrency}_requests_per_s`]: round(total / wallS),
      },
    );
    const p99 = metrics[`c${concurrency}_overhead_ms_p99`]!;
    goals.push(
      `non-model overhead p99 < 2 ms at concurrency ${concurrency}: ${p99 < 2 ? 'yes' : 'no'} (${p99} ms)`,
    );
  }
  await serving.recorder.flush();
  metrics['interactions_recorded'] = serving.recorder.recorded;
  await graphql.close();
  await serving.close();
  await store.close();
  await database.close();
  await drop();
  rmSync(dir, { recursive: true, force: true });
  return {
    name: 'serve',
    backend: `${backend.backend} (${backend.device}); ${machine()}`,
    inputs: {
      threads,
      maxTokens,
      requestsPerLevel,
      model: 'tiny (2 layers, hidden 64, byte tokenizer)',
      database: kind,
    },
    metrics,
    goals,
  };
}
