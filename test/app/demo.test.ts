/**
 * `tuneledger demo` shortened (one epoch per stage, small windows): the whole loop on a fresh embedded platform,
 * driven over GraphQL and the OpenAI-compatible endpoint. Worker threads run JavaScript, so their entries are
 * bundled first, as the worker and serving tests do.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { examplesDir, runDemo, type DemoSummary } from '../../src/app/demo/index.js';
import { TINY_CONFIG } from '../../src/ml/index.js';
import { compileGenerationThread } from '../serving/support.js';
import { bundle } from '../workers/support.js';

let summary: DemoSummary;
let printed = '';

beforeAll(async () => {
  const [training, evaluation] = await Promise.all([
    bundle('src/workers/training/trainingThread.ts', 'trainingThread'),
    bundle('src/workers/evaluation/evaluationThread.ts', 'evaluationThread'),
  ]);
  const out = new Writable({
    write(chunk: Buffer, _encoding, done) {
      printed += chunk.toString();
      done();
    },
  });
  summary = await runDemo({
    size: 'short',
    logLevel: 'silent',
    out,
    threads: { training, evaluation, generation: compileGenerationThread() },
  });
}, 240_000);

/** PII in the sample file, counted here with plain patterns, independently of the redactor. */
function plantedPii(): Record<string, number> {
  const text = readFileSync(join(examplesDir(), 'instructions.jsonl'), 'utf8');
  const count = (pattern: RegExp) => text.match(pattern)?.length ?? 0;
  return {
    email: count(/[\w.]+@[\w.]+\.\w+/g),
    bank_card: count(/\b4111 1111 1111 1111\b/g),
    iban: count(/\bGB\d\d [A-Z]{4}[\d ]+/g),
  };
}

describe('tuneledger demo (short)', () => {
  it('runs every step of the loop through the API', () => {
    const byStep = Object.fromEntries(summary.steps.map((s) => [s.index, s.status]));
    expect(byStep, printed).toEqual({
      1: 'ok',
      2: 'ok',
      3: 'ok',
      4: 'ok',
      5: 'ok',
      6: 'ok',
      7: 'ok',
      8: 'ok',
      9: 'ok',
    });
    expect(summary.kept).toBe(false);
  });

  it('reports the PII planted in the sample dataset', () => {
    const report = summary.facts.piiReport as { counts: Record<string, number> };
    expect(report.counts).toMatchObject(plantedPii());
    expect(report.counts.phone).toBeGreaterThanOrEqual(2);
  });

  it('trains (loss falls), and rolls the flattened version back on its entropy, which is ln(vocab)', () => {
    const loss = summary.facts.loss as { first: number; last: number };
    expect(loss.last).toBeLessThan(loss.first);
    const { degradation } = summary.facts.rollback as {
      degradation: { metric: string; baseline: number; current: number; changePct: number };
    };
    expect(degradation.metric).toBe('output-entropy');
    // Every logit of the degraded version is 0: each next-token distribution is uniform over the byte vocabulary.
    expect(degradation.current).toBeCloseTo(Math.log(TINY_CONFIG.vocabSize), 3);
    expect(degradation.changePct).toBeGreaterThanOrEqual(15);
    expect(degradation.changePct).toBeCloseTo(
      ((degradation.current - degradation.baseline) / degradation.baseline) * 100,
      6,
    );
  });

  it('prints where the audit report is and redacts the prompt it logs', () => {
    expect(printed).toMatch(/\/reports\/models\/demo-assistant\/1\?format=html/);
    expect(printed).toMatch(/hash chains intact/);
    expect(printed).toContain('My email is [EMAIL] and my phone is [PHONE]');
  });
});
