/**
 * `npm run bench -- batcher [--baseline <dist of another build>] [--rounds N]`: the continuous batcher alone,
 * in-process at steady state (src/ml/continuousBatch.ts, the tiny model, 60-token prompts sharing a 40-token
 * preamble, 16 greedy tokens each): process CPU per request at concurrency 1, 8 and 32, with prompts of one
 * length, of three lengths (60-62), and shaped as the serve bench's (`chat`: 210 tokens, 130 of them shared). With --baseline, the same measurement of that build's batcher runs
 * alternately with this one's, each in its own process, and the ratios baseline / this build are printed.
 */
import { execFileSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spread, type BenchResult } from './lib.js';

const here = dirname(fileURLToPath(import.meta.url));
const LEVELS = [1, 8, 32] as const;
const LENGTHS = ['same', 'mixed', 'chat'] as const;

function option(args: readonly string[], name: string): string | undefined {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
}

function measure(
  mlIndex: string,
  concurrency: number,
  lengths: string,
): { backend: string; cpuMsPerRequest: number } {
  const out = execFileSync(
    process.execPath,
    [join(here, 'batcherChild.js'), mlIndex, String(concurrency), lengths],
    { encoding: 'utf8' },
  );
  return JSON.parse(out.trim().split('\n').at(-1)!) as { backend: string; cpuMsPerRequest: number };
}

export default async function batcher(args: string[]): Promise<BenchResult> {
  const baseline = option(args, '--baseline');
  const rounds = Number(option(args, '--rounds') ?? 2);
  const builds: Record<string, string> = { after: join(here, '../src/ml/index.js') };
  if (baseline) builds.baseline = resolve(baseline, 'src/ml/index.js');
  const samples = new Map<string, number[]>();
  const backends = new Set<string>();
  for (let round = 0; round < rounds; round++)
    for (const lengths of LENGTHS)
      for (const concurrency of LEVELS)
        for (const [build, index] of Object.entries(builds)) {
          const key = `${build}_${lengths}_c${concurrency}`;
          const { backend, cpuMsPerRequest } = measure(index, concurrency, lengths);
          backends.add(backend);
          samples.set(key, [...(samples.get(key) ?? []), cpuMsPerRequest]);
        }
  const metrics: Record<string, number> = {};
  for (const [key, values] of samples) {
    const s = spread(values);
    metrics[`${key}_cpu_ms_per_request`] = s.median;
    metrics[`${key}_cpu_ms_per_request_min`] = s.min;
    metrics[`${key}_cpu_ms_per_request_max`] = s.max;
  }
  const goals: string[] = [];
  for (const lengths of LENGTHS)
    for (const concurrency of LEVELS) {
      const after = metrics[`after_${lengths}_c${concurrency}_cpu_ms_per_request`]!;
      const c1 = metrics[`after_${lengths}_c1_cpu_ms_per_request`]!;
      goals.push(
        `${lengths} lengths c${concurrency}: c1 / c${concurrency} CPU per request ${(c1 / after).toFixed(2)}x`,
      );
      const base = metrics[`baseline_${lengths}_c${concurrency}_cpu_ms_per_request`];
      if (base !== undefined)
        goals.push(
          `${lengths} lengths c${concurrency}: baseline / after CPU per request ${(base / after).toFixed(2)}x`,
        );
    }
  return {
    name: 'batcher',
    backend: [...backends].join(', '),
    inputs: {
      rounds,
      baseline: baseline ?? null,
      prompt: '60 tokens (mixed: 60-62), 40 shared; chat: 210 tokens, 130 shared',
      maxTokens: 16,
    },
    metrics,
    goals,
  };
}
