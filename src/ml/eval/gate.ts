/**
 * Gate thresholds: minimums on headline metrics. A gate on a metric the evaluation could not
 * measure (e.g. instruction following with no constraints in the data set) fails, so that a
 * misconfigured suite cannot pass by accident.
 */
import { z } from 'zod';
import type { EvaluationMetrics } from './evaluate.js';

export const GATE_METRICS = [
  'exactMatch',
  'f1',
  'ifStrictPrompt',
  'ifStrictInstruction',
  'ifLoosePrompt',
  'ifLooseInstruction',
  'correctRate',
] as const;

export type GateMetric = (typeof GATE_METRICS)[number];

export const gateThresholdsSchema = z
  .object(
    Object.fromEntries(GATE_METRICS.map((metric) => [metric, z.number().min(0).max(1).optional()])) as Record<
      GateMetric,
      z.ZodOptional<z.ZodNumber>
    >,
  )
  .strict();

export type GateThresholds = Partial<Record<GateMetric, number>>;

export interface GateFailure {
  readonly metric: GateMetric;
  /** null when the metric could not be measured on this data set. */
  readonly value: number | null;
  readonly threshold: number;
}

export interface GateVerdict {
  readonly passed: boolean;
  readonly failures: readonly GateFailure[];
}

export function headlineMetrics(metrics: EvaluationMetrics): Record<GateMetric, number | null> {
  const hasQa = metrics.records.some((record) => record.exactMatch !== null);
  const hasIf = metrics.instructionFollowing.prompts > 0;
  const ifeval = metrics.instructionFollowing;
  const scored = metrics.count - metrics.errorTaxonomy.unscored;
  return {
    exactMatch: hasQa ? metrics.exactMatch : null,
    f1: hasQa ? metrics.f1 : null,
    ifStrictPrompt: hasIf ? ifeval.strict.promptLevel : null,
    ifStrictInstruction: hasIf ? ifeval.strict.instructionLevel : null,
    ifLoosePrompt: hasIf ? ifeval.loose.promptLevel : null,
    ifLooseInstruction: hasIf ? ifeval.loose.instructionLevel : null,
    correctRate: scored === 0 ? null : metrics.errorTaxonomy.correct / scored,
  };
}

export function gateVerdict(metrics: EvaluationMetrics, thresholds: GateThresholds): GateVerdict {
  const checked = gateThresholdsSchema.parse(thresholds);
  const values = headlineMetrics(metrics);
  const failures: GateFailure[] = [];
  for (const metric of GATE_METRICS) {
    const threshold = checked[metric];
    if (threshold === undefined) continue;
    const value = values[metric];
    if (value === null || value < threshold) failures.push({ metric, value, threshold });
  }
  return { passed: failures.length === 0, failures };
}
