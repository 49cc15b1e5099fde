/**
 * `npm run bench -- graphql [--seconds=N] [--only=phase,...] [--interpreted]`: the GraphQL API under load against a server in this
 * process over PostgreSQL (DATABASE_URL) or embedded PGlite: a run with 1,000 metric points (as
 * columnar series; `run_1000_points_objects`: as one object per point), a
 * 20-item runs page, an audit report, and subscription delivery latency (append -> client) with
 * 100 graphql-ws subscribers. Baseline in the same run: `{ me { actor } }` (no database work).
 * The run, page and audit queries are measured twice: repeated (served by the response cache) and
 * with a fresh variable per request (`_miss`: every request executed). The run query is measured
 * twice more while the log grows, as on a live platform: `_with_traffic`, while 200 production
 * interactions a second are recorded (another read model moves: the answer stays cached), and
 * `_while_training`, while another run reports progress 10 times a second (the runs read model
 * moves: each change means one execution, shared by the clients waiting for it).
 *
 * The load generator (autocannon's CLI) runs in a child process, so it does not share the server's
 * event loop: its own work would otherwise show up as server latency.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { createClient } from 'graphql-ws';
import pg from 'pg';
import { pino } from 'pino';
import WebSocket from 'ws';
import { migrateToLatest } from '../src/app/migrate.js';
import {
  openDatabase,
  PostgresEventStore,
  type Database,
  type EventStore,
  type StreamAppend,
} from '../src/eventstore/index.js';
import { createGraphqlServer } from '../src/graphql/index.js';
import { allProjections, ProjectionRunner } from '../src/projections/index.js';
import { percentiles, round, type BenchResult } from './lib.js';
import { appendLifecycle, generateLifecycle } from './projections.js';

interface CannonResult {
  latency: { p50: number; p99: number; p90: number; p10: number; average: number };
  requests: { average: number; total: number };
  non2xx: number;
  errors: number;
}
const autocannonCli = createRequire(import.meta.url).resolve('autocannon/autocannon.js');

/** autocannon in its own process: 50 closed-loop connections POSTing one query for `seconds`. */
async function loadInChildProcess(
  url: string,
  body: string,
  connections: number,
  seconds: number,
  replaceIds: boolean,
): Promise<CannonResult> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      autocannonCli,
      '--json',
      '--no-progress',
      '--connections',
      String(connections),
      '--duration',
      String(seconds),
      '--method',
      'POST',
      '--headers',
      'content-type=application/json',
      '--body',
      body,
      ...(replaceIds ? ['--idReplacement'] : []),
      url,
    ],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  return JSON.parse(stdout) as CannonResult;
}

/**
 * Appends what `next` gives every `intervalMs` (one appendMany round trip each) until stopped: what
 * a live platform writes while people read. `stop` returns how many events were written.
 */
function writeInBackground(
  store: EventStore,
  next: (tick: number) => StreamAppend[],
  intervalMs: number,
): { stop(): Promise<number> } {
  let written = 0;
  let tick = 0;
  let pending: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    const appends = next(tick++);
    pending = pending
      .then(() => store.appendMany(appends))
      .then((results) => {
        for (const result of results)
          if (result.status === 'fulfilled') written += result.value.events.length;
      });
  }, intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      await pending;
      return written;
    },
  };
}

async function freshDatabase(): Promise<{ database: Database; drop: () => Promise<void>; kind: string }> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    const database = await openDatabase({ dataDir: 'memory://' });
    await migrateToLatest(database.db);
    return { database, drop: async () => {}, kind: 'pglite' };
  }
  const name = `tuneledger_bench_graphql_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const target = new URL(url);
  target.pathname = `/${name}`;
  const database = await openDatabase({ databaseUrl: target.toString(), poolSize: 20 });
  await migrateToLatest(database.db);
  return {
    database,
    kind: 'postgres',
    drop: async () => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

export default async function (args: string[]): Promise<BenchResult> {
  const seconds = Number(args.find((arg) => arg.startsWith('--seconds='))?.slice(10) ?? 5);
  const connections = 50;
  const { database, drop, kind } = await freshDatabase();
  const store = new PostgresEventStore(database, { pollIntervalMs: 50 });
  const appends = generateLifecycle({ events: 22_000, progressPerRun: 1000, progressPerAppend: 50 });
  const written = await appendLifecycle(store, appends);
  const runner = new ProjectionRunner({ db: database.db, store, projections: allProjections });
  runner.start();
  const last = await store.readStream(appends.at(-1)!.streamId);
  await runner.waitFor(last.at(-1)!.checkpoint, { timeoutMs: 600_000 });
  const server = await createGraphqlServer({
    store,
    db: database.db,
    port: 0,
    projections: runner,
    logger: pino({ level: 'error' }),
    // 50 clients of one local caller at thousands of requests a second: throughput, not fairness
    // (bench/graphql-attack.ts measures the rate limit).
    rateLimit: false,
    // --interpreted: graphql-js's executor instead of compiled queries (graphql-jit), to compare.
    execution: args.includes('--interpreted') ? 'interpreted' : 'compiled',
  });

  const all = appends.flatMap((append) => append.events);
  const runId = (all.find((event) => event.type === 'TrainingRunRequested')!.data as { runId: string }).runId;
  const registered = all.filter((event) => event.type === 'ModelVersionRegistered').at(-1)!;
  const { version } = registered.data as { version: number };
  const queries: Record<string, string> = {
    baseline_me: '{ me { actor } }',
    // Columnar series (two flat lists per figure), as a chart asks for them.
    run_1000_points: `{ run(runId: "${runId}") { runId status metricSeries(names: [LOSS, LEARNING_RATE], first: 1000) { series { name steps values } nextFromStep } } }`,
    // The same points as an object per step (the RunMetric connection), for comparison.
    run_1000_points_objects: `{ run(runId: "${runId}") { runId status a: metrics(first: 500) { edges { node { step loss learningRate } } } b: metrics(first: 500, fromStep: 501) { edges { node { step loss learningRate } } } } }`,
    runs_page_20:
      '{ runs(first: 20) { edges { cursor node { runId status baseModel lastLoss requestedAt } } pageInfo { hasNextPage } } }',
    audit_report: `{ auditReport(modelName: "llama-med", version: ${version}) { allChainsIntact report } }`,
  };
  const metrics: Record<string, number> = {};
  // Each query but the baseline twice: as is (repeated: answered from the response cache after the
  // first; for the audit report after checking the involved streams' fingerprints again), and with a
  // variable holding a fresh random id per request (`_miss`: never seen, so a cache miss and a full
  // execution). The baseline is never cached.
  // --only=name[,name]: just these phases (e.g. runs_page_20_miss), for profiling one query.
  const only = args
    .find((arg) => arg.startsWith('--only='))
    ?.slice(7)
    .split(',');
  const allPhases: {
    name: string;
    body: string;
    replaceIds: boolean;
    background?: (tick: number) => StreamAppend[];
  }[] = Object.entries(queries).flatMap(([name, query]) => [
    { name, body: JSON.stringify({ query }), replaceIds: false },
    ...(name === 'baseline_me'
      ? []
      : [
          {
            name: `${name}_miss`,
            body: JSON.stringify({ query, variables: { nonce: '[<id>]' } }),
            replaceIds: true,
          },
        ]),
  ]);
  // The run query again while the log grows (see the header): production traffic, then another run training.
  const bench = { actor: 'bench' };
  const traffic = (tick: number): StreamAppend[] =>
    Array.from({ length: 20 }, (_, i) => {
      const interactionId = `bench-traffic-${tick}-${i}`;
      return {
        streamId: `interaction-${interactionId}`,
        expected: 'no_stream' as const,
        context: bench,
        events: [
          {
            type: 'InteractionRecorded',
            data: {
              interactionId,
              deploymentName: 'med-assistant',
              model: { name: 'llama-med', version },
              prompt: 'What is the usual adult dose of paracetamol?',
              response: 'Usually 500 mg to 1 g every 4-6 hours, at most 4 g a day.',
              latencyMs: 120,
              tokens: { prompt: 12, completion: 24 },
              meanTokenEntropy: 1.4,
              recordedAt: new Date().toISOString(),
            },
          },
        ],
      };
    });
  const trainingRunId = (
    all.filter((event) => event.type === 'TrainingRunRequested').at(-1)!.data as { runId: string }
  ).runId;
  const training = (tick: number): StreamAppend[] => [
    {
      streamId: `run-${trainingRunId}`,
      expected: 'any',
      context: bench,
      events: Array.from({ length: 5 }, (_, i) => {
        const step = 10_000 + tick * 5 + i;
        return {
          type: 'TrainingProgressReported',
          schemaVersion: 2,
          data: {
            runId: trainingRunId,
            step,
            totalSteps: 1_000_000,
            stageIndex: 0,
            epoch: step / 1_000_000,
            loss: 1.5,
            entityLoss: 1.8,
            learningRate: 1e-5,
            gradNorm: 1.1,
            tokensPerSecond: 900,
            elapsedMs: step * 250,
            etaMs: 1_000,
            attempt: 1,
            reportedAt: new Date().toISOString(),
          },
        };
      }),
    },
  ];
  const runBody = JSON.stringify({ query: queries.run_1000_points });
  allPhases.push(
    { name: 'run_1000_points_with_traffic', body: runBody, replaceIds: false, background: traffic },
    { name: 'run_1000_points_while_training', body: runBody, replaceIds: false, background: training },
  );
  const phases = only ? allPhases.filter((phase) => only.includes(phase.name)) : allPhases;
  for (const { name, body, replaceIds, background } of phases) {
    // One request first: it waits behind whatever the previous phase left queued, and warms up.
    const warm = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    const warmBody = await warm.text();
    if (!warm.ok) throw new Error(`${name}: HTTP ${warm.status} ${warmBody}`);
    // The answer's size: printing and writing it to the socket is much of a large answer's CPU.
    metrics[`${name}_response_bytes`] = Buffer.byteLength(warmBody);
    const cpuBefore = process.cpuUsage();
    const cacheBefore = server.responseCacheStats()!;
    const writer = background ? writeInBackground(store, background, 100) : null;
    const result = await loadInChildProcess(server.url, body, connections, seconds, replaceIds);
    const writtenMeanwhile = await writer?.stop();
    const cpu = process.cpuUsage(cpuBefore);
    const cacheAfter = server.responseCacheStats()!;
    const answered = cacheAfter.hits + cacheAfter.misses - cacheBefore.hits - cacheBefore.misses;
    metrics[`${name}_cache_hit_ratio`] = round((cacheAfter.hits - cacheBefore.hits) / Math.max(1, answered));
    metrics[`${name}_executions`] = cacheAfter.executions - cacheBefore.executions;
    if (writtenMeanwhile !== undefined) metrics[`${name}_events_appended_meanwhile`] = writtenMeanwhile;
    if (result.non2xx > 0 || result.requests.average === 0) {
      throw new Error(
        `${name}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.requests.average} requests/s; the server could not keep up (is the machine busy?)`,
      );
    }
    metrics[`${name}_p50_ms`] = round(result.latency.p50);
    metrics[`${name}_p90_ms`] = round(result.latency.p90);
    metrics[`${name}_p99_ms`] = round(result.latency.p99);
    metrics[`${name}_requests_per_s`] = round(result.requests.average);
    // Server-side CPU per request (this process: server, projections, feed); steadier than latency on a busy machine.
    metrics[`${name}_server_cpu_ms_per_request`] = round(
      (cpu.user + cpu.system) / 1000 / Math.max(1, result.requests.total),
    );
    // Timeouts and resets under overload are counted, not fatal.
    metrics[`${name}_errors`] = result.errors;
  }

  // Subscription delivery: 100 subscribers on one stream; each append's delivery time to every client.
  const subscribers = 100;
  const streamId = `dataset-bench-${randomBytes(4).toString('hex')}`;
  const sentAt = new Map<number, number>();
  const latencies: number[] = [];
  const clients = Array.from({ length: subscribers }, () =>
    createClient({ url: server.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0 }),
  );
  const before = server.subscriberCount();
  const stops = clients.map((client) =>
    client.subscribe<{ events: { data: { n: number } } }>(
      { query: `subscription { events(filter: { streamIds: ["${streamId}"] }) { data } }` },
      {
        next: (value) => {
          const n = value.data!.events.data.n;
          latencies.push(performance.now() - sentAt.get(n)!);
        },
        error: () => {},
        complete: () => {},
      },
    ),
  );
  while (server.subscriberCount() < before + subscribers)
    await new Promise((resolve) => setTimeout(resolve, 20));
  const appendsToMeasure = 50;
  for (let n = 1; n <= appendsToMeasure; n++) {
    sentAt.set(n, performance.now());
    await store.append(streamId, [{ type: 'BenchNoted', data: { n } }], 'any', { actor: 'bench' });
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const deadline = Date.now() + 10_000;
  while (latencies.length < subscribers * appendsToMeasure && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 20));
  Object.assign(metrics, percentiles('subscription_delivery_ms', latencies));
  metrics.subscription_deliveries = latencies.length;
  stops.forEach((stop) => stop());
  await Promise.all(clients.map((client) => client.dispose()));

  await server.close();
  await runner.stop();
  await database.close();
  await drop();
  const goal = (label: string, value: number | undefined, limit: number) =>
    value === undefined
      ? `${label}: not measured (--only)`
      : `${label} p99 ${value} ms < ${limit} ms: ${value < limit ? 'yes' : 'no'}`;
  return {
    name: 'graphql',
    backend: kind,
    inputs: {
      events: written,
      connections,
      seconds,
      subscribers,
      appendsToMeasure,
      runMetricPoints: 1000,
      execution: args.includes('--interpreted') ? 'interpreted' : 'compiled',
    },
    metrics,
    goals: [
      goal('run with 1,000 points (cached)', metrics.run_1000_points_p99_ms, 50),
      goal('run with 1,000 points (cache miss)', metrics.run_1000_points_miss_p99_ms, 50),
      goal(
        'run with 1,000 points (200 interactions/s recorded meanwhile)',
        metrics.run_1000_points_with_traffic_p99_ms,
        50,
      ),
      goal(
        'run with 1,000 points (another run reporting progress 10 times/s)',
        metrics.run_1000_points_while_training_p99_ms,
        50,
      ),
      goal('20-item runs page (cached)', metrics.runs_page_20_p99_ms, 50),
      goal('20-item runs page (cache miss)', metrics.runs_page_20_miss_p99_ms, 50),
      goal('audit report (cached, chains re-fingerprinted)', metrics.audit_report_p99_ms, 200),
      goal('audit report (cache miss)', metrics.audit_report_miss_p99_ms, 200),
      goal('subscription delivery', metrics.subscription_delivery_ms_p99, 100),
    ],
  };
}
