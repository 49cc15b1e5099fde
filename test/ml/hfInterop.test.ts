import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, loadModel, LoraAdapter } from '../../src/ml/index.js';

/*
 * test/ml/fixtures/transformers-5.17 was written by transformers 5.17.0 (save_pretrained, safetensors) and
 * PEFT 0.21.0 on PyTorch 2.11 (make_fixture_and_check.py): a random LlamaForCausalLM with grouped-query
 * attention (6 heads, 2 kv heads), rope_theta 500000 inside rope_parameters, a LoRA adapter on five modules
 * with random B, and the logits PyTorch computed for both.
 */
const fixture = join(import.meta.dirname, 'fixtures', 'transformers-5.17');
const reference = JSON.parse(readFileSync(join(fixture, 'logits.json'), 'utf8')) as {
  ids: number[];
  base: number[][];
  adapter: number[][];
};

function maxDiff(a: number[][], b: number[][]): number {
  return Math.max(...a.flatMap((row, i) => row.map((v, j) => Math.abs(v - b[i]![j]!))));
}

beforeAll(async () => {
  await initBackend();
});

describe('checkpoints written by transformers and PEFT', () => {
  it('load and give the logits PyTorch computed, with and without the adapter', () => {
    const model = loadModel(join(fixture, 'model'));
    expect(model.config.ropeTheta).toBe(500000);
    const scale = Math.max(...reference.base.flat().map(Math.abs));
    expect(scale).toBeGreaterThan(1);
    expect(maxDiff(model.logits([reference.ids])[0]!, reference.base)).toBeLessThan(1e-5 * scale);
    model.lora = LoraAdapter.load(join(fixture, 'adapter'), model.config);
    const withAdapter = model.logits([reference.ids])[0]!;
    expect(maxDiff(reference.adapter, reference.base)).toBeGreaterThan(0.1);
    expect(maxDiff(withAdapter, reference.adapter)).toBeLessThan(1e-5 * scale);
    model.dispose();
  });
});
