import type { GateFailure, GateThreshold } from './evaluation.events.js';

/**
 * Checks metrics against gate thresholds. A metric the evaluation did not produce fails its line
 * (actual null): a gate that cannot be checked must not pass silently.
 */
export function evaluateGate(
  thresholds: readonly GateThreshold[],
  metrics: Readonly<Record<string, number>>,
): { passed: boolean; failures: GateFailure[] } {
  const failures: GateFailure[] = [];
  for (const threshold of thresholds) {
    const actual = metrics[threshold.metric];
    const ok =
      actual !== undefined &&
      Number.isFinite(actual) &&
      (threshold.op === 'gte' ? actual >= threshold.value : actual <= threshold.value);
    if (!ok) failures.push({ ...threshold, actual: actual ?? null });
  }
  return { passed: failures.length === 0, failures };
}
