import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cmrcExact,
  cmrcF1,
  cmrcRemovePunctuation,
  cmrcSegments,
  longestCommonSubstringLength,
  scoreAnswer,
  treebankTokenize,
} from '../../../src/ml/eval/index.js';

// Expected numbers are worked by hand with the official cmrc2018_evaluate.py algorithm
// (mixed_segmentation with rm_punc, longest common substring F1, remove_punctuation EM) and were
// cross-checked by running that script's functions in Python.
describe('CMRC 2018 exact match and F1', () => {
  it('segments each CJK character and tokenizes the Latin runs', () => {
    // "iPhone 6手机" -> lower -> "iphone 6" | 手 | 机 -> word_tokenize("iphone 6") = [iphone, 6]
    expect(cmrcSegments('iPhone 6手机', true)).toEqual(['iphone', '6', '手', '机']);
    // Chinese punctuation is its own segment, or dropped with rm_punc
    expect(cmrcSegments('北京，上海', false)).toEqual(['北', '京', '，', '上', '海']);
    expect(cmrcSegments('北京，上海', true)).toEqual(['北', '京', '上', '海']);
  });

  it('tokenizes Latin text like NLTK word_tokenize', () => {
    // Outputs of nltk.tokenize.NLTKWordTokenizer().tokenize (NLTK 3.10.3) for the same strings.
    expect(treebankTokenize('beijing.')).toEqual(['beijing', '.']);
    expect(treebankTokenize("don't stop, it's 2.5 u.s.a. (ok)")).toEqual([
      'do',
      "n't",
      'stop',
      ',',
      'it',
      "'s",
      '2.5',
      'u.s.a.',
      '(',
      'ok',
      ')',
    ]);
    expect(treebankTokenize('"hello" world?')).toEqual(['``', 'hello', "''", 'world', '?']);
    const nltk: [string, string[]][] = [
      [
        'Good muffins cost $3.88 (roughly 3,36 euros)',
        ['Good', 'muffins', 'cost', '$', '3.88', '(', 'roughly', '3,36', 'euros', ')'],
      ],
      ["'quoted' text: a... b -- c", ["'", 'quoted', "'", 'text', ':', 'a', '...', 'b', '--', 'c']],
      ["gonna wanna go, can't I?", ['gon', 'na', 'wan', 'na', 'go', ',', 'ca', "n't", 'I', '?']],
      ["'tis the O'Neil's *star*", ["'", 'tis', 'the', "O'Neil", "'s", '*', 'star', '*']],
    ];
    nltk.push(
      ['iPhone 6 Plus', ['iPhone', '6', 'Plus']],
      ['Cannot GONNA x', ['Can', 'not', 'GON', 'NA', 'x']],
      ['naïve café 3d', ['naïve', 'café', '3d']],
    );
    for (const [text, tokens] of nltk) expect(treebankTokenize(text)).toEqual(tokens);
    expect(treebankTokenize('a,b 1,000 cannot')).toEqual(['a', ',', 'b', '1,000', 'can', 'not']);
  });

  it('scores exact match after removing Chinese punctuation', () => {
    // "北京大学。" -> remove 。 -> "北京大学"
    expect(scoreAnswer('北京大学。', ['北京大学'])).toMatchObject({ exactMatch: 1, f1: 1, lang: 'zh' });
    // “ and ” are in the official list; max over references picks 鲁迅
    expect(scoreAnswer('“鲁迅”', ['鲁迅', '周树人'])).toMatchObject({ exactMatch: 1, f1: 1 });
    // The space is not punctuation for CMRC: "iphone 6手机" != "iphone6手机"
    expect(scoreAnswer('iphone6手机', ['iPhone 6手机']).exactMatch).toBe(0);
  });

  it('computes F1 from the longest common substring, not a bag of tokens', () => {
    // [在,北,京] vs [北,京,大,学]: LCS "北京" = 2, P = 2/3, R = 2/4, F1 = 4/7
    expect(scoreAnswer('在北京', ['北京大学']).f1).toBeCloseTo(4 / 7, 12);
    // Same characters, other order: a bag would give 1; LCS is 2 ("北京"), P = R = 1/2, F1 = 1/2
    expect(scoreAnswer('北京大学', ['大学北京']).f1).toBeCloseTo(0.5, 12);
    // [iphone6, 手, 机] vs [iphone, 6, 手, 机]: LCS [手, 机] = 2, P = 2/3, R = 2/4, F1 = 4/7
    expect(scoreAnswer('iphone6手机', ['iPhone 6手机']).f1).toBeCloseTo(4 / 7, 12);
    // [作,者,是,周,树,人] vs [周,树,人]: LCS 3, P = 3/6, R = 3/3, F1 = 2/3 (best of the two references)
    expect(scoreAnswer('作者是周树人', ['鲁迅', '周树人']).f1).toBeCloseTo(2 / 3, 12);
  });

  it('keeps ASCII punctuation as tokens in Chinese mode, as the official script does', () => {
    // "." is not in the CMRC list: EM 0; segments [beijing, .] vs [beijing]: LCS 1, P = 1, R = 1/2, F1 = 2/3
    const score = scoreAnswer('Beijing', ['Beijing.'], 'zh');
    expect(score.exactMatch).toBe(0);
    expect(score.f1).toBeCloseTo(2 / 3, 12);
    // The same pair under SQuAD rules (English auto-detected) strips the period.
    expect(scoreAnswer('Beijing', ['Beijing.'])).toMatchObject({ exactMatch: 1, f1: 1, lang: 'en' });
  });

  it('detects the language from the references, falling back to the prediction', () => {
    expect(scoreAnswer('Beijing', ['北京']).lang).toBe('zh');
    expect(scoreAnswer('北京', ['Beijing']).lang).toBe('en');
    expect(scoreAnswer('北京', ['']).lang).toBe('zh');
    // zh empty rule: unanswerable (reference only punctuation) and a non-empty prediction
    expect(scoreAnswer('北京', ['。'], 'zh')).toMatchObject({ exactMatch: 0, f1: 0 });
  });

  it('finds the longest common substring length', () => {
    expect(longestCommonSubstringLength(['a', 'b', 'c', 'd'], ['x', 'b', 'c', 'y'])).toBe(2);
    expect(longestCommonSubstringLength([], ['a'])).toBe(0);
  });

  it('scores an answer that is only spaces once punctuation is gone as the official script does: EM 1, F1 0', () => {
    // Found by the property below: both sides strip to ' ', which the script calls equal but segments to nothing.
    expect(cmrcExact('， 。', '。 “')).toBe(1);
    expect(cmrcF1('， 。', '。 “')).toBe(0);
    expect(scoreAnswer('。 “', ['， 。'], 'zh')).toEqual({ exactMatch: 1, f1: 0, lang: 'zh' });
    expect(scoreAnswer('。 “', ['， 。', '北京'], 'zh')).toEqual({ exactMatch: 1, f1: 0, lang: 'zh' });
  });

  it('F1 lies in [0, 1] and is 1 whenever exact match is 1 and a segment is left (checked against the pairwise functions)', () => {
    const piece = fc.constantFrom('北', '京', '大学', '，', '。', ' ', 'iPhone', '6', '-', '“', 'a.', "n't");
    const text = fc.array(piece, { maxLength: 6 }).map((pieces) => pieces.join(''));
    fc.assert(
      fc.property(text, fc.array(text, { minLength: 1, maxLength: 3 }), (prediction, references) => {
        const score = scoreAnswer(prediction, references, 'zh');
        expect(score.f1).toBeGreaterThanOrEqual(0);
        expect(score.f1).toBeLessThanOrEqual(1);
        // Equal up to punctuation, F1 is 1 too, unless only spaces are left (no segment: F1 0, as the script).
        if (score.exactMatch === 1 && cmrcSegments(prediction, true).length > 0) expect(score.f1).toBe(1);
        const golds = references.filter((reference) => cmrcRemovePunctuation(reference) !== '');
        if (golds.length > 0) {
          expect(score.exactMatch).toBe(Math.max(...golds.map((gold) => cmrcExact(gold, prediction))));
          expect(score.f1).toBeCloseTo(Math.max(...golds.map((gold) => cmrcF1(gold, prediction))), 12);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('CMRC 2018 punctuation and the longest common substring', () => {
  // cmrc2018_evaluate.py's list, written out from the script. Its '……' entry is two characters, and the script
  // compares one character at a time, so it never removes anything: a lone '…' stays.
  const official = '-:_*^/\\~`+=，。：？！“”；’《》·、「」（）－～『』'.split('');

  it('removes each mark of the official list for exact match, and lower-cases what is left', () => {
    for (const mark of official) {
      expect(cmrcRemovePunctuation(`北${mark}京`)).toBe('北京');
      expect(cmrcExact('北京', `${mark}北京${mark}`)).toBe(1);
    }
    expect(cmrcRemovePunctuation('AbC，Ü')).toBe('abcü');
    expect(cmrcRemovePunctuation('北…京')).toBe('北…京');
    expect(cmrcRemovePunctuation('。')).toBe('');
  });

  it('keeps each mark as a segment of its own when punctuation is not removed', () => {
    for (const mark of official) {
      expect(cmrcSegments(`北京${mark}大学`, false)).toEqual(['北', '京', mark, '大', '学']);
      expect(cmrcSegments(`北京${mark}大学`, true)).toEqual(['北', '京', '大', '学']);
    }
  });

  it('finds a common run that starts at the first token of the second list, past the first row', () => {
    expect(longestCommonSubstringLength(['x', 'y'], ['y'])).toBe(1);
    expect(longestCommonSubstringLength(['x', 'y', 'z'], ['y', 'z'])).toBe(2);
  });

  it('splits text that is only punctuation and digits by the rules, not by white space', () => {
    expect(treebankTokenize('?!')).toEqual(['?', '!']);
    expect(treebankTokenize('(1)')).toEqual(['(', '1', ')']);
  });
});
