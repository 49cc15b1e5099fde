import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { loadModel, saveModel } from './checkpoint.js';
import type { PreferencePair } from './dpo.js';
import { gradientsByKey, type PassTimes } from './gradients.js';
import type { TrainingExample } from './loss.js';
import { LoraAdapter } from './lora.js';
import type { ForwardOptions, LlamaModel } from './model.js';
import { readInTidy } from './ops.js';
import { buildTrainingExample, type PromptFormat, type PromptRecord } from './prompts/index.js';
import type { Rng } from './rng.js';
import { decodeSafetensors, encodeSafetensors, type HostTensor } from './safetensors.js';
import type { Tokenizer } from './tokenizers/index.js';

export const REWARD_HEAD_FILE = 'reward_head.safetensors';
export const REWARD_CONFIG_FILE = 'reward_config.json';
/** The head's tensor name, as transformers' LlamaForSequenceClassification names its score layer ([1, hidden]). */
export const REWARD_HEAD_TENSOR = 'score.weight';

/** reward_config.json: what a reward-model directory holds and how its head is read. */
export const rewardConfigSchema = z.object({
  format: z.literal('tuneledger-reward-model/1'),
  hidden_size: z.number().int().positive(),
  head_file: z.string().min(1),
  head_tensor: z.string().min(1),
  /** The position whose last hidden state the head reads. */
  read_position: z.literal('last-response-token'),
  /** The backbone beside it: a PEFT LoRA adapter for the base model, or the full weights. */
  backbone: z.enum(['lora-adapter', 'full-weights']),
  /** The prompt format the model was trained with; score with the same one. */
  prompt_format: z.string().min(1).optional(),
});
export type RewardConfig = z.infer<typeof rewardConfigSchema>;

let headCount = 0;

/**
 * The reward model's scalar head: a hidden -> 1 linear layer without bias (the pairwise loss does not see a
 * bias), kept [hidden, 1] so scores are hidden @ w.
 */
export class RewardHead {
  readonly variable: tf.Variable;

  private constructor(value: tf.Tensor) {
    this.variable = tf.variable(value, true, `${REWARD_HEAD_TENSOR}#reward-head-${headCount++}`);
  }

  /** normal(0, initializerRange) weights drawn from `rng` (transformers' default range is 0.02). */
  static create(hiddenSize: number, rng: Rng, initializerRange = 0.02): RewardHead {
    if (!Number.isInteger(hiddenSize) || hiddenSize < 1)
      throw new Error(`a reward head needs a positive hidden size, got ${hiddenSize}`);
    const data = new Float32Array(hiddenSize);
    for (let i = 0; i < hiddenSize; i++) data[i] = rng.normal() * initializerRange;
    return RewardHead.fromHost({ shape: [1, hiddenSize], data }, 'reward head');
  }

  /** From a [1, hidden] tensor (the layout of the saved file); `where` names it in errors. */
  static fromHost(tensor: HostTensor, where: string): RewardHead {
    if (tensor.shape.length !== 2 || tensor.shape[0] !== 1 || tensor.data.length !== tensor.shape[1]) {
      throw new Error(`${where}: "${REWARD_HEAD_TENSOR}" must have shape [1, hidden], got [${tensor.shape}]`);
    }
    const value = tf.tensor2d(tensor.data, [tensor.shape[1]!, 1]);
    const head = new RewardHead(value);
    value.dispose();
    return head;
  }

  get hiddenSize(): number {
    return this.variable.shape[0]!;
  }

  /** [1, hidden], as written to reward_head.safetensors. */
  toHost(): HostTensor {
    const data = readInTidy(() => this.variable.dataSync() as Float32Array);
    return { shape: [1, this.hiddenSize], data: Float32Array.from(data) };
  }

  /** Writes reward_head.safetensors and reward_config.json into dir. */
  save(dir: string, backbone: RewardConfig['backbone'], promptFormat?: string): void {
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, REWARD_HEAD_FILE),
      encodeSafetensors(new Map([[REWARD_HEAD_TENSOR, this.toHost()]]), { metadata: { format: 'pt' } }),
    );
    const config: RewardConfig = {
      format: 'tuneledger-reward-model/1',
      hidden_size: this.hiddenSize,
      head_file: REWARD_HEAD_FILE,
      head_tensor: REWARD_HEAD_TENSOR,
      read_position: 'last-response-token',
      backbone,
      ...(promptFormat ? { prompt_format: promptFormat } : {}),
    };
    writeFileSync(join(dir, REWARD_CONFIG_FILE), `${JSON.stringify(config, null, 2)}\n`);
  }

  /** Reads the head named by dir's reward_config.json, with the config. */
  static load(dir: string): { head: RewardHead; config: RewardConfig } {
    const configPath = join(dir, REWARD_CONFIG_FILE);
    if (!existsSync(configPath))
      throw new Error(`${dir}: ${REWARD_CONFIG_FILE} is missing; is this a reward-model directory?`);
    const parsed = rewardConfigSchema.safeParse(JSON.parse(readFileSync(configPath, 'utf8')));
    if (!parsed.success) {
      throw new Error(
        `${configPath}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    }
    const config = parsed.data;
    const headPath = join(dir, config.head_file);
    if (!existsSync(headPath)) throw new Error(`${configPath} names ${config.head_file}, which is missing`);
    const tensor = decodeSafetensors(readFileSync(headPath), headPath).tensors.get(config.head_tensor);
    if (!tensor) throw new Error(`${headPath}: tensor "${config.head_tensor}" is missing`);
    if (tensor.shape[1] !== config.hidden_size) {
      throw new Error(
        `${headPath}: "${config.head_tensor}" has shape [${tensor.shape}], but ${REWARD_CONFIG_FILE} says hidden_size ${config.hidden_size}`,
      );
    }
    return { head: RewardHead.fromHost(tensor, headPath), config };
  }

  dispose(): void {
    this.variable.dispose();
  }
}

/** Sequences padded to one length, and the flat row (b * width + position) each one's score is read at. */
export interface RewardBatch {
  readonly inputs: number[][];
  readonly readAt: Int32Array;
  /** Positions the model processed (batch x width). */
  readonly tokens: number;
}

/**
 * Pads whole sequences (no shift: the last token is input too) with `padId`. Each score is read at the
 * sequence's last response token (its last lossMask 1); the decoder is causal, so padding after it changes
 * nothing.
 */
export function makeRewardBatch(examples: readonly TrainingExample[], padId = 0): RewardBatch {
  if (examples.length === 0) throw new Error('a reward batch needs at least one sequence');
  const width = Math.max(...examples.map((e) => e.ids.length));
  const readAt = new Int32Array(examples.length);
  const inputs = examples.map((example, b) => {
    if (example.lossMask.length !== example.ids.length)
      throw new Error(`sequence ${b}: lossMask must have one entry per token (${example.ids.length})`);
    const last = example.lossMask.lastIndexOf(1);
    if (last < 0) throw new Error(`sequence ${b} has no response token to read a reward at`);
    readAt[b] = b * width + last;
    return [...example.ids, ...new Array<number>(width - example.ids.length).fill(padId)];
  });
  return { inputs, readAt, tokens: examples.length * width };
}

/** One scalar reward per sequence: the head applied to the last hidden state at its read position. */
export function rewardScores(
  model: LlamaModel,
  head: RewardHead,
  batch: RewardBatch,
  options: ForwardOptions = {},
): tf.Tensor1D {
  if (head.hiddenSize !== model.config.hiddenSize) {
    throw new Error(
      `the reward head reads ${head.hiddenSize} hidden units, the model has ${model.config.hiddenSize}`,
    );
  }
  const hidden = model.hiddenStates(batch.inputs, options);
  // A 0/1 selection matrix rather than gather: matMul has a gradient on every backend.
  const rows = batch.readAt.length;
  const selection = new Float32Array(rows * hidden.shape[0]);
  batch.readAt.forEach((row, b) => (selection[b * hidden.shape[0] + row] = 1));
  const picked = tf.matMul(tf.tensor2d(selection, [rows, hidden.shape[0]]), hidden);
  return tf.reshape(tf.matMul(picked, head.variable as tf.Tensor2D), [rows]) as tf.Tensor1D;
}

export interface RewardLossParts {
  /** mean(softplus(-(r_chosen - r_rejected))) = -mean(log sigmoid(margin)). */
  readonly loss: tf.Scalar;
  /** r_chosen - r_rejected, one per pair. */
  readonly margins: tf.Tensor1D;
}

/**
 * The pairwise (Bradley-Terry) reward-model loss of InstructGPT (Ouyang et al. 2022):
 * -mean(log sigmoid(r_chosen - r_rejected)), as softplus(-margin), finite for any margin.
 */
export function rewardLoss(chosen: tf.Tensor1D, rejected: tf.Tensor1D): RewardLossParts {
  const margins = tf.sub(chosen, rejected) as tf.Tensor1D;
  return { loss: tf.mean(tf.softplus(tf.neg(margins))) as tf.Scalar, margins };
}

export interface RewardGradientResult {
  /** By the trainer's keys: the model's trainable variables and REWARD_HEAD_TENSOR for the head. */
  readonly grads: Map<string, tf.Tensor>;
  readonly loss: number;
  readonly margins: Float32Array;
  readonly time: PassTimes;
}

/** The pairwise loss of preference pairs and its gradients for the model's trainable variables and the head. */
export function computeRewardGradients(
  model: LlamaModel,
  head: RewardHead,
  pairs: readonly PreferencePair[],
  padId: number,
  rng: Rng,
): RewardGradientResult {
  const n = pairs.length;
  if (n === 0) throw new Error('a reward step needs at least one preference pair');
  const batch = makeRewardBatch([...pairs.map((p) => p.chosen), ...pairs.map((p) => p.rejected)], padId);
  const variables = new Map(model.trainableVariables());
  variables.set(REWARD_HEAD_TENSOR, head.variable);
  const result = gradientsByKey(variables, () => {
    const scores = rewardScores(model, head, batch, { training: true, rng });
    const parts = rewardLoss(tf.slice(scores, 0, n), tf.slice(scores, n, n));
    return { loss: parts.loss, extra: { margins: parts.margins } };
  });
  return { grads: result.grads, loss: result.loss, margins: result.extra.margins, time: result.time };
}

export interface ScoreOptions {
  /** Longest sequence in tokens; default min(512, the model's context). Longer ones lose their end. */
  readonly maxLength?: number;
  /** Sequences per forward pass (default 8). */
  readonly batchSize?: number;
}

/** The prompt leaves no room for an answer token within the length scored: the caller's input is too long. */
export class PromptFillsContextError extends Error {
  override readonly name = 'PromptFillsContextError';
}

/**
 * What a trained reward model is for: the reward of each candidate answer to one prompt, rendered with the
 * prompt format it was trained with. Higher is better; only differences between answers are meaningful.
 */
export function scoreResponses(
  model: LlamaModel,
  head: RewardHead,
  tokenizer: Tokenizer,
  format: PromptFormat,
  prompt: PromptRecord,
  responses: readonly string[],
  options: ScoreOptions = {},
): number[] {
  const maxLength = scoredLength(model, options);
  const examples = responses.map((output, i) => {
    const example = rewardExample(prompt, output, format, tokenizer, maxLength);
    if (!example) {
      throw new PromptFillsContextError(
        `response ${i} has no token left within ${maxLength} tokens (the prompt fills them); shorten the prompt or raise maxLength`,
      );
    }
    return example;
  });
  return scoreExamples(model, head, examples, tokenizer.padId, options);
}

/**
 * The reward of each (prompt, response) exchange, the prompts differing (served interactions), scored in
 * batches of `batchSize`; null for an exchange whose prompt leaves no response token within the length scored.
 */
export function scoreExchanges(
  model: LlamaModel,
  head: RewardHead,
  tokenizer: Tokenizer,
  format: PromptFormat,
  exchanges: readonly { readonly prompt: PromptRecord; readonly response: string }[],
  options: ScoreOptions = {},
): (number | null)[] {
  const maxLength = scoredLength(model, options);
  const examples = exchanges.map((e) => rewardExample(e.prompt, e.response, format, tokenizer, maxLength));
  const scorable = examples.filter((example) => example !== undefined);
  const scores = scoreExamples(model, head, scorable, tokenizer.padId, options);
  let next = 0;
  return examples.map((example) => (example ? scores[next++]! : null));
}

const scoredLength = (model: LlamaModel, options: ScoreOptions) =>
  options.maxLength ?? Math.min(512, model.config.maxPositionEmbeddings);

/** A response rendered after its prompt; undefined when the prompt leaves it no token. */
function rewardExample(
  prompt: PromptRecord,
  output: string,
  format: PromptFormat,
  tokenizer: Tokenizer,
  maxLength: number,
): { ids: number[]; lossMask: number[] } | undefined {
  const built = buildTrainingExample({ ...prompt, output }, format, tokenizer, { maxLength });
  return built.lossMask.includes(1) ? { ids: built.inputIds, lossMask: built.lossMask } : undefined;
}

function scoreExamples(
  model: LlamaModel,
  head: RewardHead,
  examples: readonly { ids: number[]; lossMask: number[] }[],
  padId: number,
  options: ScoreOptions,
): number[] {
  const batchSize = options.batchSize ?? 8;
  const scores: number[] = [];
  for (let start = 0; start < examples.length; start += batchSize) {
    const batch = makeRewardBatch(examples.slice(start, start + batchSize), padId);
    scores.push(...readInTidy(() => rewardScores(model, head, batch).dataSync()));
  }
  return scores;
}

/**
 * Writes a trained reward model into dir: the backbone (the PEFT adapter when the model has one, else the
 * full weights as config.json + model.safetensors), reward_head.safetensors and reward_config.json.
 */
export function saveRewardModel(
  dir: string,
  model: LlamaModel,
  head: RewardHead,
  promptFormat?: string,
): void {
  if (model.lora) model.lora.save(dir);
  else saveModel(model, dir);
  head.save(dir, model.lora ? 'lora-adapter' : 'full-weights', promptFormat);
}

/**
 * Loads a reward model written by saveRewardModel (an unpacked reward-model artifact). A LoRA backbone
 * needs the base model it was trained on (`baseModelDir`); full weights carry their own.
 */
export function loadRewardModel(
  dir: string,
  baseModelDir?: string,
): { model: LlamaModel; head: RewardHead; config: RewardConfig } {
  const { head, config } = RewardHead.load(dir);
  let model: LlamaModel;
  if (config.backbone === 'full-weights') model = loadModel(dir);
  else {
    if (!baseModelDir)
      throw new Error(`${dir} holds a LoRA adapter: pass the base model directory it was trained on`);
    model = loadModel(baseModelDir);
    try {
      model.lora = LoraAdapter.load(dir, model.config);
    } catch (error) {
      model.dispose();
      head.dispose();
      throw error;
    }
  }
  if (model.config.hiddenSize !== config.hidden_size) {
    model.dispose();
    head.dispose();
    throw new Error(
      `${dir}: the reward head reads ${config.hidden_size} hidden units, the model has ${model.config.hiddenSize}`,
    );
  }
  return { model, head, config };
}
