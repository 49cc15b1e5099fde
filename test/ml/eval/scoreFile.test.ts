import { describe, expect, it } from 'vitest';
import { scoreJsonl } from '../../../src/ml/eval/index.js';

describe('scoring a JSONL file', () => {
  it('scores each line and the whole file', () => {
    const text = [
      JSON.stringify({ id: 'a', prediction: 'the Broncos', references: ['Denver Broncos'] }),
      '',
      JSON.stringify({ prediction: '北京大学。', references: ['北京大学'], lang: 'zh' }),
    ].join('\n');
    const result = scoreJsonl(text, 'preds.jsonl');
    expect(result.records.map((record) => [record.line, record.exactMatch, record.lang])).toEqual([
      [1, 0, 'en'],
      [3, 1, 'zh'],
    ]);
    // overall F1 = (2/3 + 1) / 2 = 5/6; EM = 1/2
    expect(result.overall.count).toBe(2);
    expect(result.overall.exactMatch).toBe(0.5);
    expect(result.overall.f1).toBeCloseTo(5 / 6, 12);
  });

  it('names the file and line of a bad record and says what is expected', () => {
    expect(() => scoreJsonl('{"prediction": "x", "references": []}\n{"prediction": 1}', 'p.jsonl')).toThrow(
      /p\.jsonl:2: .*prediction.*expected \{"prediction": string/,
    );
    expect(() => scoreJsonl('not json', 'p.jsonl')).toThrow(/p\.jsonl:1: not valid JSON/);
  });
});
