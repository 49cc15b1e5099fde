import { z } from 'zod';

/**
 * Rotary-embedding frequency scaling of a Hugging Face LlamaConfig (`rope_scaling`, or `rope_parameters` in
 * transformers 5): `linear` (position interpolation) and `llama3` (Llama 3.1+ long context). Both change only
 * the inverse frequencies; their attention factor is 1.
 */
export type RopeScaling =
  | { readonly kind: 'linear'; readonly factor: number }
  | {
      readonly kind: 'llama3';
      readonly factor: number;
      readonly lowFreqFactor: number;
      readonly highFreqFactor: number;
      readonly originalMaxPositionEmbeddings: number;
    };

const positive = z.number().positive();
const linear = z.object({ factor: positive });
const llama3 = z
  .object({
    factor: positive,
    low_freq_factor: positive,
    high_freq_factor: positive,
    original_max_position_embeddings: z.number().int().positive(),
  })
  .refine((s) => s.high_freq_factor > s.low_freq_factor, {
    message: 'high_freq_factor must be greater than low_freq_factor',
  });

/**
 * The scaling a config asks for, or undefined for the default rotary embedding. `raw` is `rope_scaling` or
 * `rope_parameters`: an object whose `rope_type` (or legacy `type`) names the kind. Unsupported kinds
 * (dynamic, yarn, longrope, ...) and bad fields are errors that say what was found.
 */
export function parseRopeScaling(raw: unknown, where: string): RopeScaling | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new Error(`${where}: must be an object with rope_type, got ${JSON.stringify(raw)}`);
  }
  const fields = raw as Record<string, unknown>;
  const kind = fields['rope_type'] ?? fields['type'] ?? 'default';
  const check = <T>(schema: z.ZodType<T>): T => {
    const parsed = schema.safeParse(fields);
    if (!parsed.success) {
      const problems = parsed.error.issues.map(
        (issue) => `${issue.path.join('.') || kind}: ${issue.message}`,
      );
      throw new Error(`${where} (rope_type "${String(kind)}"): ${problems.join('; ')}`);
    }
    return parsed.data;
  };
  switch (kind) {
    case 'default':
      return undefined;
    case 'linear':
      return { kind: 'linear', factor: check(linear).factor };
    case 'llama3': {
      const s = check(llama3);
      return {
        kind: 'llama3',
        factor: s.factor,
        lowFreqFactor: s.low_freq_factor,
        highFreqFactor: s.high_freq_factor,
        originalMaxPositionEmbeddings: s.original_max_position_embeddings,
      };
    }
    default:
      throw new Error(
        `${where}: rope_type "${String(kind)}" is not supported; supported are default, linear and llama3`,
      );
  }
}

/** The rotary inverse frequencies [dim / 2] in float32, step for step as transformers computes them. */
export function inverseFrequencies(dim: number, theta: number, scaling?: RopeScaling): Float32Array {
  const f = Math.fround;
  const half = dim / 2;
  const inv = new Float32Array(half);
  // inv_freq = 1 / theta ** (arange(0, d, 2).float() / d)
  for (let i = 0; i < half; i++) inv[i] = f(1 / f(theta ** f((2 * i) / dim)));
  if (!scaling) return inv;
  if (scaling.kind === 'linear') {
    for (let i = 0; i < half; i++) inv[i] = f(inv[i]! / scaling.factor);
    return inv;
  }
  // _compute_llama3_parameters: long wavelengths divided by factor, short ones kept, the band between
  // interpolated smoothly.
  const {
    factor,
    lowFreqFactor: low,
    highFreqFactor: high,
    originalMaxPositionEmbeddings: context,
  } = scaling;
  const lowFreqWavelen = f(context / low);
  const highFreqWavelen = f(context / high);
  for (let i = 0; i < half; i++) {
    const wavelen = f((2 * Math.PI) / inv[i]!);
    const scaled = wavelen > lowFreqWavelen ? f(inv[i]! / factor) : inv[i]!;
    const medium = !(wavelen < highFreqWavelen) && !(wavelen > lowFreqWavelen);
    if (!medium) {
      inv[i] = scaled;
      continue;
    }
    const smooth = f(f(f(context / wavelen) - low) / (high - low));
    inv[i] = f(f(f(f(1 - smooth) * scaled) / factor) + f(smooth * scaled));
  }
  return inv;
}
