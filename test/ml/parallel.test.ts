import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StepPhases } from '../../src/ml/index.js';

/*
 * worker_threads run JavaScript, not TypeScript, so this test compiles src/ml into .tmp and runs the
 * comparison in a plain node process against the compiled engine.
 */
const root = join(import.meta.dirname, '..', '..');
const out = join(root, '.tmp', `ml-parallel-${process.pid}`);

beforeAll(() => {
  execFileSync(
    process.execPath,
    [
      join(root, 'node_modules', 'typescript', 'bin', 'tsc'),
      ...[
        '--outDir',
        out,
        '--rootDir',
        root,
        '--target',
        'ES2022',
        '--module',
        'NodeNext',
        '--moduleResolution',
        'NodeNext',
      ],
      ...['--skipLibCheck', '--types', 'node', '--strict'],
      join(root, 'src', 'ml', 'index.ts'),
      join(root, 'src', 'ml', 'gradientWorker.ts'),
    ],
    { stdio: 'pipe' },
  );
}, 180_000);
afterAll(() => rmSync(out, { recursive: true, force: true }));

const script = (engine: string) => `
import { initBackend, LlamaModel, makeLlamaConfig, Trainer } from ${JSON.stringify(engine)};
await initBackend();
const config = makeLlamaConfig({ vocabSize: 19, hiddenSize: 16, intermediateSize: 24, numLayers: 2, numHeads: 4, numKvHeads: 2 });
const data = [
  { ids: [1, 3, 5, 7, 9, 11], lossMask: [0, 0, 1, 1, 1, 1], entityMask: [0, 0, 0, 1, 0, 0] },
  { ids: [1, 4, 6, 8], lossMask: [0, 1, 1, 1], entityMask: [0, 0, 1, 1] },
  { ids: [1, 13, 14, 15, 16, 17, 2], lossMask: [0, 0, 0, 1, 1, 1, 1] },
  { ids: [1, 2, 18, 2, 18], lossMask: [0, 1, 1, 1, 1] },
];
const run = async (mode, workers) => {
  const model = LlamaModel.random(config, 3, 0.3);
  const trainer = new Trainer(model, { mode, lora: { r: 4, alpha: 8, dropout: 0, targetModules: ['q_proj', 'v_proj', 'up_proj'] },
    learningRate: 1e-2, totalSteps: 10, seed: 2, gradientAccumulation: 2 });
  if (workers) await trainer.startWorkers(workers);
  const losses = [];
  const steps = [];
  for (let i = 0; i < 3; i++) {
    const step = await trainer.trainStepAsync(data);
    losses.push(step.loss);
    steps.push({ phases: step.phases, wallMs: (step.tokens / step.tokensPerSecond) * 1000 });
  }
  await trainer.stopWorkers();
  const weights = [...model.trainableVariables()].map(([k, v]) => [k, Array.from(v.dataSync())]);
  return { losses, weights, steps };
};
const result = {};
for (const mode of ['lora', 'full']) {
  const serial = await run(mode, 0);
  const parallel = await run(mode, 1);
  let diff = 0;
  for (let i = 0; i < serial.weights.length; i++) {
    const [, a] = serial.weights[i]; const [, b] = parallel.weights[i];
    for (let j = 0; j < a.length; j++) diff = Math.max(diff, Math.abs(a[j] - b[j]));
  }
  result[mode] = { serialLosses: serial.losses, parallelLosses: parallel.losses, maxWeightDiff: diff, count: serial.weights.length, steps: parallel.steps };
}
process.stdout.write(JSON.stringify(result));
`;

describe('data-parallel gradient workers', () => {
  it('give the same updates as one thread (LoRA and full, with gradient accumulation)', () => {
    const engine = join(out, 'src', 'ml', 'index.js');
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', script(engine)], {
      cwd: root,
      encoding: 'utf8',
    });
    const result = JSON.parse(output) as Record<
      string,
      {
        serialLosses: number[];
        parallelLosses: number[];
        maxWeightDiff: number;
        count: number;
        steps: { phases: StepPhases; wallMs: number }[];
      }
    >;
    for (const mode of ['lora', 'full']) {
      const r = result[mode]!;
      expect(r.count).toBeGreaterThan(0);
      r.serialLosses.forEach((l, i) => expect(r.parallelLosses[i]).toBeCloseTo(l, 5));
      expect(r.serialLosses[2]).toBeLessThan(r.serialLosses[0]!);
      expect(r.maxWeightDiff).toBeLessThan(1e-5);
      // Where each step's time went: this thread's phases add up to the step, and the worker reports its own.
      for (const { phases, wallMs } of r.steps) {
        const { forwardMs, backwardMs, optimizerMs, exchangeMs, idleMs, otherMs } = phases;
        for (const ms of [forwardMs, backwardMs, optimizerMs, exchangeMs, idleMs, otherMs])
          expect(ms).toBeGreaterThanOrEqual(0);
        expect(forwardMs).toBeGreaterThan(0);
        expect(exchangeMs).toBeGreaterThan(0);
        expect(forwardMs + backwardMs + optimizerMs + exchangeMs + idleMs + otherMs).toBeCloseTo(wallMs, 3);
        expect(phases.workers).toHaveLength(1);
        const worker = phases.workers[0]!;
        expect(worker.forwardMs).toBeGreaterThan(0);
        expect(worker.backwardMs).toBeGreaterThan(0);
        expect(worker.forwardMs + worker.backwardMs + worker.exchangeMs + worker.idleMs).toBeCloseTo(
          wallMs,
          3,
        );
      }
    }
  });
});
