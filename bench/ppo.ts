/**
 * PPO (issue 18): batched generation with the KV cache at batch 1, 8 and 32 on the tiny and the reference
 * configurations (sampled tokens per second; goal: batch 32 at least 8x batch 1), and one PPO iteration split
 * into rollout, scoring and update. Args: --configs tiny,reference, --gen-tokens N (default 32), --runs N
 * (default 3), --batches 1,8,32, --ppo-config tiny|reference (default tiny), --ppo-rollouts N (default 16).
 */
import {
  initBackend,
  KlController,
  LlamaModel,
  makeLlamaConfig,
  makeRewardBatch,
  ppoIteration,
  ppoOptionsSchema,
  RewardHead,
  rewardScores,
  Rng,
  TINY_CONFIG,
  Trainer,
  ValueHead,
  type LlamaConfigInit,
  type Rollout,
} from '../src/ml/index.js';
import { withSpread, type BenchResult } from './lib.js';
import { batchedGenerationFigures, REFERENCE } from './train.js';
import * as tf from '@tensorflow/tfjs';

const CONFIGS: Record<string, LlamaConfigInit> = { tiny: TINY_CONFIG, reference: REFERENCE };
const PROMPT = 16;

function arg(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
}

function prompts(count: number, vocab: number): number[][] {
  const rng = new Rng(7);
  return Array.from({ length: count }, () =>
    Array.from({ length: PROMPT }, () => 3 + Math.floor(rng.next() * (vocab - 3))),
  );
}

export default async function (args: string[]): Promise<BenchResult> {
  const backend = await initBackend();
  const configs = arg(args, '--configs', 'tiny,reference').split(',');
  const batches = arg(args, '--batches', '1,8,32').split(',').map(Number);
  const genTokens = Number(arg(args, '--gen-tokens', '32'));
  const runs = Number(arg(args, '--runs', '3'));
  const ppoConfig = arg(args, '--ppo-config', 'tiny');
  const rollouts = Number(arg(args, '--ppo-rollouts', '16'));
  const generation = batchedGenerationFigures({ configs, batches, genTokens, runs });
  let metrics: Record<string, number> = { ...generation.metrics };
  const goals: string[] = [...generation.goals];

  // One PPO iteration: a LoRA policy, a reward model (random head: the timing does not depend on what it
  // prefers), the policy without its adapter as the reference.
  const init = CONFIGS[ppoConfig];
  if (!init) throw new Error(`unknown --ppo-config "${ppoConfig}": tiny or reference`);
  const config = makeLlamaConfig(init);
  const policy = LlamaModel.random(config, 2);
  const valueHead = ValueHead.create(config.hiddenSize, new Rng(3));
  const trainer = new Trainer(
    policy,
    {
      mode: 'lora',
      lora: { r: 16, alpha: 32, dropout: 0, targetModules: ['q_proj', 'v_proj'] },
      learningRate: 1e-4,
      totalSteps: 1000,
      seed: 1,
    },
    { valueHead },
  );
  const rewardModel = LlamaModel.random(config, 4);
  const head = RewardHead.create(config.hiddenSize, new Rng(5));
  const scorer = (batch: readonly Rollout[]) =>
    tf.tidy(() =>
      rewardScores(
        rewardModel,
        head,
        makeRewardBatch(
          batch.map((r) => {
            const ids = [...r.prompt, ...r.response];
            return { ids, lossMask: ids.map((_, t) => (t >= r.prompt.length ? 1 : 0)) };
          }),
        ),
      ).dataSync(),
    );
  const options = ppoOptionsSchema.parse({ epochs: 4, minibatches: 2 });
  const phases = { rollout: [] as number[], scoring: [] as number[], update: [] as number[] };
  for (let r = 0; r < runs; r++) {
    const stats = ppoIteration({
      trainer,
      valueHead,
      prompts: prompts(rollouts, config.vocabSize),
      scorer,
      klController: new KlController(options.klCoefficient),
      options,
      generation: { maxTokens: genTokens, temperature: 1, stopTokenIds: [] },
      seed: r,
    });
    phases.rollout.push(stats.timings.rolloutMs);
    phases.scoring.push(stats.timings.scoringMs);
    phases.update.push(stats.timings.updateMs);
  }
  trainer.dispose();
  for (const m of [policy, rewardModel]) m.dispose();
  valueHead.dispose();
  head.dispose();
  metrics = {
    ...metrics,
    ...withSpread(`ppo_${ppoConfig}_rollout_ms`, phases.rollout),
    ...withSpread(`ppo_${ppoConfig}_scoring_ms`, phases.scoring),
    ...withSpread(`ppo_${ppoConfig}_update_ms`, phases.update),
  };
  goals.push('measured on a 2-core machine shared with other work: numbers are noisy');
  return {
    name: 'ppo',
    backend: `${backend.backend} (${backend.device})`,
    inputs: {
      configs,
      batches,
      promptTokens: PROMPT,
      genTokens,
      runs,
      ppo: {
        config: ppoConfig,
        rollouts,
        epochs: 4,
        minibatches: 2,
        lora: { r: 16, targets: ['q_proj', 'v_proj'] },
      },
    },
    metrics,
    goals,
  };
}
