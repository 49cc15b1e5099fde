import { DomainError } from '../shared/index.js';
import { trainingMethod, type TrainingMethod, type TrainingStage } from './trainingRun.events.js';

/**
 * The bounds a training request is checked against before anything is recorded (README "Limits").
 * They are wide enough for any real run and narrow enough that a typo (1e308, 1e9) is caught at once
 * instead of in the worker.
 */
export const TRAINING_LIMITS = {
  stages: { min: 1, max: 16 },
  /** Exclusive minimum, inclusive maximum. */
  learningRate: { above: 0, max: 1 },
  batchSize: { min: 1, max: 4096 },
  /** Exclusive minimum (fractions of an epoch are allowed), inclusive maximum. */
  epochs: { above: 0, max: 1000 },
  maxSteps: { min: 1, max: 1_000_000 },
  /** r is also at most the base model's hidden size when its config.json can be read. */
  loraR: { min: 1, max: 8192 },
  /** Exclusive minimum, inclusive maximum. */
  loraAlpha: { above: 0, max: 16384 },
  /** Inclusive minimum, exclusive maximum: a dropout of 1 drops everything. */
  loraDropout: { min: 0, below: 1 },
} as const;

/** What the service read of the base model's config.json. */
export interface BaseModelArchitecture {
  /** Absent when the weights cannot be read where the run is requested (an artifact or registry source). */
  readonly hiddenSize?: number;
  /** The projections LoRA can target in this architecture (LLaMA: q/k/v/o and gate/up/down). */
  readonly linearModules: readonly string[];
}

/** The method's memory estimate against the largest device a registered worker reports. */
export interface TrainingMemoryFact {
  readonly requiredBytes: number;
  readonly deviceBytes: number;
  readonly advice: string;
}

function outOfBounds(field: string, value: unknown, bound: string): never {
  throw new DomainError(
    'TRAINING_PARAMETER_OUT_OF_BOUNDS',
    `${field} is ${JSON.stringify(value)}; it must be ${bound}.`,
    { field, value, bound },
  );
}

const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const isInteger = (value: unknown): value is number => isNumber(value) && Number.isInteger(value);

function integerIn(field: string, value: unknown, min: number, max: number, what = ''): void {
  if (!isInteger(value) || value < min || value > max)
    outOfBounds(field, value, `an integer from ${min} to ${max}${what}`);
}

function checkStage(stage: TrainingStage, index: number): void {
  const at = `stages[${index}]`;
  const { learningRate, batchSize, epochs } = TRAINING_LIMITS;
  // Written as "not inside" so NaN, strings and nulls from JSON are refused too.
  if (
    !isNumber(stage.learningRate) ||
    !(stage.learningRate > learningRate.above && stage.learningRate <= learningRate.max)
  )
    outOfBounds(
      `${at}.learningRate`,
      stage.learningRate,
      `above ${learningRate.above} and at most ${learningRate.max}`,
    );
  integerIn(`${at}.batchSize`, stage.batchSize, batchSize.min, batchSize.max);
  if (!isNumber(stage.epochs) || !(stage.epochs > epochs.above && stage.epochs <= epochs.max))
    outOfBounds(`${at}.epochs`, stage.epochs, `above ${epochs.above} and at most ${epochs.max}`);
}

function checkLora(
  field: string,
  lora: Extract<TrainingMethod, { kind: 'lora' }>,
  architecture: BaseModelArchitecture | undefined,
): void {
  const { loraR, loraAlpha, loraDropout } = TRAINING_LIMITS;
  const maxR = Math.min(loraR.max, architecture?.hiddenSize ?? loraR.max);
  integerIn(
    `${field}.r`,
    lora.r,
    loraR.min,
    maxR,
    architecture?.hiddenSize !== undefined
      ? ` (the base model's hidden size is ${architecture.hiddenSize})`
      : '',
  );
  if (!isNumber(lora.alpha) || !(lora.alpha > loraAlpha.above && lora.alpha <= loraAlpha.max))
    outOfBounds(`${field}.alpha`, lora.alpha, `above ${loraAlpha.above} and at most ${loraAlpha.max}`);
  if (!isNumber(lora.dropout) || !(lora.dropout >= loraDropout.min && lora.dropout < loraDropout.below))
    outOfBounds(
      `${field}.dropout`,
      lora.dropout,
      `at least ${loraDropout.min} and below ${loraDropout.below}`,
    );
  const modules = Array.isArray(lora.targetModules) ? lora.targetModules : [];
  const known = architecture?.linearModules;
  if (modules.length === 0)
    outOfBounds(`${field}.targetModules`, lora.targetModules, 'a non-empty list of module names');
  const unknown = known ? modules.filter((module) => !known.includes(module)) : [];
  if (unknown.length > 0)
    outOfBounds(`${field}.targetModules`, unknown, `among the base model's modules: ${known!.join(', ')}`);
}

/**
 * Checks a training request's numbers and names against TRAINING_LIMITS and the base model's
 * architecture; throws TRAINING_PARAMETER_OUT_OF_BOUNDS naming the field and its bound.
 */
export function checkTrainingRequestBounds(
  request: {
    readonly method: TrainingMethod;
    readonly stages: readonly TrainingStage[];
    readonly maxSteps?: number;
  },
  architecture: BaseModelArchitecture | undefined,
): void {
  const { stages, maxSteps } = TRAINING_LIMITS;
  const count = Array.isArray(request.stages) ? request.stages.length : 0;
  if (count < stages.min || count > stages.max)
    outOfBounds('stages', `${count} stage(s)`, `from ${stages.min} to ${stages.max} stages`);
  request.stages.forEach(checkStage);
  if (request.maxSteps !== undefined) integerIn('maxSteps', request.maxSteps, maxSteps.min, maxSteps.max);
  const method = request.method;
  if (method.kind === 'lora') checkLora('method', method, architecture);
  else if (method.kind !== 'full' && method.parameters?.kind === 'lora')
    checkLora('method.parameters', method.parameters, architecture);
  // After the bounds, so a number out of range is named with its bound rather than as a malformed method.
  checkTrainingMethodShape(request.method);
}

/** Refuses a run whose memory estimate is above the largest device a registered worker reports. */
export function checkTrainingMemory(memory: TrainingMemoryFact | undefined): void {
  if (!memory || memory.requiredBytes <= memory.deviceBytes) return;
  const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
  throw new DomainError(
    'TRAINING_MEMORY_EXCEEDS_DEVICE',
    `The run needs about ${gib(memory.requiredBytes)} (memoryEstimate: ${memory.advice}), more than the largest device a registered worker reports (${gib(memory.deviceBytes)}); lower the batch size or r, or use a smaller model.`,
    { field: 'method', requiredBytes: memory.requiredBytes, bound: memory.deviceBytes },
  );
}

/**
 * Refuses a method that lacks a field its kind needs (a PPO run without rewardModel, klCoefficient,
 * clipRange or rolloutsPerStep; a DPO run without beta), naming every such field.
 */
export function checkTrainingMethodShape(method: unknown): void {
  const parsed = trainingMethod.safeParse(method);
  if (parsed.success) return;
  const problems = parsed.error.issues.map((i) => `method.${i.path.join('.')}: ${i.message}`);
  const first = parsed.error.issues[0];
  throw new DomainError(
    'TRAINING_METHOD_INCOMPLETE',
    `The training method is incomplete or malformed (${problems.join('; ')}). A ppo method needs rewardModel {name, version}, klCoefficient, clipRange and rolloutsPerStep; a dpo method needs beta.`,
    { field: `method${first && first.path.length > 0 ? `.${first.path.join('.')}` : ''}`, problems },
  );
}
