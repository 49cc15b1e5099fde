/**
 * `npm run bench -- evaluate [--records N] [--runs R] [--generate N] [--generate-runs R] [--max-tokens T]`:
 * metrics-only evaluation throughput on stored predictions (EM/F1, IFEval-style checks, error taxonomy),
 * median of several runs, baseline EM/F1 alone; then generation plus metrics on the tiny model
 * (evaluateModel, the worker's code path), baseline generation alone on the same prompts.
 * Goal: >= 20,000 records/s for the full metric suite.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seededRandom, noisyVariant, pick } from '../src/data/noise/index.js';
import {
  evaluatePredictions,
  readEvaluationRecords,
  scoreAnswer,
  type EvaluationRecordInput,
} from '../src/ml/eval/index.js';
import {
  generate,
  initBackend,
  LlamaModel,
  loadModel,
  makeLlamaConfig,
  saveModel,
  TINY_CONFIG,
} from '../src/ml/index.js';
import { promptFormatByName } from '../src/ml/prompts/index.js';
import { ByteTokenizer, loadTokenizer } from '../src/ml/tokenizers/index.js';
import { evaluateModel, type EvaluationExample } from '../src/workers/evaluation/index.js';
import { withSpread, type BenchResult } from './lib.js';

const EN_ANSWERS = [
  'Denver Broncos',
  'the Eiffel Tower',
  'Paris',
  '1,200 dollars',
  'Marie Curie',
  'photosynthesis',
];
const ZH_ANSWERS = ['北京大学', '鲁迅', '长江', '二零二三年', '人工智能', '光合作用'];
const CONSTRAINT_SETS: EvaluationRecordInput['constraints'][] = [
  undefined,
  [{ kind: 'no_commas' }, { kind: 'word_count', params: { count: 40, relation: 'at most' } }],
  [{ kind: 'json_format' }],
  [{ kind: 'bullet_count', params: { count: 3 } }, { kind: 'all_lowercase' }],
  [
    { kind: 'response_language', params: { language: 'zh' } },
    { kind: 'required_keywords', params: { keywords: ['北京'] } },
  ],
  [{ kind: 'ends_with', params: { phrase: 'Any other questions?' } }, { kind: 'title' }],
];

/** Deterministic mix: right, partially right, wrong, empty, refusals, truncations, both languages. */
export function syntheticRecords(count: number, seed = 1): EvaluationRecordInput[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, (_, index) => {
    const chinese = random() < 0.4;
    const answer = pick(random, chinese ? ZH_ANSWERS : EN_ANSWERS);
    const instruction = chinese
      ? `请根据上下文回答问题。答案是什么？不要使用逗号。编号 ${index}。`
      : `Answer the question from the context. What is the answer? Do not use commas. Item ${index}.`;
    const roll = random();
    const prediction =
      roll < 0.35
        ? answer
        : roll < 0.55
          ? chinese
            ? `答案是${answer}，位于北京`
            : `I think it is ${answer} in the city`
          : roll < 0.65
            ? ''
            : roll < 0.72
              ? chinese
                ? '抱歉，我无法回答这个问题。'
                : "I'm sorry, but I cannot help with that."
              : roll < 0.8
                ? '{"answer": "unfinished'
                : roll < 0.9
                  ? '* one\n* two\n* three'
                  : noisyVariant(answer, 'typos', { seed: index });
    return {
      id: `r${index}`,
      instruction,
      input: chinese ? `上下文：${answer}。` : `Context: ${answer}.`,
      references: random() < 0.15 ? [] : [answer, chinese ? `${answer}。` : answer.toUpperCase()],
      prediction,
      constraints: CONSTRAINT_SETS[index % CONSTRAINT_SETS.length],
      category: chinese ? 'zh-qa' : 'en-qa',
      ...(roll >= 0.72 && roll < 0.8 ? { finishReason: 'length' } : {}),
    };
  });
}

interface Timing {
  readonly wallSeconds: number;
  /** User + system CPU time of this process: less sensitive than wall time to other load on the machine. */
  readonly cpuSeconds: number;
}

function timeRuns(runs: number, work: () => void): Timing[] {
  work(); // warm-up: JIT and regex compilation
  const timings: Timing[] = [];
  for (let run = 0; run < runs; run += 1) {
    const cpu = process.cpuUsage();
    const start = process.hrtime.bigint();
    work();
    const wallSeconds = Number(process.hrtime.bigint() - start) / 1e9;
    const used = process.cpuUsage(cpu);
    timings.push({ wallSeconds, cpuSeconds: (used.user + used.system) / 1e6 });
  }
  return timings;
}

function option(args: string[], name: string, fallback: number): number {
  const index = args.indexOf(name);
  const value = index >= 0 ? Number(args[index + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
}

export default async function (args: string[]): Promise<BenchResult> {
  const count = option(args, '--records', 1000);
  const runs = option(args, '--runs', 15);
  const dir = await mkdtemp(join(tmpdir(), 'bench-evaluate-'));
  try {
    const file = join(dir, 'predictions.jsonl');
    await writeFile(
      file,
      syntheticRecords(count)
        .map((record) => JSON.stringify(record))
        .join('\n'),
    );
    const parseSeconds: number[] = [];
    let records = await readEvaluationRecords(file);
    for (let run = 0; run < Math.min(runs, 5); run += 1) {
      const start = process.hrtime.bigint();
      records = await readEvaluationRecords(file);
      parseSeconds.push(Number(process.hrtime.bigint() - start) / 1e9);
    }
    let taxonomy: Record<string, number> = {};
    const full = timeRuns(runs, () => {
      taxonomy = evaluatePredictions(records).errorTaxonomy;
    });
    const qaOnly = timeRuns(runs, () => {
      for (const record of records)
        if (record.references.length > 0) scoreAnswer(record.prediction, record.references, record.lang);
    });
    const perWall = (timings: Timing[]) => timings.map((timing) => count / timing.wallSeconds);
    const perCpu = (timings: Timing[]) => timings.map((timing) => count / Math.max(timing.cpuSeconds, 1e-6));
    const generation = await generationBench(
      dir,
      option(args, '--generate', 16),
      option(args, '--generate-runs', 3),
      option(args, '--max-tokens', 16),
    );
    const metrics = {
      ...generation.metrics,
      ...withSpread('metrics_records_per_s', perWall(full)),
      ...withSpread('metrics_records_per_cpu_s', perCpu(full)),
      ...withSpread('baseline_em_f1_only_records_per_s', perWall(qaOnly)),
      ...withSpread('baseline_em_f1_only_records_per_cpu_s', perCpu(qaOnly)),
      ...withSpread(
        'read_jsonl_records_per_s',
        parseSeconds.map((seconds) => count / seconds),
      ),
    };
    return {
      name: 'evaluate',
      backend: `metrics: pure TypeScript; generation: tfjs ${generation.backend}`,
      inputs: {
        records: count,
        runs,
        constraintsPerRecord: '0-2, 6 mixes',
        languages: 'en 60% / zh 40%',
        taxonomy,
        generation: generation.inputs,
      },
      metrics,
      goals: [
        `metrics >= 20,000 records/s: ${metrics.metrics_records_per_s >= 20_000 ? 'yes' : 'no'} (${metrics.metrics_records_per_s.toLocaleString('en-US')}/s wall, ${metrics.metrics_records_per_cpu_s.toLocaleString('en-US')}/CPU-s, median of ${runs})`,
      ],
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Generation plus metrics on the tiny model (2 layers, hidden 64, byte tokenizer): evaluateModel as the
 * worker runs it (no robustness, no heatmaps), against generate() alone on the same prompts.
 */
async function generationBench(dir: string, examplesCount: number, runs: number, maxTokens: number) {
  const backend = await initBackend();
  const modelDir = join(dir, 'tiny');
  const model = LlamaModel.random(makeLlamaConfig(TINY_CONFIG), 3, 0.2);
  saveModel(model, modelDir);
  model.dispose();
  await new ByteTokenizer({ vocabSize: TINY_CONFIG.vocabSize }).save(modelDir);
  const examples: EvaluationExample[] = Array.from({ length: examplesCount }, (_, i) => ({
    id: `g${i}`,
    instruction: `What is the capital of country number ${i}?`,
    references: [EN_ANSWERS[i % EN_ANSWERS.length]!],
  }));
  const evaluated: number[] = [];
  const tokens: number[] = [];
  await evaluateModel({ modelDir, examples: examples.slice(0, 2), maxTokens, heatmapExamples: 0 });
  for (let run = 0; run < runs; run += 1) {
    const start = process.hrtime.bigint();
    const outcome = await evaluateModel({ modelDir, examples, maxTokens, heatmapExamples: 0 });
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    evaluated.push(examplesCount / seconds);
    tokens.push(outcome.metrics['generatedTokens']! / seconds);
  }
  const baseline: number[] = [];
  const loaded = loadModel(modelDir);
  const tokenizer = await loadTokenizer(modelDir);
  const format = promptFormatByName('alpaca', tokenizer);
  const prompts = examples.map((e) =>
    tokenizer.encode(format.renderPrompt({ instruction: e.instruction }, tokenizer)),
  );
  for (let run = 0; run < runs; run += 1) {
    const start = process.hrtime.bigint();
    for (const prompt of prompts) generate(loaded, prompt, { maxTokens, stopTokenIds: tokenizer.stopIds });
    baseline.push(examplesCount / (Number(process.hrtime.bigint() - start) / 1e9));
  }
  loaded.dispose();
  return {
    backend: backend.backend,
    inputs: { examples: examplesCount, runs, maxTokens, model: 'tiny (2 layers, hidden 64, byte tokenizer)' },
    metrics: {
      ...withSpread('generate_and_metrics_examples_per_s', evaluated),
      ...withSpread('generate_and_metrics_tokens_per_s', tokens),
      ...withSpread('baseline_generate_only_examples_per_s', baseline),
    },
  };
}
