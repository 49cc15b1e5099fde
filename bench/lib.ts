import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What a benchmark returns; the runner prints it and writes bench/results/<name>.json. */
export interface BenchResult {
  readonly name: string;
  readonly backend: string;
  readonly inputs: Record<string, unknown>;
  /** Every metric `<what>_<unit>`, a median, with its spread beside it (`_p10`/`_p90` or `_min`/`_max`). */
  readonly metrics: Record<string, number>;
  /** Optional goal lines printed under the table, e.g. "appends >= 40% of baseline: yes (52%)". */
  readonly goals?: readonly string[];
}

export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly p10: number;
  readonly p90: number;
}

export function spread(samples: readonly number[]): Spread {
  if (samples.length === 0) throw new Error('spread() needs at least one sample');
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))]!;
  return { median: at(0.5), min: sorted[0]!, max: sorted[sorted.length - 1]!, p10: at(0.1), p90: at(0.9) };
}

/** Adds `<key>`, `<key>_min` and `<key>_max` for repeated measurements of one quantity. */
export function withSpread(key: string, samples: readonly number[]): Record<string, number> {
  const s = spread(samples);
  return { [key]: round(s.median), [`${key}_min`]: round(s.min), [`${key}_max`]: round(s.max) };
}

/** Adds `<key>_p50`, `<key>_p99` (and p10/p90) for a latency distribution. */
export function percentiles(key: string, samples: readonly number[]): Record<string, number> {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return {
    [`${key}_p10`]: round(at(0.1)),
    [`${key}_p50`]: round(at(0.5)),
    [`${key}_p90`]: round(at(0.9)),
    [`${key}_p99`]: round(at(0.99)),
  };
}

export function round(value: number): number {
  return Math.abs(value) >= 100 ? Math.round(value) : Math.round(value * 1000) / 1000;
}

export function machine(): string {
  const cpu = cpus();
  return `${cpu.length} x ${cpu[0]?.model ?? 'unknown cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}`;
}

export function writeResult(result: BenchResult): string {
  const here = dirname(fileURLToPath(import.meta.url));
  // Compiled to dist/bench; results live in the source tree's bench/results.
  const root = here.includes(`${join('dist', 'bench')}`) ? join(here, '..', '..') : join(here, '..');
  const file = join(root, 'bench', 'results', `${result.name}.json`);
  mkdirSync(dirname(file), { recursive: true });
  const payload = {
    name: result.name,
    date: new Date().toISOString(),
    machine: machine(),
    backend: result.backend,
    inputs: result.inputs,
    metrics: result.metrics,
  };
  writeFileSync(file, `${JSON.stringify(payload, null, 2)}\n`);
  return file;
}

export function printTable(result: BenchResult): void {
  const width = Math.max(...Object.keys(result.metrics).map((k) => k.length));
  process.stdout.write(`\n${result.name} (${result.backend}) on ${machine()}\n`);
  for (const [key, value] of Object.entries(result.metrics)) {
    process.stdout.write(`  ${key.padEnd(width)}  ${value.toLocaleString('en-US')}\n`);
  }
  for (const goal of result.goals ?? []) process.stdout.write(`  goal: ${goal}\n`);
}
