/**
 * Robustness report: the same records evaluated on clean and on noisy instructions; the drop is
 * clean minus noisy for each headline metric (positive = the noise hurt).
 */
import { NOISE_TYPES, noisyVariant, type NoiseType } from '../../data/noise/index.js';
import type { EvaluationMetrics } from './evaluate.js';
import { headlineMetrics, type GateMetric } from './gate.js';

export interface RobustnessEntry {
  readonly noise: NoiseType;
  readonly metrics: Record<GateMetric, number | null>;
  readonly drop: Record<GateMetric, number | null>;
}

export interface RobustnessReport {
  readonly clean: Record<GateMetric, number | null>;
  readonly perNoise: readonly RobustnessEntry[];
  /** The largest F1 drop over noise types (null when F1 was not measured). */
  readonly worstF1Drop: number | null;
}

export function robustnessReport(
  clean: EvaluationMetrics,
  noisy: Partial<Record<NoiseType, EvaluationMetrics>>,
): RobustnessReport {
  const cleanValues = headlineMetrics(clean);
  const perNoise: RobustnessEntry[] = [];
  let worstF1Drop: number | null = null;
  for (const [noise, metrics] of Object.entries(noisy) as [NoiseType, EvaluationMetrics | undefined][]) {
    if (!metrics) continue;
    const values = headlineMetrics(metrics);
    const drop = Object.fromEntries(
      (Object.keys(cleanValues) as GateMetric[]).map((key) => {
        const before = cleanValues[key];
        const after = values[key];
        return [key, before === null || after === null ? null : before - after];
      }),
    ) as Record<GateMetric, number | null>;
    if (drop.f1 !== null) worstF1Drop = worstF1Drop === null ? drop.f1 : Math.max(worstF1Drop, drop.f1);
    perNoise.push({ noise, metrics: values, drop });
  }
  return { clean: cleanValues, perNoise, worstF1Drop };
}

export interface NoisyInstruction {
  readonly id: string;
  readonly noise: NoiseType;
  readonly instruction: string;
}

/**
 * The noisy instructions to generate answers for, per noise type: seeded by record id and a run
 * seed, so a re-run of the same evaluation asks the same questions. Entities (the references
 * and `entities`) are protected from typos so the reference answer stays recoverable.
 */
export function noisyInstructions(
  records: readonly {
    readonly id: string;
    readonly instruction: string;
    readonly references: readonly string[];
  }[],
  options: {
    readonly seed: string | number;
    readonly types?: readonly NoiseType[];
    readonly entities?: readonly string[];
  },
): Record<NoiseType, NoisyInstruction[]> {
  const types = options.types ?? NOISE_TYPES;
  const out = Object.fromEntries(types.map((type) => [type, [] as NoisyInstruction[]])) as Record<
    NoiseType,
    NoisyInstruction[]
  >;
  for (const record of records) {
    const entities = [...record.references, ...(options.entities ?? [])];
    for (const type of types) {
      out[type].push({
        id: record.id,
        noise: type,
        instruction: noisyVariant(record.instruction, type, {
          seed: `${options.seed}:${record.id}`,
          entities,
        }),
      });
    }
  }
  return out;
}
