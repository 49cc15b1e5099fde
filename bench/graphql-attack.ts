/**
 * `npm run bench -- graphql-attack [--seconds=N]`: one caller's cost attack against the GraphQL API
 * must not stall the others (issue 14). A server in this process over PostgreSQL (DATABASE_URL) or
 * embedded PGlite, with its default limits, serves two API tokens:
 *
 * - the victim asks `{ me { actor } }` at 50 requests/s (under its rate limit), first alone (the
 *   baseline), then again while
 * - the attacker sends, over 8 connections back to back, documents of 2000 aliases of
 *   `auditReport(asOf: ...)`, each one never seen before (a fresh model name per request, so no
 *   parsed-document or cost cache helps).
 *
 * Measured: the victim's p50/p99 alone and during the attack (goal: p99 within 2x of the baseline),
 * how the attacker was answered (400: refused as too large or costly; 429: rate limited, each refused
 * document costing it 20 times its tokens), the server's CPU per attack request, and the attack's
 * refusal latency, sequentially from fresh tokens (goal: refused within 100 ms).
 * Both loads come from autocannon in child processes, so the load generator's work is not counted
 * as server latency.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import pg from 'pg';
import { pino } from 'pino';
import { migrateToLatest } from '../src/app/migrate.js';
import { openDatabase, PostgresEventStore, type Database } from '../src/eventstore/index.js';
import { createGraphqlServer } from '../src/graphql/index.js';
import { percentiles, round, type BenchResult } from './lib.js';

interface CannonResult {
  latency: { p50: number; p99: number; p90: number };
  requests: { average: number; total: number };
  non2xx: number;
  errors: number;
  statusCodeStats?: Record<string, { count: number }>;
}
const autocannonCli = createRequire(import.meta.url).resolve('autocannon/autocannon.js');

async function load(
  url: string,
  options: {
    body: string;
    token: string;
    connections: number;
    seconds: number;
    rate?: number;
    ids?: boolean;
  },
): Promise<CannonResult> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      autocannonCli,
      '--json',
      '--no-progress',
      '--connections',
      String(options.connections),
      '--duration',
      String(options.seconds),
      ...(options.rate ? ['--overallRate', String(options.rate)] : []),
      '--method',
      'POST',
      '--headers',
      'content-type=application/json',
      '--headers',
      `authorization=Bearer ${options.token}`,
      // From a file: a 2000-alias document is over the size of one command-line argument.
      '--input',
      await bodyFile(options.body),
      ...(options.ids ? ['--idReplacement'] : []),
      url,
    ],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  return JSON.parse(stdout) as CannonResult;
}

async function bodyFile(body: string): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'tuneledger-attack-'));
  const file = join(directory, 'body.json');
  await writeFile(file, body);
  return file;
}

async function freshDatabase(): Promise<{ database: Database; drop: () => Promise<void>; kind: string }> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    const database = await openDatabase({ dataDir: 'memory://' });
    await migrateToLatest(database.db);
    return { database, drop: async () => {}, kind: 'pglite' };
  }
  const name = `tuneledger_bench_attack_${randomBytes(4).toString('hex')}`;
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

/** 2000 aliases of an audit report as of a moment; `modelName` makes each document new. */
export function auditAliasAttack(modelName: string, aliases = 2000): string {
  const fields = Array.from(
    { length: aliases },
    (_, i) =>
      `a${i}: auditReport(modelName: "${modelName}", version: 1, asOf: "2026-01-01T00:00:00Z") { modelName }`,
  );
  return `{ ${fields.join(' ')} }`;
}

export default async function (args: string[]): Promise<BenchResult> {
  const seconds = Number(args.find((arg) => arg.startsWith('--seconds='))?.slice(10) ?? 10);
  const victimRate = 50;
  const attackConnections = 8;
  const probes = 30;
  const { database, drop, kind } = await freshDatabase();
  const store = new PostgresEventStore(database, { pollIntervalMs: 50 });
  const server = await createGraphqlServer({
    store,
    db: database.db,
    port: 0,
    logger: pino({ level: 'error' }),
  });
  const token = async (actor: string) =>
    (await server.tokens.create({ actor, roles: ['viewer'], createdBy: 'bench' })).token;
  const victim = await token('victim');
  const attacker = await token('attacker');
  const metrics: Record<string, number> = {};

  // The attack's refusal latency: unseen documents one after another, each from a fresh token (a
  // refused document costs its sender 20 times its tokens, so one token's next would wait).
  const refusals: number[] = [];
  let refusedWith400 = 0;
  for (let i = 0; i < probes; i++) {
    const prober = await token(`prober-${i}`);
    const body = JSON.stringify({ query: auditAliasAttack(`probe-${i}-${randomBytes(4).toString('hex')}`) });
    const started = performance.now();
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${prober}` },
      body,
    });
    await response.text();
    refusals.push(performance.now() - started);
    if (response.status === 400) refusedWith400++;
  }
  Object.assign(metrics, percentiles('attack_refusal_ms', refusals));
  metrics.attack_refused_with_400 = refusedWith400;

  const victimBody = JSON.stringify({ query: '{ me { actor } }' });
  const victimLoad = () =>
    load(server.url, { body: victimBody, token: victim, connections: 4, seconds, rate: victimRate });
  const baseline = await victimLoad();
  const cpuBefore = process.cpuUsage();
  const [during, attack] = await Promise.all([
    victimLoad(),
    load(server.url, {
      body: JSON.stringify({ query: auditAliasAttack('[<id>]') }),
      token: attacker,
      connections: attackConnections,
      seconds,
      ids: true,
    }),
  ]);
  for (const [name, result] of [
    ['victim_me_baseline', baseline],
    ['victim_me_during_attack', during],
  ] as const) {
    if (result.non2xx > 0) throw new Error(`${name}: ${result.non2xx} non-2xx answers to the victim`);
    metrics[`${name}_p50_ms`] = round(result.latency.p50);
    metrics[`${name}_p90_ms`] = round(result.latency.p90);
    metrics[`${name}_p99_ms`] = round(result.latency.p99);
    metrics[`${name}_requests_per_s`] = round(result.requests.average);
  }
  const cpu = process.cpuUsage(cpuBefore);
  // This process's CPU (server only) over the attack phase, per request of either client.
  metrics.server_cpu_ms_per_request_during_attack = round(
    (cpu.user + cpu.system) / 1000 / Math.max(1, attack.requests.total + during.requests.total),
  );
  metrics.attack_requests_per_s = round(attack.requests.average);
  metrics.attack_answers_400 = attack.statusCodeStats?.['400']?.count ?? 0;
  metrics.attack_answers_429 = attack.statusCodeStats?.['429']?.count ?? 0;
  metrics.attack_answers_2xx = attack.statusCodeStats?.['200']?.count ?? 0;
  metrics.attack_p50_ms = round(attack.latency.p50);
  metrics.attack_p99_ms = round(attack.latency.p99);

  await server.close();
  await store.close();
  await database.close();
  await drop();
  const ratio = metrics.victim_me_during_attack_p99_ms! / metrics.victim_me_baseline_p99_ms!;
  metrics.victim_p99_ratio = round(ratio);
  return {
    name: 'graphql-attack',
    backend: kind,
    inputs: { seconds, victimRate, attackConnections, aliases: 2000 },
    metrics,
    goals: [
      `attack refused (HTTP 400) within 100 ms: p99 ${metrics.attack_refusal_ms_p99} ms, ${refusedWith400}/${probes} with 400: ${metrics.attack_refusal_ms_p99! < 100 && refusedWith400 === probes ? 'yes' : 'no'}`,
      `victim { me } p99 during the attack within 2x of its baseline: ${metrics.victim_me_during_attack_p99_ms} / ${metrics.victim_me_baseline_p99_ms} ms = ${round(ratio)}x: ${ratio <= 2 ? 'yes' : 'no'}`,
    ],
  };
}
