/**
 * `npm run bench -- startup [--rounds=3]`: how long `node bin/tuneledger.js start` takes on a fresh embedded
 * database until `/health` answers and until GraphQL answers `{ me { actor } }`, as a user sees it (a new
 * process, a new TUNELEDGER_DATA_DIR, port 0). Two ways, alternated round by round so load hits both alike:
 * - `template_`: a new database copied from the template `npm install` built (dist/pglite-template);
 * - `initdb_` (the baseline): TUNELEDGER_PGLITE_TEMPLATE=false, PGlite's initdb and every migration, as before.
 * Besides wall time, the start process's own CPU time when GraphQL first answered (/proc, Linux): on a loaded
 * machine it is the steadier figure, and on a quiet 2-core one it is close to the wall time.
 * The sources must be built (`npm run bench` builds them); without dist/pglite-template (`npm run
 * build:pglite`) both ways run initdb and the bench says so.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultPgliteTemplate } from '../src/app/pgliteTemplate.js';
import { packageRoot } from '../src/app/packageRoot.js';
import { round, spread, type BenchResult } from './lib.js';

interface Start {
  readonly healthMs: number;
  readonly graphqlMs: number;
  readonly cpuMs: number | undefined;
}

/** user + system CPU of a process so far, from /proc/<pid>/stat (clock ticks of 10 ms), or undefined. */
function cpuMsOf(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

async function answers(url: string, init?: RequestInit): Promise<boolean> {
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(2_000) });
    return response.ok && (await response.text()).length > 0;
  } catch {
    return false;
  }
}

async function startOnce(useTemplate: boolean): Promise<Start> {
  const dir = mkdtempSync(join(tmpdir(), 'tuneledger-startup-'));
  const began = performance.now();
  const child = spawn(process.execPath, [join(packageRoot(), 'bin', 'tuneledger.js'), 'start'], {
    env: {
      ...process.env,
      TUNELEDGER_DATA_DIR: join(dir, 'data'),
      PORT: '0',
      TUNELEDGER_PGLITE_TEMPLATE: String(useTemplate),
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', () => {});
    let base: string | undefined;
    let healthMs: number | undefined;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`start exited with ${child.exitCode}: ${output}`);
      base ??= /GraphQL at (http:\/\/[^\s]+)\/graphql/.exec(output)?.[1];
      if (base !== undefined) {
        if (healthMs === undefined && (await answers(`${base}/health`))) healthMs = performance.now() - began;
        const query = JSON.stringify({ query: '{ me { actor } }' });
        const headers = { 'content-type': 'application/json' };
        if (await answers(`${base}/graphql`, { method: 'POST', headers, body: query })) {
          const graphqlMs = performance.now() - began;
          return { healthMs: healthMs ?? graphqlMs, graphqlMs, cpuMs: cpuMsOf(child.pid!) };
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

function summary(prefix: string, starts: readonly Start[]): Record<string, number> {
  const metrics: Record<string, number> = {};
  const add = (key: string, samples: readonly number[]) => {
    if (samples.length === 0) return;
    const s = spread(samples);
    metrics[`${prefix}${key}`] = round(s.median);
    metrics[`${prefix}${key}_min`] = round(s.min);
    metrics[`${prefix}${key}_max`] = round(s.max);
  };
  add(
    'health_ms',
    starts.map((s) => s.healthMs),
  );
  add(
    'graphql_ms',
    starts.map((s) => s.graphqlMs),
  );
  add(
    'cpu_ms',
    starts.flatMap((s) => (s.cpuMs === undefined ? [] : [s.cpuMs])),
  );
  return metrics;
}

export default async function startupBench(args: string[]): Promise<BenchResult> {
  const rounds = Number(/^--rounds=(\d+)$/.exec(args.find((a) => a.startsWith('--rounds=')) ?? '')?.[1] ?? 3);
  const templateBuilt = existsSync(join(defaultPgliteTemplate().dataDir, 'PG_VERSION'));
  const loadBefore = loadavg()[0]!;
  const template: Start[] = [];
  const initdb: Start[] = [];
  for (let round = 0; round < rounds; round++) {
    template.push(await startOnce(true));
    initdb.push(await startOnce(false));
  }
  const metrics = { ...summary('template_', template), ...summary('initdb_', initdb) };
  const ratio = metrics.template_graphql_ms! / metrics.initdb_graphql_ms!;
  return {
    name: 'startup',
    backend: 'pglite',
    inputs: { rounds, templateBuilt, loadavg_before: round(loadBefore), loadavg_after: round(loadavg()[0]!) },
    metrics: { ...metrics, template_over_initdb_graphql: round(ratio) },
    goals: [
      `GraphQL answers within 5 s of \`npm start\` (fresh data dir): ${metrics.template_graphql_ms! <= 5_000 ? 'yes' : 'no'} (median ${round(metrics.template_graphql_ms! / 1000)} s, load average ${round(loadBefore)})`,
      ...(templateBuilt
        ? []
        : ['dist/pglite-template is missing (npm run build:pglite): both ways ran initdb']),
    ],
  };
}
