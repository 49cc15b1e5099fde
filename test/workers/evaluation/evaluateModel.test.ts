import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluateModel, exampleFromDatasetRecord } from '../../../src/workers/evaluation/index.js';
import { capitalRecords, writeTinyModel } from '../support.js';

describe('evaluateModel', () => {
  it('smoke', async () => {
    const dir = await writeTinyModel(join(mkdtempSync(join(tmpdir(), 'ev-')), 'tiny'));
    const examples = capitalRecords().map((r, i) => exampleFromDatasetRecord(r, i)!);
    const t = performance.now();
    const out = await evaluateModel({
      modelDir: dir,
      examples,
      maxTokens: 16,
      noiseTypes: ['typos', 'injection'],
    });
    console.log(
      performance.now() - t,
      out.metrics,
      out.errorTaxonomy,
      out.heatmaps.length,
      out.predictionsJsonl.slice(0, 400),
    );
    void readFileSync;
    expect(out.metrics['count']).toBe(4);
  }, 60_000);
});
