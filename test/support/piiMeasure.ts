import { findPii, type PiiMatch } from '../../src/data/pii/index.js';

/** A text and the identifier spans it holds, as a labelled corpus gives them. */
export interface MeasuredRecord {
  readonly text: string;
  readonly spans: readonly {
    readonly kind: string;
    readonly start: number;
    readonly end: number;
    readonly text: string;
  }[];
}

export interface KindScore {
  gold: number;
  found: number;
  truePositives: number;
  falsePositives: number;
  precision: number;
  recall: number;
}

/**
 * A gold span counts as recalled when spans of its kind cover it entirely (nothing of it would
 * leak); a predicted span is a false positive when it overlaps no gold span of its kind.
 */
export function measure(
  records: readonly MeasuredRecord[],
  recognise: (text: string) => readonly PiiMatch[] = findPii,
): {
  byKind: Record<string, KindScore>;
  overall: KindScore;
  misses: string[];
} {
  const byKind: Record<string, KindScore> = {};
  const misses: string[] = [];
  const slot = (kind: string) =>
    (byKind[kind] ??= { gold: 0, found: 0, truePositives: 0, falsePositives: 0, precision: 1, recall: 1 });
  for (const record of records) {
    const predicted = recognise(record.text);
    for (const gold of record.spans) {
      const s = slot(gold.kind);
      s.gold++;
      const covering = predicted.filter(
        (p) => p.kind === gold.kind && p.start < gold.end && p.end > gold.start,
      );
      let at = gold.start;
      for (const p of covering.sort((a, b) => a.start - b.start)) if (p.start <= at) at = Math.max(at, p.end);
      if (at >= gold.end) s.truePositives++;
      else misses.push(`MISS ${gold.kind} "${gold.text}" in: ${record.text}`);
    }
    for (const p of predicted) {
      const s = slot(p.kind);
      s.found++;
      const hit = record.spans.some((g) => g.kind === p.kind && p.start < g.end && p.end > g.start);
      if (!hit) {
        s.falsePositives++;
        misses.push(`FALSE ${p.kind} "${record.text.slice(p.start, p.end)}" in: ${record.text}`);
      }
    }
  }
  const overall = { gold: 0, found: 0, truePositives: 0, falsePositives: 0, precision: 1, recall: 1 };
  for (const s of Object.values(byKind)) {
    s.recall = s.gold === 0 ? 1 : s.truePositives / s.gold;
    s.precision = s.found === 0 ? 1 : (s.found - s.falsePositives) / s.found;
    overall.gold += s.gold;
    overall.found += s.found;
    overall.truePositives += s.truePositives;
    overall.falsePositives += s.falsePositives;
  }
  overall.recall = overall.gold === 0 ? 1 : overall.truePositives / overall.gold;
  overall.precision = overall.found === 0 ? 1 : (overall.found - overall.falsePositives) / overall.found;
  return { byKind, overall, misses };
}
