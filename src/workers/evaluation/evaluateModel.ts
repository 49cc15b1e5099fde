import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { NOISE_TYPES, type NoiseType } from '../../data/noise/index.js';
import {
  attentionWeights,
  generateBatch,
  initBackend,
  loadModel,
  LoraAdapter,
  Rng,
  type LlamaModel,
} from '../../ml/index.js';
import {
  attentionHeatmaps,
  evaluatePredictions,
  headlineMetrics,
  noisyInstructions,
  predictionRows,
  predictionsJsonl,
  robustnessReport,
  type EvaluationMetrics,
  type EvaluationRecord,
  type RobustnessReport,
} from '../../ml/eval/index.js';
import { promptFormatByName, type PromptFormat } from '../../ml/prompts/index.js';
import { loadTokenizer, type Tokenizer } from '../../ml/tokenizers/index.js';
import type { TarEntry } from '../training/tarball.js';
import type { EvaluationExample } from './evaluationExample.js';

export interface EvaluateModelOptions {
  readonly modelDir: string;
  /** A PEFT adapter directory loaded on top of the base model. */
  readonly adapterDir?: string;
  readonly examples: readonly EvaluationExample[];
  /** Prompt format of the run that trained the model (default alpaca). */
  readonly promptFormat?: string;
  /** New tokens per answer (default 64); an answer cut there is a `truncated` error. */
  readonly maxTokens?: number;
  /** Noise types to re-ask every example with; [] (default) skips robustness. */
  readonly noiseTypes?: readonly NoiseType[];
  /** Seeds the noisy variants: the same seed asks the same noisy questions. */
  readonly seed?: number;
  /** Examples that get attention heatmaps (default 2: the first wrong and the first correct one). */
  readonly heatmapExamples?: number;
  /** Lexicon terms for the entity-grounding check of the error taxonomy. */
  readonly lexicon?: readonly string[];
  readonly partialF1Threshold?: number;
  /** tfjs backend name (default: TUNELEDGER_TF_BACKEND, else the best available). */
  readonly backend?: string;
  /** Called for each generated answer (clean and noisy), once the batch it was generated in is done. */
  readonly onProgress?: (completed: number, total: number) => void;
  /** Answers generated together (default EVALUATION_BATCH). */
  readonly batch?: number;
  /** Checked before each batch of answers; true stops with an EvaluationStoppedError. */
  readonly shouldStop?: () => boolean;
}

/** What an evaluation produced: the EvaluationCompleted payload parts and the artifact contents. */
export interface EvaluationOutcome {
  /** Flat metrics for EvaluationCompleted and its gate: headline metrics, robustness drops, counts. */
  readonly metrics: Record<string, number>;
  readonly categories: Record<string, Record<string, number>>;
  readonly errorTaxonomy: Record<string, number>;
  /** Predictions JSONL: one line per example (input, reference, output, scores, category). */
  readonly predictionsJsonl: string;
  /** The report as JSON text (tuneledger-evaluation-report/1). */
  readonly reportJson: string;
  /** heatmap-<example>-L<layer>-H<head>.svg, .png and .json files (one tar level, names under 100 bytes). */
  readonly heatmaps: readonly TarEntry[];
  readonly backend: string;
}

export class EvaluationStoppedError extends Error {
  override readonly name = 'EvaluationStoppedError';
}

/**
 * Answers generated together (generateBatch: one decoding step for all of them): larger batches pay more per
 * token on this CPU platform only up to about this size, and a stop request waits for at most one batch.
 */
export const EVALUATION_BATCH = 32;

/** Query rows and key columns kept in a heatmap: the end of the prompt, where the answer is decided. */
const HEATMAP_QUERIES = 16;
const HEATMAP_KEYS = 64;

/**
 * Evaluates a model: generates an answer for every example (greedy, with the prompt format of its run),
 * scores them with evaluatePredictions, re-asks noisy variants for the robustness drop per noise type,
 * classifies errors, renders attention heatmaps for a few examples and writes the predictions file and the
 * report. Blocks while it computes: the worker runs it in a worker thread, `eval run` in the CLI process.
 */
export async function evaluateModel(options: EvaluateModelOptions): Promise<EvaluationOutcome> {
  const started = performance.now();
  if (options.examples.length === 0) throw new Error('evaluation: no examples to evaluate');
  if (!existsSync(join(options.modelDir, 'config.json'))) {
    throw new Error(`evaluation: ${options.modelDir} holds no config.json; pass a model directory`);
  }
  const backend = await initBackend(options.backend);
  const model = loadModel(options.modelDir);
  try {
    if (options.adapterDir) {
      if (!existsSync(join(options.adapterDir, 'adapter_config.json'))) {
        throw new Error(
          `evaluation: ${options.adapterDir} holds no adapter_config.json; pass a PEFT adapter directory`,
        );
      }
      model.lora = LoraAdapter.load(options.adapterDir, model.config);
    }
    const tokenizer = await loadTokenizer(options.modelDir);
    const format = promptFormatByName(options.promptFormat ?? 'alpaca', tokenizer);
    const maxTokens = options.maxTokens ?? 64;
    const batchSize = options.batch ?? EVALUATION_BATCH;
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new Error(`evaluation: batch must be a whole number of at least 1, not ${batchSize}`);
    const noiseTypes = options.noiseTypes ?? [];
    const total = options.examples.length * (1 + noiseTypes.length);
    let completed = 0;
    let generatedTokens = 0;
    let truncatedPrompts = 0;
    /** Greedy answers to `instructions` (one per example, in order), `batchSize` at a time. */
    const answer = (instructions: readonly string[]): EvaluationRecord[] => {
      const records: EvaluationRecord[] = [];
      for (let from = 0; from < instructions.length; from += batchSize) {
        if (options.shouldStop?.()) throw new EvaluationStoppedError('evaluation stopped before it finished');
        const batch = instructions.slice(from, from + batchSize).map((instruction, i) => {
          const example = options.examples[from + i]!;
          const ids = promptIds(format, tokenizer, { ...example, instruction }, model, maxTokens);
          if (ids.truncated) truncatedPrompts++;
          return { example, instruction, ids: ids.ids };
        });
        const generated = generateBatch(
          model,
          batch.map((b) => b.ids),
          { maxTokens, temperature: 0, stopTokenIds: tokenizer.stopIds },
          new Rng(0),
        );
        batch.forEach(({ example, instruction }, i) => {
          const tokens = generated.tokens[i]!;
          generatedTokens += tokens.length;
          options.onProgress?.(++completed, total);
          records.push({
            id: example.id,
            instruction,
            ...(example.input !== undefined ? { input: example.input } : {}),
            references: example.references,
            prediction: tokenizer.decode(tokens, { skipSpecialTokens: true }),
            ...(example.constraints ? { constraints: example.constraints } : {}),
            ...(example.category !== undefined ? { category: example.category } : {}),
            ...(example.lang ? { lang: example.lang } : {}),
            finishReason: generated.finishReasons[i]!,
          });
        });
      }
      return records;
    };
    const scoring = {
      ...(options.lexicon ? { lexicon: options.lexicon } : {}),
      ...(options.partialF1Threshold !== undefined ? { partialF1Threshold: options.partialF1Threshold } : {}),
    };
    const records = answer(options.examples.map((example) => example.instruction));
    const metrics = evaluatePredictions(records, scoring);

    let robustness: RobustnessReport | undefined;
    if (noiseTypes.length > 0) {
      const noisy = noisyInstructions(options.examples, {
        seed: options.seed ?? 0,
        types: noiseTypes,
        ...(options.lexicon ? { entities: options.lexicon } : {}),
      });
      const perNoise: Partial<Record<NoiseType, EvaluationMetrics>> = {};
      for (const type of noiseTypes) {
        const noisyRecords = answer(noisy[type].map((variant) => variant.instruction));
        perNoise[type] = evaluatePredictions(noisyRecords, scoring);
      }
      robustness = robustnessReport(metrics, perNoise);
    }

    const heatmaps = renderHeatmaps(model, tokenizer, format, options, metrics, maxTokens);
    const flat = flatMetrics(metrics, robustness);
    const seconds = (performance.now() - started) / 1000;
    flat['examplesPerSecond'] = options.examples.length / Math.max(seconds, 1e-9);
    flat['generatedTokens'] = generatedTokens;
    const categories = Object.fromEntries(
      Object.entries(metrics.perCategory).map(([name, c]) => [name, { ...c }]),
    );
    const errorTaxonomy = { ...metrics.errorTaxonomy } as Record<string, number>;
    const report = {
      format: 'tuneledger-evaluation-report/1',
      backend: backend.backend,
      promptFormat: format.name,
      maxTokens,
      examples: options.examples.length,
      truncatedPrompts,
      durationMs: Math.round(seconds * 1000),
      metrics: flat,
      headline: headlineMetrics(metrics),
      instructionFollowing: metrics.instructionFollowing,
      categories,
      errorTaxonomy,
      ...(robustness ? { robustness } : {}),
      heatmaps: heatmaps.index,
    };
    return {
      metrics: flat,
      categories,
      errorTaxonomy,
      predictionsJsonl: predictionsJsonl(predictionRows(records, metrics)),
      reportJson: `${JSON.stringify(report, null, 2)}\n`,
      heatmaps: heatmaps.files,
      backend: backend.backend,
    };
  } finally {
    model.dispose();
  }
}

/** The prompt's token ids, cut from the front when prompt plus answer would not fit the context. */
function promptIds(
  format: PromptFormat,
  tokenizer: Tokenizer,
  example: EvaluationExample,
  model: LlamaModel,
  maxTokens: number,
): { ids: number[]; truncated: boolean } {
  const text = format.renderPrompt(
    {
      instruction: example.instruction,
      ...(example.input !== undefined ? { input: example.input } : {}),
      ...(example.system !== undefined ? { system: example.system } : {}),
      ...(example.history ? { history: example.history } : {}),
    },
    tokenizer,
  );
  const ids = tokenizer.encode(text);
  const room = Math.max(1, model.config.maxPositionEmbeddings - Math.min(maxTokens, 64));
  return ids.length > room
    ? { ids: ids.slice(ids.length - room), truncated: true }
    : { ids, truncated: false };
}

/** Metrics as flat numbers: only what was measured (a gate on anything else fails as missing). */
export function flatMetrics(
  metrics: EvaluationMetrics,
  robustness: RobustnessReport | undefined,
): Record<string, number> {
  const flat: Record<string, number> = { count: metrics.count };
  for (const [name, value] of Object.entries(headlineMetrics(metrics))) {
    if (value !== null) flat[name] = value;
  }
  if (robustness) {
    for (const entry of robustness.perNoise) {
      for (const [name, drop] of Object.entries(entry.drop)) {
        if (drop !== null) flat[`robustness.${entry.noise}.${name}Drop`] = drop;
      }
    }
    if (robustness.worstF1Drop !== null) flat['robustnessDelta'] = robustness.worstF1Drop;
  }
  return flat;
}

/** A heatmap in the report's index: its example, layer and head, and its files in the heatmap artifact (a tar). */
interface HeatmapIndexEntry {
  readonly exampleId: string;
  readonly layer: number;
  readonly head: number;
  readonly svg: string;
  readonly png: string;
  /** The weights and token labels as JSON (tuneledger-attention/1), for clients that draw their own. */
  readonly json: string;
}

function renderHeatmaps(
  model: LlamaModel,
  tokenizer: Tokenizer,
  format: PromptFormat,
  options: EvaluateModelOptions,
  metrics: EvaluationMetrics,
  maxTokens: number,
): {
  files: TarEntry[];
  index: HeatmapIndexEntry[];
} {
  const wanted = options.heatmapExamples ?? 2;
  const chosen: string[] = [];
  const firstWrong = metrics.records.find((r) => r.scored && !r.correct);
  const firstRight = metrics.records.find((r) => r.correct);
  for (const record of [firstWrong, firstRight, ...metrics.records]) {
    if (chosen.length >= wanted) break;
    if (record && !chosen.includes(record.id)) chosen.push(record.id);
  }
  const files: TarEntry[] = [];
  const index: HeatmapIndexEntry[] = [];
  // Few layers and heads are all drawn; big models get the first and last layer and four heads.
  const layers = model.config.numLayers <= 4 ? undefined : [0, model.config.numLayers - 1];
  const heads = model.config.numHeads <= 4 ? undefined : [0, 1, 2, 3];
  for (const id of chosen) {
    const example = options.examples.find((e) => e.id === id)!;
    const { ids } = promptIds(format, tokenizer, example, model, maxTokens);
    const attention = attentionWeights(model, ids);
    const keyStart = Math.max(0, ids.length - HEATMAP_KEYS);
    const queryStart = Math.max(0, ids.length - HEATMAP_QUERIES);
    const label = (tokenId: number) => tokenizer.idToToken(tokenId) ?? tokenizer.decode([tokenId]);
    const windowed = attention.map((perHead) =>
      perHead.map((matrix) => matrix.slice(queryStart).map((row) => row.slice(keyStart))),
    );
    const maps = attentionHeatmaps(windowed, ids.slice(queryStart).map(label), {
      keyTokens: ids.slice(keyStart).map(label),
      ...(layers ? { layers } : {}),
      ...(heads ? { heads } : {}),
    });
    for (const map of maps) {
      const base = `heatmap-${safeName(id)}-L${map.layer}-H${map.head}`;
      const weights = {
        format: 'tuneledger-attention/1',
        exampleId: id,
        layer: map.layer,
        head: map.head,
        queryLabels: map.queryLabels,
        keyLabels: map.keyLabels,
        weights: map.weights,
      };
      files.push(
        { name: `${base}.svg`, data: Buffer.from(map.svg) },
        { name: `${base}.png`, data: map.png },
        { name: `${base}.json`, data: Buffer.from(JSON.stringify(weights)) },
      );
      index.push({
        exampleId: id,
        layer: map.layer,
        head: map.head,
        svg: `${base}.svg`,
        png: `${base}.png`,
        json: `${base}.json`,
      });
    }
  }
  return { files, index };
}

const safeName = (id: string) => id.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 60);

/** Noise types by name, for configuration strings ("injection,typos"). */
export function parseNoiseTypes(text: string | undefined): NoiseType[] {
  if (text === undefined || text.trim() === '') return [];
  if (text.trim() === 'all') return [...NOISE_TYPES];
  return text.split(',').map((name) => {
    const type = name.trim() as NoiseType;
    if (!NOISE_TYPES.includes(type)) {
      throw new Error(`unknown noise type "${name}"; use ${NOISE_TYPES.join(', ')} or all`);
    }
    return type;
  });
}
