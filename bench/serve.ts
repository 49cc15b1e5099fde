/**
 * `npm run bench -- serve [--threads=1] [--tokens=16] [--requests=200] [--warmup=200] [--postgres]
 * [--defer-capture] [--flush-ms=N] [--client=both|thread|process|inline]`: the OpenAI-compatible endpoint on the
 * tiny model, in this process over embedded PGlite (or PostgreSQL) with a real API token: latency p50/p99 and
 * generated tokens/s at concurrency 1, 8 and 32, and where the time goes: in the model (the generation
 * thread), waiting for a thread, and the rest of the request path (body parsing, routing, auth, redaction,
 * filter, capture, response serialisation, thread messages), as the server itself reports it per request
 * (Server-Timing).
 *
 * Two load clients, each level run with one right after the other (default `both`):
 * - `c*_`: clients in a worker thread of the server process, at the server's priority. On this 2-core
 *   machine the generation thread keeps one core busy, so the clients' fetch and JSON work competes with
 *   the serving thread for the other: their CPU lands in the server's tail.
 * - `idle_c*_`: clients in a separate process at idle priority (SCHED_IDLE via `chrt`, else nice 19). They
 *   run only when a core is otherwise free, as clients on another machine would. **This is the figure that
 *   answers the issue's goal** (the server's own non-model overhead): the overhead is the same per-request,
 *   server-side measure with every stage counted (thread hand-off included); only the load generator stops
 *   taking the serving thread's core. The generation thread, V8's helper threads and PostgreSQL still
 *   compete as in production.
 * (`inline`: the clients on the server's own event loop, as the first version of this bench did.)
 *
 * Before measuring, `--warmup` requests (at concurrency 8, shared by the clients) let V8 optimise the
 * request path and the generation loop; each level then starts with `concurrency` unmeasured requests.
 * Also per level: the event loop's delay (perf_hooks) and, on Linux (schedstat), CPU per request by thread:
 * the serving thread and how long it sat runnable waiting for a core, the generation thread(s), the
 * clients, and the rest of the process (V8's compiler and GC helpers).
 * Baselines in the same run: the generation pool called directly (no HTTP, no filters, no capture), and a
 * bare hand-off to an echo thread.
 */
import { randomBytes } from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance, type IntervalHistogram } from 'node:perf_hooks';
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
  const clientKind = args.find((arg) => arg.startsWith('--client='))?.slice('--client='.length) ?? 'both';
  if (!['both', 'thread', 'process', 'inline'].includes(clientKind))
    throw new Error(`--client must be thread, process, both or inline (got "${clientKind}")`);
  // Each level runs once per client, one client right after the other, so both see the same minutes.
  const clients: { readonly prefix: string; readonly client: LoadClient }[] = [
    ...(clientKind === 'inline' ? [{ prefix: '', client: inlineClient() }] : []),
    ...(clientKind === 'both' || clientKind === 'thread' ? [{ prefix: '', client: threadClient() }] : []),
    ...(clientKind === 'both' || clientKind === 'process'
      ? [{ prefix: 'idle_', client: processClient() }]
      : []),
  ];
  const warmUpRequests = option(args, 'warmup', 200);

  const metrics: Record<string, number> = {};
  const goals: string[] = [];
  // Warm-up: the first forward passes compile kernels; then enough requests through every client for V8 to
  // have optimised the request path and the generation loop (a server runs for longer than a bench).
  for (const { client } of clients) {
    await client.run({ url, token, maxTokens, concurrency: 1, warmUp: 0, total: 4 }, () => {});
    await client.run(
      { url, token, maxTokens, concurrency: 8, warmUp: 0, total: Math.ceil(warmUpRequests / clients.length) },
      () => {},
    );
  }
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
    for (const { prefix, client } of clients) {
      const total = Math.max(requestsPerLevel, concurrency * 2);
      let started = 0;
      let cpuBefore: ThreadCpu | undefined;
      let occupancyBefore = serving.pool.occupancy();
      const timings = await client.run(
        { url, token, maxTokens, concurrency, warmUp: concurrency, total },
        () => {
          started = performance.now();
          cpuBefore = threadCpu(client.where().pid);
          occupancyBefore = serving.pool.occupancy();
          delay.reset();
          delay.enable();
        },
      );
      delay.disable();
      const wallS = (performance.now() - started) / 1000;
      const cpuAfter = threadCpu(client.where().pid);
      const occupancyAfter = serving.pool.occupancy();
      const level = `${prefix}c${concurrency}`;
      // Sequences decoded together, on average over each request's steps, averaged over the level's requests.
      metrics[`${level}_batch_occupancy`] = round(
        (occupancyAfter.batchSizeSum - occupancyBefore.batchSizeSum) /
          Math.max(1, occupancyAfter.requests - occupancyBefore.requests),
      );
      Object.assign(
        metrics,
        levelMetrics(level, timings, total, wallS, delay),
        cpuBefore && cpuAfter ? cpuMetrics(level, cpuBefore, cpuAfter, total, client, threads) : {},
      );
      const p99 = metrics[`${level}_overhead_ms_p99`]!;
      const own = metrics[`${level}_own_ms_p99`]!;
      goals.push(
        `non-model overhead p99 < 2 ms at concurrency ${concurrency}, ${client.description}: ${p99 < 2 ? 'yes' : 'no'} (${p99} ms with the thread hand-off; ${own} ms without it)`,
      );
    }
  }
  for (const { prefix, client } of clients) {
    const at = (level: string, what: string) => metrics[`${prefix}${level}_${what}`]!;
    const throughput = round(at('c32', 'tokens_per_s') / at('c1', 'tokens_per_s'));
    const latency = round(at('c8', 'latency_ms_p50') / at('c1', 'latency_ms_p50'));
    const handoff = Math.max(
      ...[1, 8, 32].map((c) => at(`c${c}`, 'handoff_ms_p99') - metrics['baseline_thread_roundtrip_ms_p99']!),
    );
    metrics[`${prefix}throughput_c32_over_c1`] = throughput;
    metrics[`${prefix}latency_p50_c8_over_c1`] = latency;
    goals.push(
      `continuous batching, ${client.description}: tokens/s at concurrency 32 >= 6x concurrency 1: ${throughput >= 6 ? 'yes' : 'no'} (${throughput}x; batch occupancy ${at('c32', 'batch_occupancy')} at 32, ${at('c8', 'batch_occupancy')} at 8)`,
      `continuous batching, ${client.description}: p50 latency at concurrency 8 <= 3x concurrency 1: ${latency <= 3 ? 'yes' : 'no'} (${latency}x)`,
      `hand-off p99 within 0.5 ms of the bare hand-off's p99 at every concurrency, ${client.description}: ${handoff <= 0.5 ? 'yes' : 'no'} (at most ${round(handoff)} ms above it)`,
    );
  }
  goals.push(
    `for scale: a bare hand-off to a thread costs p50 ${metrics['baseline_thread_roundtrip_ms_p50']} / p99 ${metrics['baseline_thread_roundtrip_ms_p99']} ms on this machine, beyond the thread's work`,
  );
  for (const { client } of clients) await client.close();
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
      warmUpRequests,
      clients: clients.map(({ prefix, client }) => `${prefix || '(no prefix)'}: ${client.description}`),
    },
    metrics,
    goals,
  };
}

/** A level's latency, its split (model, queue, our overhead and its parts), throughput and event-loop delay. */
function levelMetrics(
  level: string,
  timings: readonly Timing[],
  requests: number,
  wallS: number,
  delay: IntervalHistogram,
): Record<string, number> {
  const of = (what: keyof Timing) => timings.map((t) => t[what]);
  return {
    ...percentiles(`${level}_latency_ms`, of('clientMs')),
    ...percentiles(`${level}_model_ms`, of('modelMs')),
    ...percentiles(`${level}_queue_ms`, of('queueMs')),
    // Everything the server did for the request outside the model and the queue, thread hand-off included.
    ...percentiles(
      `${level}_overhead_ms`,
      timings.map((t) => Math.max(0, t.serverMs - t.modelMs - t.queueMs)),
    ),
    ...percentiles(`${level}_pre_ms`, of('preMs')),
    ...percentiles(`${level}_handoff_ms`, of('handoffMs')),
    ...percentiles(`${level}_post_ms`, of('postMs')),
    // The list (routing, auth, redaction, filter, event capture): our code before and after the
    // hand-off, without the thread round trip itself (compare baseline_thread_roundtrip_ms).
    ...percentiles(
      `${level}_own_ms`,
      timings.map((t) => t.preMs + t.postMs),
    ),
    [`${level}_tokens_per_s`]: round(timings.reduce((s, t) => s + t.tokens, 0) / wallS),
    [`${level}_requests_per_s`]: round(requests / wallS),
    [`${level}_event_loop_delay_ms_p50`]: round(delay.percentile(50) / 1e6),
    [`${level}_event_loop_delay_ms_p99`]: round(delay.percentile(99) / 1e6),
    [`${level}_event_loop_delay_ms_max`]: round(delay.max / 1e6),
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
  /** Where the load comes from, in words (the bench's inputs and goal lines). */
  readonly description: string;
  /** The OS thread (in this process) or the process the client runs on, to count its CPU apart. */
  where(): { readonly tid?: number; readonly pid?: number };
  /** Runs one level; `onMeasuring` is called when the warm-up is over and measured requests begin. */
  run(config: LevelConfig, onMeasuring: () => void): Promise<Timing[]>;
  close(): Promise<void>;
}

/**
 * One level of load: `concurrency` clients posting chat completions back to back. Self-contained (globals
 * only: fetch, performance), because the thread client runs its source text in a worker.
 */
async function runLevel(config: LevelConfig, onMeasuring: () => void): Promise<Timing[]> {
  const one = async (i: number, retries = 0): Promise<Timing> => {
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
    }).catch((error: { cause?: { code?: string } }) => {
      // A kept-alive connection the server closed as this request went out (undici's "other side closed"):
      // the request never reached the server, so it is sent again on a fresh connection (up to three times: on a
      // saturated machine the server closes idle connections often).
      if (retries < 3 && error.cause?.code === 'UND_ERR_SOCKET') return undefined;
      throw error;
    });
    if (!response) return one(i, retries + 1);
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
  return {
    description: "clients on the server's event loop",
    where: () => ({}),
    run: runLevel,
    close: async () => {},
  };
}

/** Source text that runs `runLevel` for each config `listen` hands it, answering through `post`. */
const clientSource = (post: string, listen: string) => `const runLevel = ${runLevel.toString()};
(${listen})((config) => {
  runLevel(config, () => (${post})({ measuring: true })).then(
    (timings) => (${post})({ timings }),
    (error) => (${post})({ error: String((error && error.stack) || error) + (error && error.cause ? ' (cause: ' + String(error.cause) + ')' : '') }),
  );
});`;

type ClientMessage = { measuring?: true; timings?: Timing[]; error?: string; tid?: number };

/** Sends a level's config over `channel` and collects the answer. */
function runOver(
  channel: {
    on(event: 'message', listener: (message: ClientMessage) => void): unknown;
    off(event: 'message', listener: (message: ClientMessage) => void): unknown;
  },
  send: (config: LevelConfig) => void,
  config: LevelConfig,
  onMeasuring: () => void,
): Promise<Timing[]> {
  return new Promise<Timing[]>((resolve, reject) => {
    const onMessage = (message: ClientMessage) => {
      if (message.tid !== undefined) return;
      if (message.measuring) return onMeasuring();
      channel.off('message', onMessage);
      if (message.error) reject(new Error(`load client: ${message.error}`));
      else resolve(message.timings!);
    };
    channel.on('message', onMessage);
    send(config);
  });
}

/**
 * The load from a worker thread of this process: its event loop is its own, but it shares the machine's
 * cores with the server at the same priority.
 */
function threadClient(): LoadClient {
  const source = `const { parentPort } = require('node:worker_threads');
try {
  const tid = require('node:fs').readlinkSync('/proc/thread-self').split('/')[2];
  if (tid) parentPort.postMessage({ tid: Number(tid) });
} catch {}
${clientSource('(message) => parentPort.postMessage(message)', "(handler) => parentPort.on('message', handler)")}`;
  const worker = new Worker(source, { eval: true });
  let tid: number | undefined;
  worker.on('message', (message: ClientMessage) => {
    if (message.tid !== undefined) tid = message.tid;
  });
  return {
    description: 'clients in a worker thread of the server process',
    where: () => (tid === undefined ? {} : { tid }),
    run: (config, onMeasuring) => {
      const failed = new Promise<never>((_, reject) => worker.once('error', reject));
      return Promise.race([runOver(worker, (c) => worker.postMessage(c), config, onMeasuring), failed]);
    },
    close: async () => {
      await worker.terminate();
    },
  };
}

/**
 * The load from a child process at idle priority (SCHED_IDLE through `chrt`, else nice 19): it runs only on
 * a core nothing else wants, as a client on another machine would cost this one nothing. The server's own
 * threads (the request loop, generation, V8's helpers) and PostgreSQL still compete as they would in
 * production.
 */
function processClient(): LoadClient {
  const idle = process.platform === 'linux' && spawnSync('chrt', ['--version']).status === 0;
  const source = clientSource(
    '(message) => process.send(message)',
    "(handler) => process.on('message', handler)",
  );
  const child = idle
    ? spawn('chrt', ['--idle', '0', process.execPath, '-e', source], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      })
    : spawn(process.execPath, ['-e', source], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  if (!idle && child.pid !== undefined) setPriority(child.pid, 19);
  return {
    description: `clients in a separate process at ${idle ? 'idle priority (SCHED_IDLE)' : 'nice 19'}`,
    where: () => (child.pid === undefined ? {} : { pid: child.pid }),
    run: (config, onMeasuring) => {
      const exited = new Promise<never>((_, reject) =>
        child.once('exit', (code) => reject(new Error(`the load client process exited (${code})`))),
      );
      return Promise.race([runOver(child, (c) => child.send(c), config, onMeasuring), exited]);
    },
    close: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill();
      await exited;
    },
  };
}

interface SchedStat {
  readonly runNs: number;
  readonly waitNs: number;
}

/** CPU time per thread of this process (and of a client process), from Linux schedstat. */
interface ThreadCpu {
  readonly threads: ReadonlyMap<number, SchedStat>;
  readonly clientProcess?: SchedStat;
}

function schedStat(file: string): SchedStat | undefined {
  try {
    const [runNs, waitNs] = readFileSync(file, 'utf8').trim().split(/\s+/).map(Number);
    return runNs !== undefined && waitNs !== undefined ? { runNs, waitNs } : undefined;
  } catch {
    return undefined; // a thread that ended meanwhile
  }
}

/** Every thread's time on a CPU and time runnable but waiting for one; undefined where Linux schedstat is not. */
function threadCpu(clientPid?: number): ThreadCpu | undefined {
  if (!existsSync(`/proc/self/task/${process.pid}/schedstat`)) return undefined;
  const threads = new Map<number, SchedStat>();
  for (const tid of readdirSync('/proc/self/task').map(Number)) {
    const stat = schedStat(`/proc/self/task/${tid}/schedstat`);
    if (stat) threads.set(tid, stat);
  }
  let clientProcess: SchedStat | undefined;
  if (clientPid !== undefined) {
    let runNs = 0;
    let waitNs = 0;
    for (const tid of readdirSync(`/proc/${clientPid}/task`)) {
      const stat = schedStat(`/proc/${clientPid}/task/${tid}/schedstat`);
      runNs += stat?.runNs ?? 0;
      waitNs += stat?.waitNs ?? 0;
    }
    clientProcess = { runNs, waitNs };
  }
  return { threads, ...(clientProcess ? { clientProcess } : {}) };
}

/**
 * CPU per request during a level, by thread: the serving thread (and how long it sat runnable waiting for a
 * core), the generation threads (the busiest others), the load client, and everything else in the process
 * (V8's compiler and garbage-collector helpers, libuv's pool).
 */
function cpuMetrics(
  level: string,
  before: ThreadCpu,
  after: ThreadCpu,
  requests: number,
  client: LoadClient,
  generationThreads: number,
): Record<string, number> {
  const perRequest = (ns: number) => round(ns / 1e6 / requests);
  const used = (tid: number) => (after.threads.get(tid)?.runNs ?? 0) - (before.threads.get(tid)?.runNs ?? 0);
  const main = process.pid;
  const { tid: clientTid, pid: clientPid } = client.where();
  const others = [...after.threads.keys()]
    .filter((tid) => tid !== main && tid !== clientTid)
    .map((tid) => used(tid))
    .sort((a, b) => b - a);
  const generation = others.slice(0, generationThreads).reduce((sum, ns) => sum + ns, 0);
  const rest = others.slice(generationThreads).reduce((sum, ns) => sum + ns, 0);
  const clientNs =
    clientTid !== undefined
      ? used(clientTid)
      : clientPid !== undefined && before.clientProcess && after.clientProcess
        ? after.clientProcess.runNs - before.clientProcess.runNs
        : undefined;
  return {
    [`${level}_main_thread_cpu_ms_per_request`]: perRequest(used(main)),
    [`${level}_main_thread_cpu_wait_ms_per_request`]: perRequest(
      (after.threads.get(main)?.waitNs ?? 0) - (before.threads.get(main)?.waitNs ?? 0),
    ),
    [`${level}_generation_threads_cpu_ms_per_request`]: perRequest(generation),
    [`${level}_other_threads_cpu_ms_per_request`]: perRequest(rest),
    ...(clientNs !== undefined ? { [`${level}_client_cpu_ms_per_request`]: perRequest(clientNs) } : {}),
  };
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
