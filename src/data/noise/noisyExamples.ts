/**
 * Noisy copies of training examples for the adversarial stage: the instruction gets noise, the
 * target answer stays the same, so the model learns to ignore injections, typos, distractors and
 * constraint order. Deterministic for a seed; the originals are kept in front.
 */
import { NOISE_TYPES, noisyVariant, type NoiseType } from './noisyVariants.js';
import { seededRandom, pick } from './seededRandom.js';

export interface NoisyExampleOptions<T> {
  readonly seed: string | number;
  /** Share of examples that get one noisy copy (default 0.3). */
  readonly share?: number;
  readonly types?: readonly NoiseType[];
  /** Terms of an example that typos must not touch (e.g. its answer's entities). */
  readonly entitiesOf?: (example: T) => readonly string[];
}

export function withNoisyCopies<T extends { readonly instruction: string }>(
  examples: readonly T[],
  options: NoisyExampleOptions<T>,
): (T & { readonly noise?: NoiseType })[] {
  const share = options.share ?? 0.3;
  if (!(share >= 0 && share <= 1)) throw new Error(`noise share must be between 0 and 1; got ${share}`);
  const types = options.types ?? NOISE_TYPES;
  if (types.length === 0) throw new Error('noise types must not be empty');
  const random = seededRandom(`copies\u0000${options.seed}`);
  const copies: (T & { noise: NoiseType })[] = [];
  examples.forEach((example, index) => {
    if (random() >= share) return;
    const type = pick(random, types);
    const instruction = noisyVariant(example.instruction, type, {
      seed: `${options.seed}:${index}`,
      entities: options.entitiesOf?.(example),
    });
    if (instruction !== example.instruction) copies.push({ ...example, instruction, noise: type });
  });
  return [...examples, ...copies];
}
