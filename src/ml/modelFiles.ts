import type { PromptFormatName } from './prompts/index.js';

/** What a thread needs to load one model version: directories on this machine. */
export interface ModelFiles {
  /** A stable key for the loaded weights, e.g. `med-llama@3`. */
  readonly key: string;
  /** Hugging Face Llama directory (config.json, model.safetensors, tokenizer files). */
  readonly baseDir: string;
  /** PEFT adapter directory (adapter_config.json, adapter_model.safetensors), merged into the base at load. */
  readonly adapterDir?: string;
  /** How chat messages become a prompt (default alpaca). */
  readonly promptFormat?: PromptFormatName;
}
