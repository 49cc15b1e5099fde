/**
 * How far labelers agree where two or more ranked the same prompt: Kendall's tau between their rankings,
 * the share of candidate pairs they order the same way minus the share they order oppositely (1: identical
 * rankings, -1: one is the other reversed, 0: no more agreement than chance).
 */

/** One labeler's ranking of a prompt's candidates, best first. */
export interface LabeledRanking {
  readonly labeler: string;
  readonly ranking: readonly string[];
}

export interface LabelerAgreement {
  /** Prompts ranked by at least two labelers: the only ones agreement is measured on. */
  readonly prompts: number;
  /** Mean over those prompts of the mean tau between each two of its rankings; null without such prompts. */
  readonly meanTau: number | null;
  /** Each labeler who shares a prompt with another: the mean tau of their rankings against the others'. */
  readonly byLabeler: ReadonlyMap<string, { readonly tau: number; readonly prompts: number }>;
}

/**
 * Kendall's tau-a of two rankings of the same items (each a permutation, best first). Items that only one of
 * them holds are ignored; fewer than two common items give null (no pair to compare).
 */
export function kendallTau(a: readonly string[], b: readonly string[]): number | null {
  const positionInB = new Map(b.map((item, index) => [item, index]));
  const common = a.filter((item) => positionInB.has(item));
  const n = common.length;
  if (n < 2) return null;
  let score = 0;
  for (let i = 0; i < n; i++) {
    const bi = positionInB.get(common[i]!)!;
    // In `a`, common[i] is ranked above every later item: concordant when `b` agrees.
    for (let j = i + 1; j < n; j++) score += bi < positionInB.get(common[j]!)! ? 1 : -1;
  }
  return score / ((n * (n - 1)) / 2);
}

/** Agreement over a set of prompts, each with the rankings its labelers gave (one per labeler). */
export function labelerAgreement(prompts: readonly (readonly LabeledRanking[])[]): LabelerAgreement {
  let measured = 0;
  let tauSum = 0;
  const perLabeler = new Map<string, { sum: number; prompts: number }>();
  for (const rankings of prompts) {
    if (rankings.length < 2) continue;
    const pairTaus: number[] = [];
    const labelerTaus = rankings.map(() => [] as number[]);
    for (let i = 0; i < rankings.length; i++) {
      for (let j = i + 1; j < rankings.length; j++) {
        const tau = kendallTau(rankings[i]!.ranking, rankings[j]!.ranking);
        if (tau === null) continue;
        pairTaus.push(tau);
        labelerTaus[i]!.push(tau);
        labelerTaus[j]!.push(tau);
      }
    }
    if (pairTaus.length === 0) continue;
    measured++;
    tauSum += mean(pairTaus);
    rankings.forEach(({ labeler }, index) => {
      if (labelerTaus[index]!.length === 0) return;
      const entry = perLabeler.get(labeler) ?? { sum: 0, prompts: 0 };
      entry.sum += mean(labelerTaus[index]!);
      entry.prompts++;
      perLabeler.set(labeler, entry);
    });
  }
  return {
    prompts: measured,
    meanTau: measured === 0 ? null : tauSum / measured,
    byLabeler: new Map(
      [...perLabeler].map(([labeler, { sum, prompts }]) => [labeler, { tau: sum / prompts, prompts }]),
    ),
  };
}

/** Labelers whose agreement with the others is below `minTau`; labelers who share no prompt are kept. */
export function labelersBelow(agreement: LabelerAgreement, minTau: number): ReadonlySet<string> {
  return new Set([...agreement.byLabeler].filter(([, { tau }]) => tau < minTau).map(([labeler]) => labeler));
}

const mean = (values: readonly number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
