import type { TrainingMethod, TrainingRunRequested, TrainingStage } from './trainingRun.events.js';

type LoraParameters = Extract<TrainingMethod, { kind: 'lora' }>;
type PpoMethod = Extract<TrainingMethod, { kind: 'ppo' }>;
type TrainingLoss = TrainingRunRequested['data']['loss'];

/** The founding guide's LoRA: r=16, alpha=32, dropout 0.05 on q_proj and v_proj. */
export const DEFAULT_LORA_PARAMETERS: LoraParameters = {
  kind: 'lora',
  r: 16,
  alpha: 32,
  dropout: 0.05,
  targetModules: ['q_proj', 'v_proj'],
};

/**
 * PPO's settings a request may leave out: TRL's PPO defaults (gamma 1, lambda 0.95, value clip 0.2, 4 epochs
 * over each rollout batch in one minibatch), a value coefficient of 0.1, a fixed KL coefficient, and answers of
 * at most 64 tokens. Adaptive KL without a target steers towards 6 nats per answer (Ziegler et al. 2019).
 */
export const DEFAULT_PPO_SETTINGS = {
  gamma: 1,
  lambda: 0.95,
  epochs: 4,
  minibatches: 1,
  clipRangeValue: 0.2,
  valueCoefficient: 0.1,
  klControl: 'fixed',
  adaptiveTargetKl: 6,
  klHorizon: 10000,
  maxResponseTokens: 64,
} as const;

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

/** Every PPO setting spelled out, so the event holds the values the worker trains with. */
function resolvePpo(method: PpoMethod): PpoMethod {
  const d = DEFAULT_PPO_SETTINGS;
  // A target KL asks for the adaptive controller; adaptive without a target steers towards the default one.
  const { targetKl, klHorizon, ...rest } = method;
  const klControl = method.klControl ?? (targetKl !== undefined ? 'adaptive' : d.klControl);
  return {
    ...rest,
    gamma: method.gamma ?? d.gamma,
    lambda: method.lambda ?? d.lambda,
    epochs: method.epochs ?? d.epochs,
    minibatches: method.minibatches ?? d.minibatches,
    clipRangeValue: method.clipRangeValue ?? d.clipRangeValue,
    valueCoefficient: method.valueCoefficient ?? d.valueCoefficient,
    klControl,
    ...(klControl === 'adaptive'
      ? { targetKl: targetKl ?? d.adaptiveTargetKl, klHorizon: klHorizon ?? d.klHorizon }
      : {}),
    maxResponseTokens: method.maxResponseTokens ?? d.maxResponseTokens,
  };
}

function resolveMethod(method: TrainingMethodRequest | undefined): TrainingMethod {
  if (method === undefined || method === null) return resolveLora({ kind: 'lora' });
  switch (method.kind) {
    case 'lora':
      return resolveLora(method);
    case 'full':
      return method;
    case 'ppo':
      return resolvePpo({ ...method, parameters: resolveParameters(method.parameters) } as PpoMethod);
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
