/** The ML engine's public face: backends, the LLaMA model, checkpoints, LoRA, generation and training. */
export { initBackend, backendInfo, type BackendInfo, type BackendName } from './backend.js';
export { Rng, type RngState } from './rng.js';
export {
  llamaConfigSchema,
  makeLlamaConfig,
  parseLlamaConfig,
  type LlamaConfig,
  type LlamaConfigInit,
  type LlamaConfigJson,
} from './config.js';
export {
  decodeSafetensors,
  encodeSafetensors,
  readSafetensorsDir,
  writeSafetensorsDir,
  floatToBf16,
  floatToHalf,
  halfToFloat,
  type HostTensor,
  type SafetensorsContents,
  type StoredDtype,
} from './safetensors.js';
export {
  LlamaModel,
  KvCache,
  BatchKvCache,
  LINEAR_MODULES,
  expectedTensors,
  linearName,
  linearShape,
  type ForwardOptions,
  type ForwardResult,
  type LinearModule,
} from './model.js';
export {
  loadModel,
  saveModel,
  initModel,
  TINY_CONFIG,
  TINY_TRAINABLE_INIT_RANGE,
  type SaveModelOptions,
} from './checkpoint.js';
export { LoraAdapter, DEFAULT_LORA, loraOptionsSchema, peftKey, type LoraOptions } from './lora.js';
export { rotaryTables, rotateHalfMatrix } from './ops.js';
export {
  generate,
  generateBatch,
  SequenceDecoder,
  pick,
  chooseToken,
  attentionWeights,
  type GenerateOptions,
  type BatchGenerateOptions,
  type BatchGenerateResult,
  type GenerateResult,
  type GeneratedToken,
} from './generate.js';
export {
  ContinuousBatcher,
  type BatchedResult,
  type BatchedSequence,
  type ContinuousBatcherOptions,
} from './continuousBatch.js';
export {
  causalLmLoss,
  makeBatch,
  lossOptionsSchema,
  DEFAULT_LOSS,
  type Batch,
  type LossOptions,
  type LossParts,
  type TrainingExample,
} from './loss.js';
export { learningRateAt } from './schedule.js';
export {
  Trainer,
  trainerOptionsSchema,
  type DpoReference,
  type PpoStepMetrics,
  type StepMetrics,
  type StepPhases,
  type WorkerPhases,
  type TrainerOptions,
  type TrainerParts,
} from './trainer.js';
export {
  RewardHead,
  REWARD_CONFIG_FILE,
  REWARD_HEAD_FILE,
  REWARD_HEAD_TENSOR,
  computeRewardGradients,
  loadRewardModel,
  PromptFillsContextError,
  makeRewardBatch,
  rewardConfigSchema,
  rewardLoss,
  rewardScores,
  saveRewardModel,
  scoreExchanges,
  scoreResponses,
  type RewardBatch,
  type RewardConfig,
  type RewardGradientResult,
  type RewardLossParts,
  type ScoreOptions,
} from './rewardModel.js';
export {
  dpoLoss,
  computeDpoGradients,
  makePreferenceBatch,
  preferenceStatistics,
  referenceLogProbs,
  sequenceLogProbs,
  type DpoGradientResult,
  type DpoParts,
  type PairLogProbs,
  type PreferencePair,
  type PreferenceStatistics,
} from './dpo.js';
export { computeGradients, type GradientResult } from './gradients.js';
export { targetCounts, type TargetCounts } from './loss.js';
export {
  defaultGradientWorkers,
  GradientWorkerPool,
  gradientWorkerUrl,
  type ShardRequest,
  type ShardResult,
  type WorkerSetup,
} from './parallel.js';
export {
  clippedPolicyLoss,
  clippedValueLoss,
  computePpoGradients,
  explainedVariance,
  generalisedAdvantages,
  KlController,
  maskedMoments,
  penalisedRewards,
  ppoOptionsSchema,
  responseSpans,
  tokenLogProbsAndEntropy,
  ValueHead,
  VALUE_HEAD_TENSOR,
  whiten,
  type PpoMinibatch,
  type PpoOptions,
  type ResolvedPpoOptions,
} from './ppo.js';
export {
  ppoIteration,
  referenceTokenLogProbs,
  type PpoIterationInput,
  type PpoIterationStatistics,
  type Rollout,
  type RolloutScorer,
} from './ppoIteration.js';
export type { ModelFiles } from './modelFiles.js';
