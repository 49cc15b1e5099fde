import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A Hugging Face config.json of a tiny LLaMA (hidden size 64), as `tuneledger model init --tiny` writes. */
export const tinyConfigJson = {
  architectures: ['LlamaForCausalLM'],
  model_type: 'llama',
  vocab_size: 259,
  hidden_size: 64,
  intermediate_size: 172,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  max_position_embeddings: 256,
  bos_token_id: 1,
  eos_token_id: 2,
};

/**
 * A model directory holding only a config.json: enough for a training request to be checked against the
 * base model's architecture (weights are the worker's concern). Removed with the OS's temporary files.
 */
export function writeModelDirectory(config: Record<string, unknown> = tinyConfigJson): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'tl-base-model-')), 'model');
  mkdirSync(dir);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}
