/**
 * Learning rate for optimizer update `step` (0-based): linear warm-up from 0, then cosine decay to
 * minLrRatio * peak at totalSteps, the shape of transformers' get_cosine_schedule_with_warmup.
 */
export function learningRateAt(
  step: number,
  peak: number,
  warmupSteps: number,
  totalSteps: number,
  minLrRatio = 0,
): number {
  if (step < warmupSteps) return (peak * step) / Math.max(1, warmupSteps);
  const progress = Math.min(1, (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps));
  return peak * (minLrRatio + (1 - minLrRatio) * 0.5 * (1 + Math.cos(Math.PI * progress)));
}
