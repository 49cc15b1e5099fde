import { describe, expect, it } from 'vitest';
import { evaluationSettingsFromEnv } from '../../../src/workers/evaluation/index.js';

describe('evaluation settings from the environment', () => {
  it('defaults: no worker overrides, no benchmark schedule', () => {
    expect(evaluationSettingsFromEnv({})).toEqual({ worker: {}, benchmark: undefined });
  });

  it('reads worker, judge and benchmark variables', () => {
    const settings = evaluationSettingsFromEnv({
      TUNELEDGER_EVAL_MAX_TOKENS: '32',
      TUNELEDGER_EVAL_NOISE: 'typos,injection',
      TUNELEDGER_EVAL_HEATMAPS: '0',
      TUNELEDGER_JUDGE_URL: 'http://127.0.0.1:8000/v1',
      TUNELEDGER_JUDGE_MODEL: 'judge',
      TUNELEDGER_BENCHMARK_DATASET: 'std@bench@3',
      TUNELEDGER_BENCHMARK_CRON: '0 4 * * 0',
      TUNELEDGER_BENCHMARK_GATE: '[{"metric":"f1","op":"gte","value":0.5}]',
    });
    expect(settings.worker).toEqual({
      maxTokens: 32,
      noiseTypes: 'typos,injection',
      heatmapExamples: 0,
      judge: { url: 'http://127.0.0.1:8000/v1', model: 'judge' },
    });
    expect(settings.benchmark).toEqual({
      benchmark: { datasetId: 'std@bench', revision: 3 },
      cron: '0 4 * * 0',
      metric: 'f1',
      thresholdPct: 5,
      gate: [{ metric: 'f1', op: 'gte', value: 0.5 }],
    });
  });

  it('names the variable that is wrong', () => {
    expect(() => evaluationSettingsFromEnv({ TUNELEDGER_EVAL_MAX_TOKENS: 'many' })).toThrow(
      /^TUNELEDGER_EVAL_MAX_TOKENS: /,
    );
    expect(() => evaluationSettingsFromEnv({ TUNELEDGER_BENCHMARK_DATASET: 'std' })).toThrow(
      /TUNELEDGER_BENCHMARK_DATASET: DATASET_ID@REVISION/,
    );
    expect(() =>
      evaluationSettingsFromEnv({ TUNELEDGER_BENCHMARK_DATASET: 's@1', TUNELEDGER_BENCHMARK_GATE: '{' }),
    ).toThrow(/TUNELEDGER_BENCHMARK_GATE: expected JSON/);
  });
});
