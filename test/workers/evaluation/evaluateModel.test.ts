import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { generate, loadModel, TINY_CONFIG } from '../../../src/ml/index.js';
import { promptFormatByName } from '../../../src/ml/prompts/index.js';
import { loadTokenizer } from '../../../src/ml/tokenizers/index.js';
import {
  evaluateModel,
  EvaluationStoppedError,
  exampleFromDatasetRecord,
  parseEvaluationExamples,
} from '../../../src/workers/evaluation/index.js';
import { capitalRecords, writeTinyModel } from '../support.js';

describe('evaluateModel on a tiny random model', () => {
  let modelDir: string;
  beforeAll(async () => {
    modelDir = await writeTinyModel(join(mkdtempSync(join(tmpdir(), 'tuneledger-evaluate-')), 'tiny'));
  });

  it('answers every example, re-asks noisy variants, and writes predictions, report and heatmaps', async () => {
    const examples = capitalRecords().map((record, i) => exampleFromDatasetRecord(record, i)!);
    const progress: Array<[number, number]> = [];
    const outcome = await evaluateModel({
      modelDir,
      examples,
      maxTokens: 6,
      noiseTypes: ['typos', 'injection'],
      onProgress: (done, total) => progress.push([done, total]),
    });
    // 4 clean answers and 4 per noise type.
    expect(progress.at(-1)).toEqual([12, 12]);
    expect(progress.map(([done]) => done)).toEqual([...Array(12).keys()].map((i) => i + 1));
    const rows = outcome.predictionsJsonl
      .trim()
      .split('\n')
      .map(
        (line) => JSON.parse(line) as { id: string; reference: string[]; output: string; category: string },
      );
    expect(rows.map((r) => r.id)).toEqual(['r1', 'r2', 'r3', 'r4']);
    expect(rows.map((r) => r.reference)).toEqual([['Paris.'], ['Tokyo.'], ['Lima.'], ['Nairobi.']]);
    // A random model does not answer "Paris.": exact match 0, and the taxonomy counts every record once.
    expect(outcome.metrics['exactMatch']).toBe(0);
    expect(Object.values(outcome.errorTaxonomy).reduce((a, b) => a + b, 0)).toBe(4);
    for (const row of rows) expect(outcome.errorTaxonomy[row.category]).toBeGreaterThan(0);
    expect(outcome.categories['capital']).toMatchObject({ count: 4 });
    expect(Object.keys(outcome.metrics)).toEqual(
      expect.arrayContaining(['robustness.typos.f1Drop', 'robustness.injection.f1Drop', 'robustnessDelta']),
    );
    // Two examples x every layer x every head of the tiny model, each as SVG, PNG and JSON (weights and tokens).
    const maps = TINY_CONFIG.numLayers * TINY_CONFIG.numHeads;
    expect(outcome.heatmaps).toHaveLength(2 * maps * 3);
    const first = outcome.heatmaps.find((f) => f.name.endsWith('.png'))!;
    const png = PNG.sync.read(Buffer.from(first.data));
    // The last 16 query rows over the last 64 keys of the prompt (8-pixel cells).
    const tokenizer = await loadTokenizer(modelDir);
    const exampleId = first.name.replace(/^heatmap-(.*)-L\d+-H\d+\.png$/, '$1');
    const example = examples.find((e) => e.id === exampleId)!;
    const promptLength = tokenizer.encode(
      promptFormatByName('alpaca', tokenizer).renderPrompt(
        { instruction: example.instruction, system: example.system! },
        tokenizer,
      ),
    ).length;
    expect(png.height).toBe(Math.min(16, promptLength) * 8);
    expect(png.width).toBe(Math.min(64, promptLength) * 8);
    // The same grid as numbers, labelled by its tokens: one row per query, one weight per key.
    const grid = JSON.parse(
      Buffer.from(
        outcome.heatmaps.find((f) => f.name === first.name.replace(/\.png$/, '.json'))!.data,
      ).toString('utf8'),
    ) as { format: string; queryLabels: string[]; keyLabels: string[]; weights: number[][] };
    expect(grid.format).toBe('tuneledger-attention/1');
    expect(grid.queryLabels).toHaveLength(Math.min(16, promptLength));
    expect(grid.keyLabels).toHaveLength(Math.min(64, promptLength));
    expect(grid.weights).toHaveLength(grid.queryLabels.length);
    for (const row of grid.weights) {
      expect(row).toHaveLength(grid.keyLabels.length);
      for (const weight of row) expect(weight).toBeGreaterThanOrEqual(0);
      expect(row.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(1 + 1e-5);
    }
    const report = JSON.parse(outcome.reportJson) as {
      examples: number;
      heatmaps: unknown[];
      robustness: unknown;
    };
    expect(report.examples).toBe(4);
    expect(report.heatmaps).toHaveLength(2 * maps);
    expect(report.robustness).toBeDefined();
  }, 60_000);

  it('answers in batches exactly what generation alone answers (greedy)', async () => {
    const examples = capitalRecords().map((record, i) => exampleFromDatasetRecord(record, i)!);
    const outcome = await evaluateModel({ modelDir, examples, maxTokens: 8, batch: 3 });
    const outputs = outcome.predictionsJsonl
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { output: string }).output);
    const tokenizer = await loadTokenizer(modelDir);
    const format = promptFormatByName('alpaca', tokenizer);
    const model = loadModel(modelDir);
    const alone = examples.map((example) => {
      const ids = tokenizer.encode(
        format.renderPrompt({ instruction: example.instruction, system: example.system! }, tokenizer),
      );
      const result = generate(model, ids, { maxTokens: 8, stopTokenIds: tokenizer.stopIds });
      return tokenizer.decode(result.tokens, { skipSpecialTokens: true });
    });
    model.dispose();
    expect(outputs).toEqual(alone);
    expect(alone.some((output) => output.length > 0)).toBe(true);
    // The prompts differ in length, so the batches mixed lengths.
    expect(new Set(examples.map((e) => e.instruction.length)).size).toBeGreaterThan(1);
  }, 60_000);

  it('stops before the next batch of answers when told to', async () => {
    const examples = capitalRecords().map((record, i) => exampleFromDatasetRecord(record, i)!);
    let answered = 0;
    await expect(
      evaluateModel({
        modelDir,
        examples,
        maxTokens: 2,
        batch: 2,
        onProgress: (done) => (answered = done),
        shouldStop: () => answered >= 2,
      }),
    ).rejects.toBeInstanceOf(EvaluationStoppedError);
    expect(answered).toBe(2);
  }, 30_000);
});

describe('evaluation examples', () => {
  it('takes the last user turn, the final answer as reference, history and the template as category', () => {
    const example = exampleFromDatasetRecord(
      {
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Hi' },
          { role: 'assistant', content: 'Hello' },
          { role: 'user', content: 'Capital of Peru?' },
          { role: 'assistant', content: 'Lima.' },
        ],
        provenance: { templateId: 'capital', substitutions: {} },
      },
      6,
    );
    expect(example).toEqual({
      id: 'r7',
      instruction: 'Capital of Peru?',
      system: 'Be brief.',
      history: [['Hi', 'Hello']],
      references: ['Lima.'],
      category: 'capital',
    });
  });

  it('reads JSONL examples and dataset records, and names the line of a bad one', () => {
    const examples = parseEvaluationExamples(
      [
        '{"instruction":"Say hi","references":["hi"],"constraints":[{"kind":"no_commas"}]}',
        '',
        '{"messages":[{"role":"user","content":"Q"},{"role":"assistant","content":"A"}]}',
      ].join('\n'),
      'set.jsonl',
    );
    expect(examples.map((e) => [e.id, e.instruction, e.references])).toEqual([
      ['r1', 'Say hi', ['hi']],
      ['r3', 'Q', ['A']],
    ]);
    expect(() => parseEvaluationExamples('{"references":[]}', 'bad.jsonl')).toThrow(
      /bad\.jsonl:1: instruction .*expected \{"instruction"/,
    );
    expect(() => parseEvaluationExamples('{oops', 'bad.jsonl')).toThrow(/bad\.jsonl:1: not JSON/);
  });
});
