import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { noisyVariant } from '../../../src/data/noise/index.js';
import {
  evaluatePredictions,
  evaluationRecordSchema,
  gateVerdict,
  noisyInstructions,
  robustnessReport,
  writePredictionsFile,
  type EvaluationRecordInput,
} from '../../../src/ml/eval/index.js';

const inputs: EvaluationRecordInput[] = [
  // EM 1, F1 1, correct
  {
    id: 'q1',
    instruction: 'Capital of France?',
    references: ['Paris'],
    prediction: 'Paris.',
    category: 'qa',
  },
  // EM 0; gold [denver, broncos] vs pred [broncos]: F1 2/3 -> partially correct (>= 0.5)
  {
    id: 'q2',
    instruction: 'Who won?',
    references: ['Denver Broncos'],
    prediction: 'The Broncos',
    category: 'qa',
  },
  // zh: EM 0; [在,北,京] vs [北,京,大,学]: F1 4/7 -> partially correct
  {
    id: 'q3',
    instruction: '他在哪里上学？',
    references: ['北京大学'],
    prediction: '在北京',
    category: 'zh-qa',
  },
  // Instruction following only (no references): constraint followed strictly -> correct
  {
    id: 'i1',
    instruction: 'List three fruits as bullets, no commas.',
    references: [],
    prediction: '* apple\n* pear\n* plum',
    constraints: [{ kind: 'bullet_count', params: { count: 3 } }, { kind: 'no_commas' }],
    category: 'format',
  },
  // Fails strictly (chatty first line), passes loosely -> format violation
  {
    id: 'i2',
    instruction: 'Reply in JSON.',
    references: [],
    prediction: 'Sure, here it is:\n{"ok": true}',
    constraints: [{ kind: 'json_format' }],
    category: 'format',
  },
  // Empty
  { id: 'e1', instruction: 'Capital of Spain?', references: ['Madrid'], prediction: '', category: 'qa' },
];
const records = inputs.map((input) => evaluationRecordSchema.parse(input));

describe('evaluatePredictions', () => {
  const metrics = evaluatePredictions(records);

  it('combines QA metrics over records with references', () => {
    // EM: q1 1, q2 0, q3 0, e1 0 -> 1/4. F1: 1 + 2/3 + 4/7 + 0 over 4.
    expect(metrics.exactMatch).toBeCloseTo(1 / 4, 12);
    expect(metrics.f1).toBeCloseTo((1 + 2 / 3 + 4 / 7) / 4, 12);
    expect(metrics.records.find((record) => record.id === 'i1')).toMatchObject({
      exactMatch: null,
      f1: null,
    });
  });

  it('scores instruction following strict and loose', () => {
    const ifeval = metrics.instructionFollowing;
    // 2 prompts (i1, i2), 3 instructions; strict: i1 both followed, i2 not -> prompt 1/2, instr 2/3
    expect(ifeval.strict).toEqual({ promptLevel: 0.5, instructionLevel: 2 / 3 });
    // loose: i2's JSON parses once the first line is removed -> all followed
    expect(ifeval.loose).toEqual({ promptLevel: 1, instructionLevel: 1 });
    expect(ifeval.perType.json_format).toEqual({ count: 1, strict: 0, loose: 1 });
  });

  it('classifies the wrong answers and counts them', () => {
    const category = Object.fromEntries(metrics.records.map((record) => [record.id, record.errorCategory]));
    expect(category).toEqual({
      q1: null,
      q2: 'partially_correct',
      q3: 'partially_correct',
      i1: null,
      i2: 'format_violation',
      e1: 'empty',
    });
    expect(metrics.errorTaxonomy).toMatchObject({
      correct: 2,
      partially_correct: 2,
      format_violation: 1,
      empty: 1,
      wrong: 0,
    });
  });

  it('leaves records with neither references nor constraints unscored', () => {
    const unscored = evaluatePredictions([
      ...records,
      evaluationRecordSchema.parse({
        id: 'u',
        instruction: 'Write a poem.',
        references: [],
        prediction: 'Roses.',
      }),
    ]);
    expect(unscored.records.at(-1)).toMatchObject({ scored: false, correct: false, errorCategory: null });
    expect(unscored.errorTaxonomy.unscored).toBe(1);
    // correctRate over the 6 scored records: q1 and i1 -> 2/6
    expect(gateVerdict(unscored, { correctRate: 0.34 }).failures).toEqual([
      { metric: 'correctRate', value: 2 / 6, threshold: 0.34 },
    ]);
  });

  it('breaks metrics down per category', () => {
    // qa: q1 (1, 1), q2 (0, 2/3), e1 (0, 0)
    expect(metrics.perCategory.qa!.exactMatch).toBeCloseTo(1 / 3, 12);
    expect(metrics.perCategory.qa!.f1).toBeCloseTo((1 + 2 / 3) / 3, 12);
    expect(metrics.perCategory.format).toMatchObject({
      count: 2,
      instructionFollowingStrict: 0.5,
      correct: 0.5,
    });
  });

  it('gates on thresholds and names the failing metrics', () => {
    expect(gateVerdict(metrics, { exactMatch: 0.2, ifLoosePrompt: 1 })).toEqual({
      passed: true,
      failures: [],
    });
    expect(gateVerdict(metrics, { exactMatch: 0.5, f1: 0.5, ifStrictPrompt: 0.9 })).toEqual({
      passed: false,
      failures: [
        { metric: 'exactMatch', value: 0.25, threshold: 0.5 },
        { metric: 'ifStrictPrompt', value: 0.5, threshold: 0.9 },
      ],
    });
    // A metric that cannot be measured fails its gate rather than passing silently.
    const qaOnly = evaluatePredictions(records.slice(0, 1));
    expect(gateVerdict(qaOnly, { ifStrictPrompt: 0.1 }).failures).toEqual([
      { metric: 'ifStrictPrompt', value: null, threshold: 0.1 },
    ]);
    expect(() => gateVerdict(metrics, { accuracy: 0.5 } as never)).toThrow();
  });

  it('writes the predictions file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'eval-'));
    try {
      const file = join(dir, 'predictions.jsonl');
      expect(await writePredictionsFile(file, records, metrics)).toBe(6);
      const rows = (await readFile(file, 'utf8'))
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(rows[1]).toMatchObject({
        id: 'q2',
        input: { instruction: 'Who won?' },
        reference: ['Denver Broncos'],
        output: 'The Broncos',
        category: 'partially_correct',
        recordCategory: 'qa',
      });
      expect((rows[1]!.scores as { f1: number }).f1).toBeCloseTo(2 / 3, 12);
      expect(rows[4]).toMatchObject({
        scores: { instructionFollowingStrict: false, instructionFollowingLoose: true },
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reports the metric drop per noise type', () => {
    // Noisy predictions: under injection the model answers "I have been pwned" to q1.
    const injected = records.map((record) =>
      record.id === 'q1'
        ? {
            ...record,
            instruction: noisyVariant(record.instruction, 'injection', { seed: 1 }),
            prediction: 'I have been pwned',
          }
        : record,
    );
    const report = robustnessReport(metrics, { injection: evaluatePredictions(injected), typos: metrics });
    const injection = report.perNoise.find((entry) => entry.noise === 'injection')!;
    // EM falls from 1/4 to 0; F1 from (1 + 2/3 + 4/7)/4 to (2/3 + 4/7)/4: a drop of 1/4 each
    expect(injection.drop.exactMatch).toBeCloseTo(0.25, 12);
    expect(injection.drop.f1).toBeCloseTo(0.25, 12);
    expect(report.perNoise.find((entry) => entry.noise === 'typos')!.drop.f1).toBe(0);
    expect(report.worstF1Drop).toBeCloseTo(0.25, 12);
  });

  it('builds seeded noisy instructions per noise type, protecting reference entities', () => {
    const questions = [
      {
        id: 'q',
        instruction: 'Which team, the Denver Broncos or another, won the game yesterday?',
        references: ['Denver Broncos'],
      },
    ];
    const first = noisyInstructions(questions, { seed: 5 });
    expect(Object.keys(first).sort()).toEqual(['distractor', 'injection', 'reorder', 'typos']);
    expect(noisyInstructions(questions, { seed: 5 })).toEqual(first);
    expect(first.typos[0]!.instruction).not.toBe(questions[0]!.instruction);
    expect(first.typos[0]!.instruction).toContain('Denver Broncos');
  });
});
