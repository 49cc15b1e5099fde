import type { LlamaConfig } from '../config.js';
import { LINEAR_MODULES, linearShape, type LinearModule } from '../linearModules.js';

/** The shape of a model, as much of LlamaConfig as memory depends on. */
export type ModelShape = Pick<
  LlamaConfig,
  | 'vocabSize'
  | 'hiddenSize'
  | 'intermediateSize'
  | 'numLayers'
  | 'numHeads'
  | 'numKvHeads'
  | 'headDim'
  | 'tieWordEmbeddings'
>;

/** The methods memory can be estimated for: every weight trained, or LoRA adapters only. */
export const memoryEstimateMethods = ['full', 'lora'] as const;
export type MemoryEstimateMethod = (typeof memoryEstimateMethods)[number];

export type TrainingMethodShape =
  | { readonly kind: Extract<MemoryEstimateMethod, 'full'> }
  | {
      readonly kind: Extract<MemoryEstimateMethod, 'lora'>;
      readonly r: number;
      readonly targetModules: readonly LinearModule[];
    };

export interface MemoryEstimateInput {
  readonly model: ModelShape;
  readonly method: TrainingMethodShape;
  /** Sequences per forward pass (the micro-batch; gradient accumulation reaches bigger batches). */
  readonly batchSize: number;
  readonly sequenceLength: number;
  /** Bytes per stored weight: 4 (fp32, this engine), 2 (fp16/bf16), 1 (8-bit), 0.5 (4-bit). */
  readonly weightBytes?: number;
  /** Bytes per activation element (4 here; 2 in mixed precision). */
  readonly activationBytes?: number;
  /** Recompute activations in the backward pass, keeping only each layer's input. */
  readonly gradientCheckpointing?: boolean;
  /** Device memory to compare with, in bytes. */
  readonly deviceBytes?: number;
}

export interface MemoryEstimate {
  readonly parameters: number;
  readonly trainableParameters: number;
  readonly weightsBytes: number;
  readonly gradientsBytes: number;
  /** AdamW: two fp32 moments per trainable parameter (and an fp32 master copy when weights are narrower). */
  readonly optimizerBytes: number;
  readonly activationsBytes: number;
  readonly totalBytes: number;
  /** Present when deviceBytes was given. */
  readonly fits?: boolean;
  /** The largest micro-batch that fits the device (0: not even one sequence), when deviceBytes was given. */
  readonly maxBatchSizeThatFits?: number;
  readonly advice: string;
}

/** Parameters of a LLaMA model: embeddings, attention and SwiGLU projections, norms, the head unless tied. */
export function parameterCount(model: ModelShape): number {
  const perLayer = LINEAR_MODULES.reduce((sum, module) => {
    const [out, inp] = linearShape(model as LlamaConfig, module);
    return sum + out * inp;
  }, 0);
  const norms = 2 * model.hiddenSize;
  const embeddings = model.vocabSize * model.hiddenSize;
  return (
    embeddings * (model.tieWordEmbeddings ? 1 : 2) + model.numLayers * (perLayer + norms) + model.hiddenSize
  );
}

/** LoRA parameters: r * (in + out) per target module per layer, as PEFT counts them. */
export function loraParameterCount(
  model: ModelShape,
  r: number,
  targetModules: readonly LinearModule[],
): number {
  return (
    model.numLayers *
    targetModules.reduce((sum, module) => {
      const [out, inp] = linearShape(model as LlamaConfig, module);
      return sum + r * (inp + out);
    }, 0)
  );
}

/**
 * Activation elements kept for the backward pass per sequence of length s, per layer, for a pre-norm LLaMA
 * layer without recomputation: norm outputs, q/k/v, attention scores and probabilities, the attention output,
 * SwiGLU's gate, up, activation and product, and the residual stream. Following Korthikanti et al. 2022
 * ("Reducing Activation Recomputation in Large Transformer Models"), adapted to GQA and SwiGLU.
 */
function activationElementsPerLayer(model: ModelShape, s: number): number {
  const h = model.hiddenSize;
  const kv = model.numKvHeads * model.headDim;
  const attention = s * h + s * (h + 2 * kv) + 2 * model.numHeads * s * s + 2 * s * h;
  const mlp = s * h + 4 * s * model.intermediateSize;
  return attention + mlp + 2 * s * h;
}

const GIB = 1024 ** 3;

/**
 * Memory to fine-tune a LLaMA model: weights, gradients, optimizer state and activations, and whether it
 * fits a device. Estimates: allocator fragmentation, kernels' workspace and the framework's own use come
 * on top (leave 10-20% free).
 */
export function estimateTrainingMemory(input: MemoryEstimateInput): MemoryEstimate {
  const { model, method } = input;
  const weightBytes = input.weightBytes ?? 4;
  const activationBytes = input.activationBytes ?? 4;
  const parameters = parameterCount(model);
  const trainable =
    method.kind === 'full' ? parameters : loraParameterCount(model, method.r, method.targetModules);
  const weightsBytes = parameters * weightBytes + (method.kind === 'lora' ? trainable * 4 : 0);
  const gradientsBytes = trainable * 4;
  const masterCopy = method.kind === 'full' && weightBytes < 4 ? trainable * 4 : 0;
  const optimizerBytes = trainable * 8 + masterCopy;
  const activationsFor = (batch: number) => {
    const s = input.sequenceLength;
    const perLayer = input.gradientCheckpointing
      ? s * model.hiddenSize
      : activationElementsPerLayer(model, s);
    // The head's logits and their log-softmax, in fp32 whatever the rest uses.
    const head = 2 * s * model.vocabSize * 4;
    return batch * (model.numLayers * perLayer * activationBytes + head);
  };
  const activationsBytes = activationsFor(input.batchSize);
  const fixed = weightsBytes + gradientsBytes + optimizerBytes;
  const totalBytes = fixed + activationsBytes;
  let fits: boolean | undefined;
  let maxBatchSizeThatFits: number | undefined;
  let advice = `about ${(totalBytes / GIB).toFixed(1)} GiB for ${method.kind === 'full' ? 'full fine-tuning' : `LoRA r=${method.r}`} at micro-batch ${input.batchSize} x ${input.sequenceLength} tokens`;
  if (input.deviceBytes !== undefined) {
    fits = totalBytes <= input.deviceBytes;
    maxBatchSizeThatFits = Math.max(0, Math.floor((input.deviceBytes - fixed) / activationsFor(1)));
    if (fits)
      advice += `; fits ${(input.deviceBytes / GIB).toFixed(1)} GiB (micro-batches up to ${maxBatchSizeThatFits})`;
    else if (maxBatchSizeThatFits > 0)
      advice += `; does not fit ${(input.deviceBytes / GIB).toFixed(1)} GiB: use micro-batch ${maxBatchSizeThatFits} with gradient accumulation ${Math.ceil(input.batchSize / maxBatchSizeThatFits)}`;
    else if (method.kind === 'full')
      advice += `; does not fit ${(input.deviceBytes / GIB).toFixed(1)} GiB even at micro-batch 1: use LoRA, narrower weights or a smaller model`;
    else
      advice += `; does not fit ${(input.deviceBytes / GIB).toFixed(1)} GiB even at micro-batch 1: use 8/4-bit base weights, gradient checkpointing, shorter sequences or a smaller model`;
  }
  return {
    parameters,
    trainableParameters: trainable,
    weightsBytes,
    gradientsBytes,
    optimizerBytes,
    activationsBytes,
    totalBytes,
    ...(fits !== undefined ? { fits, maxBatchSizeThatFits: maxBatchSizeThatFits! } : {}),
    advice,
  };
}
