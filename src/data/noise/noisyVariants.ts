/**
 * Seeded noisy variants of an instruction for robustness evaluation and for the adversarial
 * stage of training: the same (instruction, seed) always gives the same variants.
 */
import { addDistractor } from './distractors.js';
import { injectPrompt } from './injection.js';
import { reorderSentences } from './reorder.js';
import { seededRandom } from './seededRandom.js';
import { addTypos } from './typos.js';

export const NOISE_TYPES = ['injection', 'typos', 'distractor', 'reorder'] as const;
export type NoiseType = (typeof NOISE_TYPES)[number];

export interface NoiseOptions {
  /** Any string or number; combined with the noise type so each type draws independently. */
  readonly seed: string | number;
  /** Entity terms that typos must not touch. */
  readonly entities?: readonly string[];
  readonly typoRate?: number;
  readonly distractors?: readonly string[];
}

export function noisyVariant(instruction: string, type: NoiseType, options: NoiseOptions): string {
  const random = seededRandom(`${type}\u0000${options.seed}`);
  switch (type) {
    case 'injection':
      return injectPrompt(instruction, random);
    case 'typos':
      return addTypos(instruction, random, { rate: options.typoRate, protectedTerms: options.entities });
    case 'distractor':
      return addDistractor(instruction, random, options.distractors);
    case 'reorder':
      return reorderSentences(instruction, random);
    default: {
      const unreachable: never = type;
      throw new Error(`unknown noise type ${String(unreachable)}; use one of ${NOISE_TYPES.join(', ')}`);
    }
  }
}

export interface NoisyVariant {
  readonly type: NoiseType;
  readonly instruction: string;
}

export function noisyVariants(
  instruction: string,
  options: NoiseOptions & { readonly types?: readonly NoiseType[] },
): NoisyVariant[] {
  return (options.types ?? NOISE_TYPES).map((type) => ({
    type,
    instruction: noisyVariant(instruction, type, options),
  }));
}
