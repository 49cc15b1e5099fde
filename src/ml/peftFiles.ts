import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { LINEAR_MODULES, type LinearModule } from './linearModules.js';
import type { LoraOptions } from './loraOptions.js';
import { decodeSafetensors, encodeSafetensors, type HostTensor } from './safetensors.js';

/*
 * The files of a PEFT LoRA adapter directory: adapter_config.json and adapter_model.safetensors, the layout
 * PeftModel.from_pretrained reads and save_pretrained writes. The LoRA maths is in lora.ts.
 */

const peftConfigSchema = z
  .object({
    peft_type: z.string(),
    r: z.number().int().positive(),
    lora_alpha: z.number().positive(),
    lora_dropout: z.number().min(0).max(1).default(0),
    target_modules: z.union([z.array(z.string()), z.string()]),
    base_model_name_or_path: z.string().nullable().optional(),
    fan_in_fan_out: z.boolean().default(false),
    bias: z.string().default('none'),
    use_rslora: z.boolean().default(false),
    use_dora: z.boolean().default(false),
    lora_bias: z.boolean().default(false),
    rank_pattern: z.record(z.string(), z.unknown()).nullable().default({}),
    alpha_pattern: z.record(z.string(), z.unknown()).nullable().default({}),
    layers_to_transform: z.unknown().optional(),
  })
  .passthrough();

/** adapter_config.json as PEFT writes it for a LoRA on a causal LM. */
export function peftConfigJson(options: LoraOptions): Record<string, unknown> {
  return {
    peft_type: 'LORA',
    task_type: 'CAUSAL_LM',
    base_model_name_or_path: options.baseModelNameOrPath ?? null,
    r: options.r,
    lora_alpha: options.alpha,
    lora_dropout: options.dropout,
    target_modules: [...options.targetModules],
    bias: 'none',
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: true,
    layers_to_transform: null,
    layers_pattern: null,
    modules_to_save: null,
    revision: null,
  };
}

/** Writes adapter_config.json and the tensors (PEFT keys and layout, F32) as adapter_model.safetensors into dir. */
export function writePeftAdapter(dir: string, options: LoraOptions, tensors: Map<string, HostTensor>): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'adapter_config.json'), `${JSON.stringify(peftConfigJson(options), null, 2)}\n`);
  writeFileSync(
    join(dir, 'adapter_model.safetensors'),
    encodeSafetensors(tensors, { metadata: { format: 'pt' } }),
  );
}

/** What a PEFT adapter directory holds, checked: the LoRA options and its tensors by PEFT key. */
export interface PeftAdapterFiles {
  readonly options: LoraOptions;
  /** A tensor by PEFT key (also found under PEFT's `.default.weight` spelling). */
  readonly lookup: (key: string) => HostTensor | undefined;
  /** Where the tensors came from, for errors. */
  readonly weightsPath: string;
}

/** Reads and checks a PEFT LoRA adapter directory; throws, naming the file, on what this engine cannot load. */
export function readPeftAdapter(dir: string): PeftAdapterFiles {
  const configPath = join(dir, 'adapter_config.json');
  const weightsPath = join(dir, 'adapter_model.safetensors');
  if (!existsSync(configPath))
    throw new Error(`${dir}: adapter_config.json is missing; is this a PEFT adapter directory?`);
  if (!existsSync(weightsPath)) {
    throw new Error(
      `${dir}: adapter_model.safetensors is missing (adapter_model.bin pickles are not read; re-save with safe_serialization)`,
    );
  }
  const parsed = peftConfigSchema.safeParse(JSON.parse(readFileSync(configPath, 'utf8')));
  if (!parsed.success) {
    throw new Error(
      `${configPath}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  const peft = parsed.data;
  if (peft.peft_type !== 'LORA')
    throw new Error(`${configPath}: peft_type ${peft.peft_type} is not supported; only LORA`);
  if (peft.use_dora || peft.use_rslora || peft.fan_in_fan_out || peft.lora_bias || peft.bias !== 'none') {
    throw new Error(
      `${configPath}: use_dora, use_rslora, fan_in_fan_out, lora_bias and bias other than "none" are not supported`,
    );
  }
  if (Object.keys(peft.rank_pattern ?? {}).length > 0 || Object.keys(peft.alpha_pattern ?? {}).length > 0) {
    throw new Error(
      `${configPath}: per-module rank_pattern/alpha_pattern are not supported; use one r and lora_alpha`,
    );
  }
  if (peft.layers_to_transform !== undefined && peft.layers_to_transform !== null) {
    throw new Error(
      `${configPath}: layers_to_transform is not supported; the adapter must cover every layer`,
    );
  }
  const requested = typeof peft.target_modules === 'string' ? [peft.target_modules] : peft.target_modules;
  const unknown = requested.filter((m) => !(LINEAR_MODULES as readonly string[]).includes(m));
  if (unknown.length > 0) {
    throw new Error(
      `${configPath}: target_modules ${unknown.join(', ')} are not LLaMA projections (${LINEAR_MODULES.join(', ')})`,
    );
  }
  // Decoded on the first lookup: the caller checks the options first.
  let tensors: ReadonlyMap<string, HostTensor> | undefined;
  const lookup = (key: string) => {
    tensors ??= decodeSafetensors(readFileSync(weightsPath), weightsPath).tensors;
    return tensors.get(key) ?? tensors.get(key.replace(/\.weight$/, '.default.weight'));
  };
  const options: LoraOptions = {
    r: peft.r,
    alpha: peft.lora_alpha,
    dropout: peft.lora_dropout,
    targetModules: requested as LinearModule[],
    baseModelNameOrPath: peft.base_model_name_or_path ?? undefined,
  };
  return { options, lookup, weightsPath };
}
