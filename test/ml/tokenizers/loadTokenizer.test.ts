import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Llama2Tokenizer, Llama3Tokenizer, loadTokenizer } from '../../../src/ml/tokenizers/index.js';

describe('loadTokenizer', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'load-tok-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function modelDir(name: string, files: Record<string, string>): Promise<string> {
    const dir = join(root, name);
    await mkdir(dir);
    for (const [file, content] of Object.entries(files)) await writeFile(join(dir, file), content);
    return dir;
  }

  it('picks LLaMA 2 for a SentencePiece tokenizer.model with a 32000 vocabulary', async () => {
    const dir = await modelDir('llama2', {
      'tokenizer.model': 'not parsed',
      'config.json': JSON.stringify({ vocab_size: 32000 }),
      'tokenizer_config.json': JSON.stringify({
        bos_token: { content: '<s>' },
        chat_template: '{{ bos_token }}',
      }),
    });
    const tok = await loadTokenizer(dir);
    expect(tok).toBeInstanceOf(Llama2Tokenizer);
    expect(tok.chatTemplate).toBe('{{ bos_token }}');
    expect(tok.encode('Hello world', { addBos: true })).toEqual([1, 15043, 3186]);
  });

  it('refuses a tokenizer.model of another vocabulary, saying what to add', async () => {
    const dir = await modelDir('other-sp', {
      'tokenizer.model': 'x',
      'config.json': JSON.stringify({ vocab_size: 50000 }),
    });
    await expect(loadTokenizer(dir)).rejects.toThrow(/vocab_size 50000; add the model's tokenizer.json/);
  });

  it('picks Llama 3 from a tokenizer_config.json alone', async () => {
    const dir = await modelDir('llama3', {
      'tokenizer_config.json': JSON.stringify({ bos_token: '<|begin_of_text|>', eos_token: '<|eot_id|>' }),
    });
    const tok = await loadTokenizer(dir);
    expect(tok).toBeInstanceOf(Llama3Tokenizer);
    expect(tok.encode('Hello world', { addBos: true })).toEqual([128000, 9906, 1917]);
  });

  it('says what is missing in an empty directory and where a file is broken', async () => {
    const empty = await modelDir('empty', {});
    await expect(loadTokenizer(empty)).rejects.toThrow(/no tokenizer found; expected tokenizer.json/);
    const broken = await modelDir('broken', { 'tokenizer.json': '{"model": ' });
    await expect(loadTokenizer(broken)).rejects.toThrow(/broken\/tokenizer.json: not valid JSON/);
  });
});
