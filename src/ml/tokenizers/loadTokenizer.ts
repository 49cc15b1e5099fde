import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HfJsonTokenizer } from './hfJsonTokenizer.js';
import { Llama2Tokenizer } from './llama2Tokenizer.js';
import { Llama3Tokenizer } from './llama3Tokenizer.js';
import type { Tokenizer } from './tokenizer.js';
import { readTokenizerConfig } from './tokenizerConfig.js';

const LLAMA2_VOCAB = 32000;
const LLAMA3_BOS = '<|begin_of_text|>';

/**
 * The tokenizer of a model directory, chosen by the files in it:
 * 1. `tokenizer.json`: read as a Hugging Face tokenizer (with tokenizer_config.json for BOS/EOS/PAD and the
 *    chat template);
 * 2. `tokenizer.model` (SentencePiece): the LLaMA 2 tokenizer bundled in llama-tokenizer-js; the .model file
 *    itself is not parsed, so config.json's vocab_size must be 32000;
 * 3. only `tokenizer_config.json` naming `<|begin_of_text|>` as BOS: the Llama 3 tokenizer bundled in
 *    llama3-tokenizer-js.
 * Nothing is fetched from the network.
 */
export async function loadTokenizer(dir: string): Promise<Tokenizer> {
  const config = await readTokenizerConfig(dir);
  const jsonPath = join(dir, 'tokenizer.json');
  if (await exists(jsonPath)) {
    const raw = await readFile(jsonPath, 'utf8');
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (err) {
      throw new Error(`${jsonPath}: not valid JSON (${(err as Error).message})`);
    }
    return new HfJsonTokenizer(json, config, jsonPath);
  }
  if (await exists(join(dir, 'tokenizer.model'))) {
    const vocabSize = await configVocabSize(dir);
    if (vocabSize !== undefined && vocabSize !== LLAMA2_VOCAB) {
      throw new Error(
        `${join(dir, 'tokenizer.model')}: only the LLaMA 2 SentencePiece model (vocabulary ${LLAMA2_VOCAB}) is supported without a tokenizer.json, but config.json says vocab_size ${vocabSize}; add the model's tokenizer.json`,
      );
    }
    return Llama2Tokenizer.load(config?.chat_template);
  }
  if (config?.bos_token === LLAMA3_BOS) return Llama3Tokenizer.load(config.chat_template);
  throw new Error(
    `${dir}: no tokenizer found; expected tokenizer.json, tokenizer.model (LLaMA 2) or a Llama 3 tokenizer_config.json`,
  );
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

async function configVocabSize(dir: string): Promise<number | undefined> {
  try {
    const json = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as { vocab_size?: unknown };
    return typeof json.vocab_size === 'number' ? json.vocab_size : undefined;
  } catch {
    return undefined;
  }
}
