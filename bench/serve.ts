/**
 * `npm run bench -- serve [--threads=1] [--tokens=16] [--requests=200] [--postgres] [--defer-capture]
 * [--flush-ms=N] [--client=thread|inline]`: the OpenAI-compatible endpoint on the tiny model, in this process over embedded
 * PGlite (or PostgreSQL) with a real API token: latency p50/p99 and generated tokens/s at concurrency 1, 8
 * and 32, and where the time goes: in the model (the generation thread), waiting for a thread, and the rest
 * of the request path (body parsing, routing, auth, redaction, filter, capture, response serialisation,
 * thread messages).
 * The load comes from a worker thread (--client=inline: from this event loop, as before), so the clients'
 * own work does not stall the server's event loop; each level starts with `concurrency` unmeasured requests
 * (connections). Also per level: the event loop's delay (perf_hooks) and, on Linux, how long the serving
 * thread waited for a CPU (schedstat): on a loaded machine that wait, not our code, makes the tail.
 * Baseline in the same run: the generation pool called directly (no HTTP, no filters, no capture).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import pg from 'pg';
import { pino } from 'pino';
import { migrateToLatest } from '../src/app/migrate.js';
import { openDatabase, PostgresEventStore, type Database } from '../src/eventstore/index.js';
import { createGraphqlServer } from '../src/graphql/index.js';
import { initBackend, initModel, saveModel } from '../src/ml/index.js';
import { ByteTokenizer } from '../src/ml/tokenizers/index.js';
import { modelKey, startServing } from '../src/serving/index.js';
import { createServices, systemClock, uuidIds } from '../src/services/index.js';
import { machine, percentiles, round, spread, type BenchResult } from './lib.js';

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
  const requestsPerLevel = option(args, 'requests', 200);
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
    // --defer-capture: interactions wait in the buffer until the end, to see what concurrent appends cost;
    // --flush-ms=N: the recorder's flush interval.
    ...(args.includes('--defer-capture')
      ? { recorder: { flushMs: 3_600_000, batchSize: 1_000_000, maxBuffered: 1_000_000 } }
      : args.some((arg) => arg.startsWith('--flush-ms='))
        ? { recorder: { flushMs: option(args, 'flush-ms', 20) } }
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
  const client = args.includes('--client=inline') ? inlineClient() : threadClient();

  const metrics: Record<string, number> = {};
  const goals: string[] = [];
  // Warm-up: first forward passes compile kernels.
  await client.run({ url, token, maxTokens, concurrency: 1, warmUp: 0, total: 4 }, () => {});
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
  // Baseline: what a bare hand-off to a thread costs here, beyond the thread's own work (a 20-line echo
  // thread busy for the model's median time; no tuneledger code), to read the handoff rows against.
  Object.assign(
    metrics,
    percentiles('baseline_thread_roundtrip_ms', await bareThreadRoundTrips(200, spread(direct).median)),
  );
  // 10 ms: a finer timer would wake the serving thread a thousand times a second and add to what it measures.
  const delay = monitorEventLoopDelay({ resolution: 10 });
  for (const concurrency of [1, 8, 32]) {
    const total = Math.max(requestsPerLevel, concurrency * 2);
    let started = 0;
    let schedBefore: SchedStat | undefined;
    const timings = await client.run(
      { url, token, maxTokens, concurrency, warmUp: concurrency, total },
      () => {
        started = performance.now();
        schedBefore = mainThreadSchedStat();
        delay.reset();
        delay.enable();
      },
    );
    delay.disable();
    const wallS = (performance.now() - started) / 1000;
    const schedAfter = mainThreadSchedStat();
    const overhead = timings.map((t) => Math.max(0, t.serverMs - t.modelMs - t.queueMs));
    const level = `c${concurrency}`;
    Object.assign(
      metrics,
      percentiles(
        `${level}_latency_ms`,
        timings.map((t) => t.clientMs),
      ),
      percentiles(
        `${level}_model_ms`,
        timings.map((t) => t.modelMs),
      ),
      percentiles(
        `${level}_queue_ms`,
        timings.map((t) => t.queueMs),
      ),
      percentiles(`${level}_overhead_ms`, overhead),
      percentiles(
        `${level}_pre_ms`,
        timings.map((t) => t.preMs),
      ),
      percentiles(
        `${level}_handoff_ms`,
        timings.map((t) => t.handoffMs),
      ),
      percentiles(
        `${level}_post_ms`,
        timings.map((t) => t.postMs),
      ),
      // The list (routing, auth, redaction, filter, event capture): our code before and after the
      // hand-off, without the thread round trip itself (compare baseline_thread_roundtrip_ms).
      percentiles(
        `${level}_own_ms`,
        timings.map((t) => t.preMs + t.postMs),
      ),
      {
        [`${level}_tokens_per_s`]: round(timings.reduce((s, t) => s + t.tokens, 0) / wallS),
        [`${level}_requests_per_s`]: round(total / wallS),
        [`${level}_event_loop_delay_ms_p50`]: round(delay.percentile(50) / 1e6),
        [`${level}_event_loop_delay_ms_p99`]: round(delay.percentile(99) / 1e6),
        [`${level}_event_loop_delay_ms_max`]: round(delay.max / 1e6),
      },
      schedBefore && schedAfter
        ? {
            // CPU the serving thread used per request, and how long it sat runnable waiting for a core.
            [`${level}_main_thread_cpu_ms_per_request`]: round(
              (schedAfter.runNs - schedBefore.runNs) / 1e6 / total,
            ),
            [`${level}_main_thread_cpu_wait_ms_per_request`]: round(
              (schedAfter.waitNs - schedBefore.waitNs) / 1e6 / total,
            ),
          }
        : {},
    );
    const p99 = metrics[`${level}_overhead_ms_p99`]!;
    const own = metrics[`${level}_own_ms_p99`]!;
    goals.push(
      `non-model overhead p99 < 2 ms at concurrency ${concurrency}: ${p99 < 2 ? 'yes' : 'no'} (${p99} ms with the thread hand-off; ${own} ms without it: ${own < 2 ? 'yes' : 'no'})`,
    );
  }
  goals.push(
    `for scale: a bare hand-off to a thread costs p50 ${metrics['baseline_thread_roundtrip_ms_p50']} / p99 ${metrics['baseline_thread_roundtrip_ms_p99']} ms on this machine, beyond the thread's work`,
  );
  await client.close();
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
      client: args.includes('--client=inline') ? "inline (the server's event loop)" : 'worker thread',
    },
    metrics,
    goals,
  };
}

interface LevelConfig {
  readonly url: string;
  readonly token: string;
  readonly maxTokens: number;
  readonly concurrency: number;
  /** Requests sent (at the level's concurrency) before measuring: connections, caches. */
  readonly warmUp: number;
  readonly total: number;
}

interface LoadClient {
  /** Runs one level; `onMeasuring` is called when the warm-up is over and measured requests begin. */
  run(config: LevelConfig, onMeasuring: () => void): Promise<Timing[]>;
  close(): Promise<void>;
}

/**
 * One level of load: `concurrency` clients posting chat completions back to back. Self-contained (globals
 * only: fetch, performance), because the thread client runs its source text in a worker.
 */
async function runLevel(config: LevelConfig, onMeasuring: () => void): Promise<Timing[]> {
  const one = async (i: number): Promise<Timing> => {
    const started = performance.now();
    const response = await fetch(config.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${config.token}` },
      body: JSON.stringify({
        model: 'bench',
        messages: [
          {
            role: 'user',
            content: `Question number ${i}: what is the capital of France? Mail me at someone@example.com.`,
          },
        ],
        max_tokens: config.maxTokens,
      }),
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
  const burst = async (count: number, from: number) => {
    const timings: Timing[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: config.concurrency }, async () => {
        while (next < count) timings.push(await one(from + next++));
      }),
    );
    return timings;
  };
  await burst(config.warmUp, 0);
  onMeasuring();
  return burst(config.total, config.warmUp);
}

/** The load from this event loop: the clients' work competes with the server's. */
function inlineClient(): LoadClient {
  return { run: runLevel, close: async () => {} };
}

/** The load from a worker thread, as it would come from another process. */
function threadClient(): LoadClient {
  const source = `const { parentPort } = require('node:worker_threads');
const runLevel = ${runLevel.toString()};
parentPort.on('message', (config) => {
  runLevel(config, () => parentPort.postMessage({ measuring: true })).then(
    (timings) => parentPort.postMessage({ timings }),
    (error) => parentPort.postMessage({ error: String(error && error.stack || error) }),
  );
});`;
  const worker = new Worker(source, { eval: true });
  return {
    run: (config, onMeasuring) =>
      new Promise<Timing[]>((resolve, reject) => {
        const onMessage = (message: { measuring?: true; timings?: Timing[]; error?: string }) => {
          if (message.measuring) return onMeasuring();
          worker.off('message', onMessage);
          worker.off('error', reject);
          if (message.error) reject(new Error(`load client: ${message.error}`));
          else resolve(message.timings!);
        };
        worker.on('message', onMessage);
        worker.on('error', reject);
        worker.postMessage(config);
      }),
    close: async () => {
      await worker.terminate();
    },
  };
}

interface SchedStat {
  readonly runNs: number;
  readonly waitNs: number;
}

/** This thread's time on a CPU and time runnable but waiting for one (Linux schedstat), if available. */
function mainThreadSchedStat(): SchedStat | undefined {
  const file = `/proc/self/task/${process.pid}/schedstat`;
  if (!existsSync(file)) return undefined;
  const [runNs, waitNs] = readFileSync(file, 'utf8').trim().split(/\s+/).map(Number);
  return runNs !== undefined && waitNs !== undefined ? { runNs, waitNs } : undefined;
}

/** Round trips to an echo thread that computes for `busyMs`: the time beyond its work, per trip. */
async function bareThreadRoundTrips(trips: number, busyMs: number): Promise<number[]> {
  const echo = new Worker(
    `const { parentPort } = require('node:worker_threads');
     parentPort.on('message', (m) => {
       const t = performance.now();
       while (performance.now() - t < m.busyMs) {}
       parentPort.postMessage({ workMs: performance.now() - t });
     });`,
    { eval: true },
  );
  const beyond: number[] = [];
  try {
    for (let i = 0; i < trips; i++) {
      const started = performance.now();
      const { workMs } = await new Promise<{ workMs: number }>((resolve) => {
        echo.once('message', resolve);
        echo.postMessage({ busyMs });
      });
      beyond.push(performance.now() - started - workMs);
    }
  } finally {
    await echo.terminate();
  }
  return beyond;
}
