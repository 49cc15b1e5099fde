import { describe, expect, it } from 'vitest';
import { generateHeldOutCorpus } from '../../../bench/pii/heldOutCorpus.js';
import { scoreHeldOut } from '../../../bench/pii/heldOutScore.js';
import { findPii } from '../../../src/data/pii/index.js';

// Apart from the unit tests of piiWrittenForms.test.ts: scoring 2,000 records when the file loads makes every
// mutant of the recognisers "static" for Stryker, and mutation runs use the unit tests only (docs/mutation.md).
describe('the held-out corpus (bench/pii/heldOutCorpus.ts)', () => {
  const corpus = generateHeldOutCorpus(2000);
  const score = scoreHeldOut(corpus, findPii);

  it('has every kind and labels its spans and look-alikes where they stand', () => {
    expect(new Set(corpus.flatMap((r) => r.spans.map((s) => s.kind))).size).toBe(11);
    for (const record of corpus) {
      for (const s of record.spans) expect(record.text.slice(s.start, s.end)).toBe(s.text);
      for (const l of record.lookAlikes) expect(record.text.slice(l.start, l.end)).toBe(l.text);
    }
    expect(corpus.reduce((n, r) => n + r.lookAlikes.length, 0)).toBeGreaterThan(1500);
  });

  it('is redacted: identifiers covered (any kind) >= 0.98, precision >= 0.98', () => {
    expect(score.coveredAnyKind).toBeGreaterThanOrEqual(0.98);
    expect(score.overall.precision).toBeGreaterThanOrEqual(0.98);
  });
});
