import type { LlamaConfig } from './config.js';

/** The projections of a LLaMA layer, by their Hugging Face (and PEFT target_modules) names. */
export const ATTENTION_MODULES = ['q_proj', 'k_proj', 'v_proj', 'o_proj'] as const;
export const MLP_MODULES = ['gate_proj', 'up_proj', 'down_proj'] as const;
export type LinearModule = (typeof ATTENTION_MODULES)[number] | (typeof MLP_MODULES)[number];
export const LINEAR_MODULES: readonly LinearModule[] = [...ATTENTION_MODULES, ...MLP_MODULES];

/** The Hugging Face name of a layer's projection weight, e.g. model.layers.0.self_attn.q_proj.weight. */
export function linearName(layer: number, module: LinearModule): string {
  const group = (ATTENTION_MODULES as readonly string[]).includes(module) ? 'self_attn' : 'mlp';
  return `model.layers.${layer}.${group}.${module}.weight`;
}

/** [out, in] of a projection in Hugging Face layout. */
export function linearShape(config: LlamaConfig, module: LinearModule): [number, number] {
  const { hiddenSize: h, intermediateSize: i, numHeads, numKvHeads, headDim } = config;
  switch (module) {
    case 'q_proj':
      return [numHeads * headDim, h];
    case 'k_proj':
    case 'v_proj':
      return [numKvHeads * headDim, h];
    case 'o_proj':
      return [h, numHeads * headDim];
    case 'gate_proj':
    case 'up_proj':
      return [i, h];
    case 'down_proj':
      return [h, i];
  }
}
