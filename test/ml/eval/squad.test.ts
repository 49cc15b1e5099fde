import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeSquadAnswer, scoreAnswer, squadExact, squadF1 } from '../../../src/ml/eval/index.js';

// Expected numbers are worked by hand with the official SQuAD v2.0 evaluate-v2.0.py algorithm
// (normalize_answer, Counter-intersection F1, max over non-empty golds, [''] when none) and were
// cross-checked by running that script's functions in Python.
describe('SQuAD v2.0 exact match and F1', () => {
  it('normalises case, punctuation, articles and white space', () => {
    // lower -> "the eiffel tower!" -> strip punc -> "the eiffel tower" -> articles -> " eiffel tower" -> "eiffel tower"
    expect(normalizeSquadAnswer('The  Eiffel\tTower!')).toBe('eiffel tower');
    // "U.S.A." -> "usa": punctuation inside words goes too
    expect(normalizeSquadAnswer('U.S.A.')).toBe('usa');
    // "the theatre": only the whole word "the" is an article
    expect(normalizeSquadAnswer('the theatre')).toBe('theatre');
    // Python's \b is Unicode-aware: in "éthe" there is no boundary between é and t, so "the" stays.
    expect(normalizeSquadAnswer('éthe')).toBe('éthe');
    // \u3000 (ideographic space) is white space for Python's str.split()
    expect(normalizeSquadAnswer('a\u3000b')).toBe('b');
  });

  it('scores exact matches after normalisation', () => {
    expect(scoreAnswer('eiffel tower!', ['The Eiffel Tower'])).toMatchObject({
      exactMatch: 1,
      f1: 1,
      lang: 'en',
    });
    expect(scoreAnswer('USA', ['U.S.A.'])).toMatchObject({ exactMatch: 1, f1: 1 });
    // "éthe" keeps its "the" (see above), so it is not "é": EM 0, and tokens ["éthe"] vs ["é"] share none: F1 0.
    expect(scoreAnswer('éthe', ['é'])).toMatchObject({ exactMatch: 0, f1: 0 });
  });

  it('computes F1 over token bags', () => {
    // gold [denver, broncos], pred [broncos]: same 1, P = 1/1, R = 1/2, F1 = 2*1*0.5/1.5 = 2/3
    const partial = scoreAnswer('the Broncos', ['Denver Broncos']);
    expect(partial.exactMatch).toBe(0);
    expect(partial.f1).toBeCloseTo(2 / 3, 12);
    // gold [x, y, y, z], pred [y, y, y]: bag intersection min(2, 3) = 2, P = 2/3, R = 2/4,
    // F1 = 2 * (2/3) * (1/2) / (2/3 + 1/2) = (2/3) / (7/6) = 4/7
    expect(squadF1('x y y z', 'y y y')).toBeCloseTo(4 / 7, 12);
  });

  it('takes the maximum over references', () => {
    // "Broncos" matches the second reference exactly.
    expect(scoreAnswer('the Broncos', ['Denver Broncos', 'Broncos'])).toMatchObject({ exactMatch: 1, f1: 1 });
  });

  it('applies the SQuAD 2.0 empty-answer rule', () => {
    // References that normalise to nothing are dropped; none left -> unanswerable (gold = "").
    expect(scoreAnswer('', ['', ' . '])).toMatchObject({ exactMatch: 1, f1: 1 });
    expect(scoreAnswer('Paris', ['', ' . '])).toMatchObject({ exactMatch: 0, f1: 0 });
    expect(scoreAnswer('the', [])).toMatchObject({ exactMatch: 1, f1: 1 }); // "the" normalises to nothing
    // An empty reference beside a real one is ignored, not treated as "no answer".
    expect(scoreAnswer('', ['Paris', ''])).toMatchObject({ exactMatch: 0, f1: 0 });
  });

  it('F1 is symmetric and 1 whenever exact match is 1', () => {
    const word = fc.constantFrom('a', 'the', 'cat', 'Cat', 'dog,', 'dog', 'an', 'x');
    const text = fc.array(word, { maxLength: 6 }).map((words) => words.join(' '));
    fc.assert(
      fc.property(text, text, (gold, prediction) => {
        expect(squadF1(gold, prediction)).toBeCloseTo(squadF1(prediction, gold), 12);
        const score = scoreAnswer(prediction, [gold], 'en');
        if (score.exactMatch === 1) expect(score.f1).toBe(1);
        // The one-pass scorer agrees with the line-by-line port of compute_exact / compute_f1.
        if (normalizeSquadAnswer(gold) !== '') {
          expect(score.exactMatch).toBe(squadExact(gold, prediction));
          expect(score.f1).toBeCloseTo(squadF1(gold, prediction), 12);
        }
      }),
      { numRuns: 200 },
    );
  });
});
