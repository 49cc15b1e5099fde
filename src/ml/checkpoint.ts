import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeLlamaConfig, parseLlamaConfig, type LlamaConfig, type LlamaConfigInit } from './config.js';
import { LlamaModel } from './model.js';
import { readSafetensorsDir, writeSafetensorsDir, type StoredDtype } from './safetensors.js';

/** Loads a Hugging Face LlamaForCausalLM directory: config.json plus model.safetensors (single or sharded). */
export function loadModel(dir: string): LlamaModel {
  const configPath = join(dir, 'config.json');
  if (!existsSync(configPath))
    throw new Error(
      `${dir}: config.json is missing; a model directory needs config.json and model.safetensors`,
    );
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(configPath, 'utf8'));
  } catch (error) {
    throw new Error(`${configPath}: not valid JSON (${(error as Error).message})`);
  }
  const config = parseLlamaConfig(raw, configPath);
  const { tensors } = readSafetensorsDir(dir);
  return LlamaModel.fromTensors(config, tensors, dir);
}

export interface SaveModelOptions {
  /** Stored dtype of the weights (default F32, which round-trips bit for bit). */
  readonly dtype?: StoredDtype;
  /** Split into shards with model.safetensors.index.json above this many bytes. */
  readonly maxShardBytes?: number;
}

/** Writes config.json and model.safetensors (or shards) in the layout transformers' save_pretrained uses. */
export function saveModel(model: LlamaModel, dir: string, options: SaveModelOptions = {}): string[] {
  mkdirSync(dir, { recursive: true });
  const torchDtype = { F32: 'float32', F16: 'float16', BF16: 'bfloat16' }[options.dtype ?? 'F32'];
  writeFileSync(
    join(dir, 'config.json'),
    `${JSON.stringify(configJson(model.config, torchDtype), null, 2)}\n`,
  );
  const files = writeSafetensorsDir(dir, model.toTensors(), {
    defaultDtype: options.dtype,
    maxShardBytes: options.maxShardBytes,
  });
  return ['config.json', ...files];
}

function configJson(config: LlamaConfig, torchDtype: string): Record<string, unknown> {
  return { ...config.json, torch_dtype: torchDtype };
}

/** The tiny configuration `model init --tiny` writes: fast enough for tests, real LLaMA layout (GQA included). */
export const TINY_CONFIG: LlamaConfigInit = {
  vocabSize: 256 + 3,
  hiddenSize: 64,
  intermediateSize: 172,
  numLayers: 2,
  numHeads: 4,
  numKvHeads: 2,
  maxPositionEmbeddings: 256,
  bosTokenId: 1,
  eosTokenId: 2,
};

/**
 * The spread of a tiny model's random weights when it is meant to be fine-tuned. At the usual 0.02, LoRA on a
 * random base with a frozen head and final norm cannot fit anything (its logits stay within about +-1.3, and the
 * tour's loss moved 5.36 -> 5.28); wider weights stand in for a pretrained base whose head can be confident.
 */
export const TINY_TRAINABLE_INIT_RANGE = 0.2;

/** A random model of the given (default tiny) configuration, weights drawn with `initializerRange`. */
export function initModel(
  init: LlamaConfigInit = TINY_CONFIG,
  seed = 0,
  initializerRange = 0.02,
): LlamaModel {
  return LlamaModel.random(makeLlamaConfig(init), seed, initializerRange);
}
