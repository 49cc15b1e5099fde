import type { TrainingMethod, TrainingRunRequested, TrainingStage } from './trainingRun.events.js';

type LoraParameters = Extract<TrainingMethod, { kind: 'lora' }>;
type TrainingLoss = TrainingRunRequested['data']['loss'];

/** The founding guide's LoRA: r=16, alpha=32, dropout 0.05 on q_proj and v_proj. */
export const DEFAULT_LORA_PARAMETERS: LoraParameters = {
  kind: 'lora',
  r: 16,
  alpha: 32,
  dropout: 0.05,
  targetModules: ['q_proj', 'v_proj'],
};

/** Entity weighting needs a lexicon, so a request that names no loss trains on plain cross-entropy. */
export const DEFAULT_TRAINING_LOSS: TrainingLoss = { kind: 'cross-entropy' };

/** A fixed seed, recorded in the event, so a run that names none is still reproducible. */
export const DEFAULT_TRAINING_SEED = 0;

/**
 * The founding guide's three stages: general instructions, then domain instructions at half the learning
 * rate, then robustness on noisy and adversarial variants of the instructions.
 */
export function defaultTrainingStages(): TrainingStage[] {
  return [
    { name: 'general', datasetFilter: 'all', learningRate: 1e-5, batchSize: 32, epochs: 1 },
    { name: 'domain', datasetFilter: 'domain', learningRate: 5e-6, batchSize: 16, epochs: 1 },
    { name: 'robustness', datasetFilter: 'all', learningRate: 5e-6, batchSize: 16, epochs: 1, noise: 0.05 },
  ];
}

/** LoRA parameters as a request may give them: any of r, alpha, dropout and targetModules left out. */
export type LoraParametersRequest = { readonly kind: 'lora' } & Partial<Omit<LoraParameters, 'kind'>>;
type TrainedParametersRequest = LoraParametersRequest | { readonly kind: 'full' };

/** A method that trains named weights, with those weights as a request may give them. */
type WithParametersRequest<Method> = Method extends { readonly parameters: unknown }
  ? Omit<Method, 'parameters'> & { readonly parameters?: TrainedParametersRequest }
  : never;

/** A method as a request may give it: LoRA settings, wherever they appear, may be partial. */
export type TrainingMethodRequest =
  LoraParametersRequest | { readonly kind: 'full' } | WithParametersRequest<TrainingMethod>;

/** What a training request may leave out; `resolveTrainingDefaults` fills it in from the guide. */
export interface TrainingDefaultsRequest {
  readonly method?: TrainingMethodRequest;
  readonly stages?: readonly TrainingStage[];
  readonly loss?: TrainingLoss;
  readonly seed?: number;
}

export interface ResolvedTrainingDefaults {
  readonly method: TrainingMethod;
  readonly stages: TrainingStage[];
  readonly loss: TrainingLoss;
  readonly seed: number;
}

function resolveLora(requested: LoraParametersRequest): LoraParameters {
  // Spelled out field by field: an explicit `undefined` (or JSON null) must not hide the default.
  return {
    kind: 'lora',
    r: requested.r ?? DEFAULT_LORA_PARAMETERS.r,
    alpha: requested.alpha ?? DEFAULT_LORA_PARAMETERS.alpha,
    dropout: requested.dropout ?? DEFAULT_LORA_PARAMETERS.dropout,
    targetModules: requested.targetModules ?? [...DEFAULT_LORA_PARAMETERS.targetModules],
  };
}

function resolveParameters(
  parameters: TrainedParametersRequest | undefined,
): LoraParameters | { kind: 'full' } {
  if (parameters === undefined || parameters === null) return resolveLora({ kind: 'lora' });
  return parameters.kind === 'lora' ? resolveLora(parameters) : parameters;
}

function resolveMethod(method: TrainingMethodRequest | undefined): TrainingMethod {
  if (method === undefined || method === null) return resolveLora({ kind: 'lora' });
  switch (method.kind) {
    case 'lora':
      return resolveLora(method);
    case 'full':
      return method;
    default:
      return { ...method, parameters: resolveParameters(method.parameters) } as TrainingMethod;
  }
}

/**
 * The guide's settings for whatever a request leaves out, so the recorded event (and the audit report
 * read from it) holds the values the run actually trains with.
 */
export function resolveTrainingDefaults(request: TrainingDefaultsRequest): ResolvedTrainingDefaults {
  return {
    method: resolveMethod(request.method),
    stages: request.stages ? [...request.stages] : defaultTrainingStages(),
    loss: request.loss ?? DEFAULT_TRAINING_LOSS,
    seed: request.seed ?? DEFAULT_TRAINING_SEED,
  };
}
