import { z } from 'zod';
import { parseRopeScaling, type RopeScaling } from './ropeScaling.js';

/**
 * The fields of a Hugging Face LlamaConfig (config.json of a LlamaForCausalLM) that this engine uses.
 * Unknown fields are kept so a saved config.json round-trips what it was loaded with.
 */
export const llamaConfigSchema = z
  .object({
    architectures: z.array(z.string()).optional(),
    model_type: z.string().optional(),
    vocab_size: z.number().int().positive(),
    hidden_size: z.number().int().positive(),
    intermediate_size: z.number().int().positive(),
    num_hidden_layers: z.number().int().positive(),
    num_attention_heads: z.number().int().positive(),
    num_key_value_heads: z.number().int().positive().optional(),
    head_dim: z.number().int().positive().optional(),
    rms_norm_eps: z.number().positive().default(1e-6),
    rope_theta: z.number().positive().optional(),
    rope_scaling: z.unknown().optional(),
    // transformers 5 writes rope_theta inside rope_parameters.
    rope_parameters: z
      .object({ rope_theta: z.number().positive().optional(), rope_type: z.string().optional() })
      .passthrough()
      .nullable()
      .optional(),
    max_position_embeddings: z.number().int().positive().default(2048),
    tie_word_embeddings: z.boolean().default(false),
    bos_token_id: z.number().int().nullable().optional(),
    eos_token_id: z
      .union([z.number().int(), z.array(z.number().int())])
      .nullable()
      .optional(),
    pad_token_id: z.number().int().nullable().optional(),
    hidden_act: z.string().default('silu'),
    attention_bias: z.boolean().default(false),
    mlp_bias: z.boolean().default(false),
    torch_dtype: z.string().optional(),
  })
  .passthrough();

export type LlamaConfigJson = z.infer<typeof llamaConfigSchema>;

/** The resolved configuration the model computes with. */
export interface LlamaConfig {
  readonly vocabSize: number;
  readonly hiddenSize: number;
  readonly intermediateSize: number;
  readonly numLayers: number;
  readonly numHeads: number;
  readonly numKvHeads: number;
  readonly headDim: number;
  readonly rmsNormEps: number;
  readonly ropeTheta: number;
  /** Frequency scaling from rope_scaling / rope_parameters (Llama 3.1+ use llama3); absent: none. */
  readonly ropeScaling?: RopeScaling;
  readonly maxPositionEmbeddings: number;
  readonly tieWordEmbeddings: boolean;
  readonly bosTokenId: number | null;
  readonly eosTokenIds: readonly number[];
  /** The config.json as read (or as it will be written). */
  readonly json: LlamaConfigJson;
}

/** Parses and checks a config.json object; `where` names the file in error messages. */
export function parseLlamaConfig(raw: unknown, where = 'config.json'): LlamaConfig {
  const parsed = llamaConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(`${where} is not a usable LlamaConfig: ${issues}`);
  }
  const json = parsed.data;
  const arch = json.architectures?.[0];
  if ((arch && arch !== 'LlamaForCausalLM') || (json.model_type && json.model_type !== 'llama')) {
    throw new Error(
      `${where}: unsupported architecture ${arch ?? json.model_type} (model_type ${json.model_type ?? 'unset'}); ` +
        'only LlamaForCausalLM (model_type "llama") checkpoints can be loaded',
    );
  }
  if (json.hidden_act !== 'silu') {
    throw new Error(`${where}: hidden_act "${json.hidden_act}" is not supported; LLaMA uses "silu"`);
  }
  if (json.attention_bias || json.mlp_bias) {
    throw new Error(`${where}: attention_bias/mlp_bias are not supported; LLaMA projections have no bias`);
  }
  const ropeScaling =
    json.rope_scaling !== undefined && json.rope_scaling !== null
      ? parseRopeScaling(json.rope_scaling, `${where}: rope_scaling`)
      : parseRopeScaling(json.rope_parameters, `${where}: rope_parameters`);
  const ropeTheta = json.rope_parameters?.rope_theta ?? json.rope_theta ?? 10000;
  const numKvHeads = json.num_key_value_heads ?? json.num_attention_heads;
  if (json.num_attention_heads % numKvHeads !== 0) {
    throw new Error(
      `${where}: num_attention_heads (${json.num_attention_heads}) must be a multiple of num_key_value_heads (${numKvHeads})`,
    );
  }
  const headDim = json.head_dim ?? json.hidden_size / json.num_attention_heads;
  if (!Number.isInteger(headDim) || headDim % 2 !== 0) {
    throw new Error(
      `${where}: head dimension ${headDim} must be an even integer (hidden_size / num_attention_heads)`,
    );
  }
  const eos = json.eos_token_id;
  return {
    vocabSize: json.vocab_size,
    hiddenSize: json.hidden_size,
    intermediateSize: json.intermediate_size,
    numLayers: json.num_hidden_layers,
    numHeads: json.num_attention_heads,
    numKvHeads,
    headDim,
    rmsNormEps: json.rms_norm_eps,
    ropeTheta,
    ...(ropeScaling ? { ropeScaling } : {}),
    maxPositionEmbeddings: json.max_position_embeddings,
    tieWordEmbeddings: json.tie_word_embeddings,
    bosTokenId: json.bos_token_id ?? null,
    eosTokenIds: eos === undefined || eos === null ? [] : Array.isArray(eos) ? eos : [eos],
    json,
  };
}

export interface LlamaConfigInit {
  vocabSize: number;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads?: number;
  rmsNormEps?: number;
  ropeTheta?: number;
  maxPositionEmbeddings?: number;
  tieWordEmbeddings?: boolean;
  bosTokenId?: number;
  eosTokenId?: number;
}

/** Builds a config.json for a new model in the Hugging Face layout (what `model init` writes). */
export function makeLlamaConfig(init: LlamaConfigInit): LlamaConfig {
  return parseLlamaConfig({
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    vocab_size: init.vocabSize,
    hidden_size: init.hiddenSize,
    intermediate_size: init.intermediateSize,
    num_hidden_layers: init.numLayers,
    num_attention_heads: init.numHeads,
    num_key_value_heads: init.numKvHeads ?? init.numHeads,
    rms_norm_eps: init.rmsNormEps ?? 1e-6,
    rope_theta: init.ropeTheta ?? 10000,
    max_position_embeddings: init.maxPositionEmbeddings ?? 512,
    tie_word_embeddings: init.tieWordEmbeddings ?? false,
    bos_token_id: init.bosTokenId ?? 1,
    eos_token_id: init.eosTokenId ?? 2,
    hidden_act: 'silu',
    attention_bias: false,
    mlp_bias: false,
    initializer_range: 0.02,
    torch_dtype: 'float32',
    transformers_version: '4.40.0',
    use_cache: true,
  });
}
