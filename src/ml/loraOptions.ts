import { z } from 'zod';
import { LINEAR_MODULES, type LinearModule } from './linearModules.js';

/**
 * What a LoRA adapter is (its rank, scale, dropout and target modules): shared by the LoRA maths (lora.ts) and
 * the PEFT adapter files (peftFiles.ts).
 */
export interface LoraOptions {
  readonly r: number;
  readonly alpha: number;
  readonly dropout: number;
  readonly targetModules: readonly LinearModule[];
  /** Written to adapter_config.json so PEFT knows which base model the adapter belongs to. */
  readonly baseModelNameOrPath?: string;
}

/** The founding guide's LoRA (the same as the domain's default for a training request). */
export const DEFAULT_LORA: LoraOptions = {
  r: 16,
  alpha: 32,
  dropout: 0.05,
  targetModules: ['q_proj', 'v_proj'],
};

const moduleSchema = z.enum(LINEAR_MODULES as [LinearModule, ...LinearModule[]]);

export const loraOptionsSchema = z.object({
  r: z.number().int().positive(),
  alpha: z.number().positive(),
  dropout: z.number().min(0).max(1),
  targetModules: z.array(moduleSchema).min(1),
  baseModelNameOrPath: z.string().optional(),
});
