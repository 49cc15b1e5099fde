/**
 * Application services: load a stream, decide, append. GraphQL, the CLI and workers call these;
 * they use the EventStore port and the domain only.
 */

export { manualClock, sequentialIds, systemClock, uuidIds, type Clock, type IdGenerator } from './clock.js';
export { causedBy, isAdmin, teachingRole, TEACHING_ROLES, type CommandContext } from './commandContext.js';
export { RedactionGate, redactKeptText } from './redactionGate.js';
export {
  CommandHandler,
  ConcurrencyConflictError,
  type CommandHandlerOptions,
  type CommandResult,
  type LoadedStream,
} from './commandHandler.js';
export { deterministicEventId, deterministicId } from './idempotency.js';
export { StreamFacts } from './streamFacts.js';
export { serviceKit, type Input, type ServiceDependencies, type ServiceKit } from './serviceDependencies.js';
export { DatasetService } from './datasetService.js';
export {
  TrainingRunService,
  readBaseModelDirectory,
  type BaseModelCheck,
  type BaseModelInspection,
  type LargestWorkerDevice,
  type TrainingRunRequestInput,
  type LeaseInput,
} from './trainingRunService.js';
export { EvaluationService } from './evaluationService.js';
export {
  ModelRegistryService,
  type PromoteInput,
  type RegisterModelVersionInput,
} from './modelRegistryService.js';
export { DeploymentService } from './deploymentService.js';
export { FeedbackService } from './feedbackService.js';
export { PrivacyService, type DataKeyShredder } from './privacyService.js';

export { createServices, type Services } from './createServices.js';
export {
  modelKey,
  registryModelResolver,
  type ModelFiles,
  type ModelResolver,
  type RegistryResolverOptions,
  type Untar,
} from './modelFiles.js';
export * from './datasets/index.js';
export {
  RegistryRewardScorer,
  RewardScoringRequestError,
  type RewardScorer,
  type ScoredPrompt,
} from './rewardScoring.js';
