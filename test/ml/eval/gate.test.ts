import { beforeAll, describe, expect, it } from 'vitest';
import {
  evaluatePredictions,
  evaluationRecordSchema,
  GATE_METRICS,
  gateVerdict,
  headlineMetrics,
  noisyInstructions,
  robustnessReport,
  type EvaluationRecordInput,
} from '../../../src/ml/eval/index.js';

// The evaluation gate on metrics whose seven headline values all differ, so that a metric read in another's
// place, or a threshold compared the wrong way, shows.
const qa = (id: string, reference: string, prediction: string): EvaluationRecordInput => ({
  id,
  instruction: 'Where?',
  references: [reference],
  prediction,
});
const inputs: EvaluationRecordInput[] = [
  qa('a', 'Paris', 'Paris'), // EM 1, F1 1, correct
  qa('b', 'Denver Broncos', 'Broncos'), // EM 0, F1 2/3
  qa('c', 'Rome', 'Rome'), // EM 1, F1 1, correct
  qa('d', 'Lyon', 'Paris'), // EM 0, F1 0
  qa('e', 'Madrid', 'in Madrid city'), // EM 0, F1 1/2
  // Instruction following: both followed (correct); JSON only loosely; a comma, so neither.
  {
    id: 'i1',
    instruction: 'Three bullets, no commas.',
    references: [],
    prediction: '* apple\n* pear\n* plum',
    constraints: [{ kind: 'bullet_count', params: { count: 3 } }, { kind: 'no_commas' }],
  },
  {
    id: 'i2',
    instruction: 'JSON.',
    references: [],
    prediction: 'Sure:\n{"ok": true}',
    constraints: [{ kind: 'json_format' }],
  },
  {
    id: 'i3',
    instruction: 'No commas.',
    references: [],
    prediction: 'a, b',
    constraints: [{ kind: 'no_commas' }],
  },
];
// Computed before the tests rather than as the file loads, so that code that throws fails tests, not the file.
let metrics: ReturnType<typeof evaluatePredictions>;
beforeAll(() => {
  metrics = evaluatePredictions(inputs.map((input) => evaluationRecordSchema.parse(input)));
});
const values = {
  exactMatch: 2 / 5,
  f1: (1 + 2 / 3 + 1 + 0 + 1 / 2) / 5,
  ifStrictPrompt: 1 / 3,
  ifStrictInstruction: 2 / 4,
  ifLoosePrompt: 2 / 3,
  ifLooseInstruction: 3 / 4,
  correctRate: 3 / 8,
};

describe('the evaluation gate', () => {
  it('reads each headline metric from its own place', () => {
    const headline = headlineMetrics(metrics);
    expect(Object.keys(headline)).toEqual([...GATE_METRICS]);
    for (const metric of GATE_METRICS) expect(headline[metric]).toBeCloseTo(values[metric], 12);
    expect(new Set(Object.values(values)).size).toBe(7);
  });

  it('passes a metric at or above its threshold and fails it below, for every metric', () => {
    const headline = headlineMetrics(metrics);
    for (const metric of GATE_METRICS) {
      const value = headline[metric]!;
      expect(gateVerdict(metrics, { [metric]: value })).toEqual({ passed: true, failures: [] });
      expect(gateVerdict(metrics, { [metric]: value - 1e-9 })).toEqual({ passed: true, failures: [] });
      expect(gateVerdict(metrics, { [metric]: value + 1e-9 })).toEqual({
        passed: false,
        failures: [{ metric, value, threshold: value + 1e-9 }],
      });
    }
    // Thresholds of 0 and 1 are allowed; every failing metric is named, in the gate's order.
    expect(
      gateVerdict(metrics, { correctRate: 1, exactMatch: 1, f1: 0 }).failures.map((f) => f.metric),
    ).toEqual(['exactMatch', 'correctRate']);
    expect(gateVerdict(metrics, {})).toEqual({ passed: true, failures: [] });
  });

  it('refuses thresholds outside [0, 1] and metrics it does not know', () => {
    expect(() => gateVerdict(metrics, { f1: 1.01 })).toThrow();
    expect(() => gateVerdict(metrics, { f1: -0.01 })).toThrow();
    expect(() => gateVerdict(metrics, { bleu: 0.5 } as never)).toThrow();
  });

  it('has no value for a metric the records cannot measure, and fails a gate on it', () => {
    const qaOnly = evaluatePredictions([evaluationRecordSchema.parse(inputs[0])]);
    expect(headlineMetrics(qaOnly)).toEqual({
      exactMatch: 1,
      f1: 1,
      ifStrictPrompt: null,
      ifStrictInstruction: null,
      ifLoosePrompt: null,
      ifLooseInstruction: null,
      correctRate: 1,
    });
    const ifOnly = evaluatePredictions([evaluationRecordSchema.parse(inputs[5])]);
    expect(headlineMetrics(ifOnly)).toMatchObject({ exactMatch: null, f1: null, ifStrictPrompt: 1 });
    const unscored = evaluatePredictions([
      evaluationRecordSchema.parse({ id: 'u', instruction: 'Poem.', references: [], prediction: 'Roses.' }),
    ]);
    expect(headlineMetrics(unscored).correctRate).toBeNull();
    expect(gateVerdict(unscored, { correctRate: 0 })).toEqual({
      passed: false,
      failures: [{ metric: 'correctRate', value: null, threshold: 0 }],
    });
  });
});

describe('the robustness report', () => {
  const worse = (ids: readonly string[]) =>
    evaluatePredictions(
      inputs.map((input) =>
        evaluationRecordSchema.parse(ids.includes(input.id) ? { ...input, prediction: 'no idea' } : input),
      ),
    );

  it('gives each noise type its metrics and its drop from the clean ones, and the worst F1 drop', () => {
    const typos = worse(['a']);
    const injection = worse(['a', 'c']);
    const report = robustnessReport(metrics, { typos, injection, reorder: undefined });
    expect(report.clean).toEqual(headlineMetrics(metrics));
    expect(report.perNoise.map((entry) => entry.noise)).toEqual(['typos', 'injection']);
    const [first, second] = report.perNoise;
    expect(first!.metrics).toEqual(headlineMetrics(typos));
    expect(first!.drop.exactMatch).toBeCloseTo(1 / 5, 12);
    expect(first!.drop.f1).toBeCloseTo(1 / 5, 12);
    expect(first!.drop.ifStrictPrompt).toBe(0);
    expect(second!.drop.f1).toBeCloseTo(2 / 5, 12);
    // The largest drop, whichever noise comes first; a noise that helped has a negative drop.
    expect(report.worstF1Drop).toBeCloseTo(2 / 5, 12);
    expect(robustnessReport(metrics, { injection, typos }).worstF1Drop).toBeCloseTo(2 / 5, 12);
    expect(robustnessReport(typos, { typos: metrics }).worstF1Drop).toBeCloseTo(-1 / 5, 12);
  });

  it('leaves a noise without F1 out of the worst F1 drop', () => {
    const better = worse([]);
    const ifOnly = evaluatePredictions([evaluationRecordSchema.parse(inputs[5]!)]);
    // typos: F1 unchanged (drop 0); injection: F1 not measured. The worst drop is 0, not 0 against null.
    const report = robustnessReport(worse(['d']), { typos: better, injection: ifOnly });
    expect(report.perNoise[1]!.drop.f1).toBeNull();
    expect(report.worstF1Drop).toBeCloseTo(0, 12);
    const helped = robustnessReport(worse(['a']), { typos: metrics, injection: ifOnly });
    expect(helped.worstF1Drop).toBeCloseTo(-1 / 5, 12);
  });

  it('seeds each noisy instruction by the run seed and the record id', () => {
    const record = {
      instruction: 'Which team won the championship game played yesterday evening?',
      references: [],
    };
    const typos = (seed: number, id: string) =>
      noisyInstructions([{ ...record, id }], { seed, types: ['typos'] }).typos[0]!.instruction;
    expect(typos(5, 'q')).toBe(typos(5, 'q'));
    const variants = new Set([typos(5, 'q'), typos(6, 'q'), typos(5, 'r'), typos(7, 'q'), typos(5, 's')]);
    expect(variants.size).toBeGreaterThan(2);
    // Only the types asked for.
    expect(Object.keys(noisyInstructions([{ ...record, id: 'q' }], { seed: 1, types: ['reorder'] }))).toEqual(
      ['reorder'],
    );
  });

  it('has no drop where either side has no value, and no worst F1 drop without F1', () => {
    const ifOnly = (prediction: string) =>
      evaluatePredictions([evaluationRecordSchema.parse({ ...inputs[5]!, prediction })]);
    const report = robustnessReport(ifOnly('* a\n* b\n* c'), { typos: ifOnly('* a, b\n* c') });
    expect(report.perNoise[0]!.drop).toMatchObject({ exactMatch: null, f1: null, ifStrictPrompt: 1 });
    expect(report.worstF1Drop).toBeNull();
    expect(robustnessReport(metrics, {})).toEqual({
      clean: headlineMetrics(metrics),
      perNoise: [],
      worstF1Drop: null,
    });
  });
});
