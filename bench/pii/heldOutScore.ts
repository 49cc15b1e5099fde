/**
 * Scores recognisers on the held-out corpus (bench/pii/heldOutCorpus.ts): span-level recall and
 * precision by kind as test/support/piiMeasure.ts counts them, and beside them what a reader of
 * the redacted text cares about: whether each identifier was covered by spans of any kind (a
 * passport redacted as a licence leaks nothing), which written forms were missed, and which
 * look-alike categories were wrongly redacted.
 */
import type { PiiMatch } from '../../src/data/pii/index.js';
import { measure, type KindScore } from '../../test/support/piiMeasure.js';
import type { HeldOutRecord } from './heldOutCorpus.js';

export interface HeldOutScore {
  readonly byKind: Record<string, KindScore>;
  readonly overall: KindScore;
  /** Identifiers covered entirely by predicted spans of any kind, over all identifiers. */
  readonly coveredAnyKind: number;
  /** Misses (not covered by any kind) per written form. */
  readonly missedForms: Record<string, number>;
  /** Look-alikes a predicted span overlapped, per category, and the total per category. */
  readonly redactedLookAlikes: Record<string, { redacted: number; total: number }>;
  readonly examples: string[];
}

function covered(start: number, end: number, spans: readonly PiiMatch[]): boolean {
  let at = start;
  for (const p of [...spans].sort((a, b) => a.start - b.start)) if (p.start <= at && p.end > at) at = p.end;
  return at >= end;
}

export function scoreHeldOut(
  records: readonly HeldOutRecord[],
  recognise: (text: string) => readonly PiiMatch[],
): HeldOutScore {
  const typed = measure(records, recognise);
  const missedForms: Record<string, number> = {};
  const redactedLookAlikes: Record<string, { redacted: number; total: number }> = {};
  const examples: string[] = [];
  let gold = 0;
  let hit = 0;
  for (const record of records) {
    const predicted = recognise(record.text);
    for (const span of record.spans) {
      gold++;
      if (covered(span.start, span.end, predicted)) hit++;
      else {
        missedForms[`${span.kind}: ${span.form}`] = (missedForms[`${span.kind}: ${span.form}`] ?? 0) + 1;
        examples.push(
          `MISS ${span.kind} (${span.form}) ${JSON.stringify(span.text)} in ${JSON.stringify(record.text)}`,
        );
      }
    }
    for (const alike of record.lookAlikes) {
      const slot = (redactedLookAlikes[alike.category] ??= { redacted: 0, total: 0 });
      slot.total++;
      const by = predicted.find((p) => p.start < alike.end && p.end > alike.start);
      if (by) {
        slot.redacted++;
        examples.push(
          `KEEP? ${alike.category} ${JSON.stringify(alike.text)} taken as ${by.kind} ${JSON.stringify(record.text.slice(by.start, by.end))}`,
        );
      }
    }
  }
  for (const line of typed.misses) if (line.startsWith('FALSE')) examples.push(line);
  return {
    byKind: typed.byKind,
    overall: typed.overall,
    coveredAnyKind: gold === 0 ? 1 : hit / gold,
    missedForms,
    redactedLookAlikes,
    examples,
  };
}
