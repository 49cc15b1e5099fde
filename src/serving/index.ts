/**
 * Serving: the OpenAI-compatible endpoint (/v1/chat/completions, /v1/completions, /v1/models, /v1/feedback),
 * generation threads behind a bounded queue, input redaction and output filters, interaction capture,
 * Prometheus metrics at /metrics, and the per-deployment monitors that request rollbacks.
 */
export { startServing, type Serving, type ServingAuth, type ServingDependencies } from './servingRuntime.js';
export { createServingRouter, type Caller, type RouterContext, type ServingRouter } from './servingRouter.js';
export {
  GenerationPool,
  GenerationRefusedError,
  QueueFullError,
  type GenerationPoolOptions,
  type GenerationResult,
  type GenerationHandle,
} from './generationPool.js';
export type {
  ChatMessage,
  GenerationInput,
  GenerationOutput,
  GenerationRefusal,
  ModelFiles,
} from './generationProtocol.js';
export { ServingHost, type ActiveModel, type ModelLease } from './servingHost.js';
export {
  registryModelResolver,
  modelKey,
  type ModelResolver,
  type RegistryResolverOptions,
  type Untar,
} from '../services/index.js';
export { watchDeployments, type ActivationTarget, type DeploymentWatcher } from './deploymentWatcher.js';
export {
  InteractionRecorder,
  type CapturedInteraction,
  type InteractionRecorderOptions,
} from './interactionRecorder.js';
export {
  DeploymentMonitor,
  monitorConfigSchema,
  type Degradation,
  type MonitorConfig,
  type MonitorSample,
} from './deploymentMonitor.js';
export {
  OutputFilter,
  outputFilterConfigSchema,
  type FilterVerdict,
  type OutputClassifier,
  type OutputFilterConfig,
} from './outputFilter.js';
export { redactInput, redactionRule, type RedactedInput } from './inputFilter.js';
export { ServingMetrics } from './servingMetrics.js';
export { servingEnvSchema, servingSettingsFromEnv, type ServingSettings } from './servingConfig.js';
