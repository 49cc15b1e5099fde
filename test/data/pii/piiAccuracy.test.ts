import { describe, expect, it } from 'vitest';
import { PII_KINDS } from '../../../src/data/pii/index.js';
import { measure } from './piiMeasure.js';
import { generateLabelledRecords, GOLD_KINDS } from './syntheticPii.js';

describe('PII recognisers on a labelled synthetic corpus', () => {
  const records = generateLabelledRecords(1000, 20261128);

  it('generates at least 500 records covering every kind, mixed Chinese and English', () => {
    expect(records.length).toBeGreaterThanOrEqual(500);
    const kinds = new Set(records.flatMap((r) => r.spans.map((s) => s.kind)));
    expect([...kinds].sort()).toEqual([...GOLD_KINDS].sort());
    expect([...PII_KINDS].sort()).toEqual([...GOLD_KINDS].sort());
    expect(records.some((r) => /[\u4e00-\u9fa5]/.test(r.text))).toBe(true);
    expect(records.some((r) => !/[\u4e00-\u9fa5]/.test(r.text))).toBe(true);
    for (const r of records) for (const s of r.spans) expect(r.text.slice(s.start, s.end)).toBe(s.text);
  });

  it('reaches recall >= 0.99 and precision >= 0.97 overall and per kind', () => {
    const { byKind, overall, misses } = measure(records);
    const table = Object.entries(byKind)
      .map(
        ([k, s]) =>
          `${k.padEnd(16)} gold ${String(s.gold).padStart(4)}  P ${s.precision.toFixed(3)}  R ${s.recall.toFixed(3)}`,
      )
      .join('\n');
    console.log(
      `${table}\noverall          gold ${overall.gold}  P ${overall.precision.toFixed(4)}  R ${overall.recall.toFixed(4)}`,
    );
    if (misses.length > 0) console.log(misses.slice(0, 30).join('\n'));
    expect(overall.recall).toBeGreaterThanOrEqual(0.99);
    expect(overall.precision).toBeGreaterThanOrEqual(0.97);
    for (const s of Object.values(byKind)) {
      expect(s.recall).toBeGreaterThanOrEqual(0.95);
      expect(s.precision).toBeGreaterThanOrEqual(0.95);
    }
  });
});
