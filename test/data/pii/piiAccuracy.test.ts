import { describe, expect, it } from 'vitest';
import { PII_KINDS, redactText, type PiiCounts } from '../../../src/data/pii/index.js';
import { measure } from '../../support/piiMeasure.js';
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

  it('holds the goal on corpora from other seeds too', () => {
    for (const seed of [1, 2, 3]) {
      const { overall } = measure(generateLabelledRecords(500, seed));
      expect(overall.recall).toBeGreaterThanOrEqual(0.99);
      expect(overall.precision).toBeGreaterThanOrEqual(0.97);
    }
  });

  it('redacts with typed placeholders and leaves near-misses alone', () => {
    const counts: PiiCounts = {};
    const text =
      '订单号：2024031512345678,日期 2024-03-15,版本 v2.10.3,卡号 4111 1111 1111 1111,身份证11010119900307123X 无效,' +
      'mail li.na@example.com, IBAN DE89 3704 0044 0532 0130 00, 护照号码：E12345678';
    expect(redactText(text, counts)).toBe(
      '订单号：2024031512345678,日期 2024-03-15,版本 v2.10.3,卡号 [BANK_CARD],身份证11010119900307123X 无效,' +
        'mail [EMAIL], IBAN [IBAN], 护照号码：[PASSPORT]',
    );
    expect(counts).toEqual({ bank_card: 1, email: 1, iban: 1, passport: 1 });
  });
});
