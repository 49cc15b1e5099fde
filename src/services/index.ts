/**
 * Application services: load a stream, decide, append. GraphQL, the CLI and workers call these;
 * they use the EventStore port and the domain only.
 */
import { DatasetService } from './datasetService.js';
import { DeploymentService } from './deploymentService.js';
import { EvaluationService } from './evaluationService.js';
import { FeedbackService } from './feedbackService.js';
import { ModelRegistryService } from './modelRegistryService.js';
import { PrivacyService, type DataKeyShredder } from './privacyService.js';
import { serviceKit, type ServiceDependencies } from './serviceDependencies.js';
import { TrainingRunService, type BaseModelCheck, type LargestWorkerDevice } from './trainingRunService.js';

export { manualClock, sequentialIds, systemClock, uuidIds, type Clock, type IdGenerator } from './clock.js';
export { causedBy, isAdmin, teachingRole, TEACHING_ROLES, type CommandContext } from './commandContext.js';
export { RedactionGate } from './redactionGate.js';
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

export interface Services {
  readonly datasets: DatasetService;
  readonly runs: TrainingRunService;
  readonly evaluations: EvaluationService;
  readonly models: ModelRegistryService;
  readonly deployments: DeploymentService;
  readonly feedback: FeedbackService;
  readonly privacy: PrivacyService;
}

/** Every application service over one event store, clock and id source. */
export function createServices(
  dependencies: ServiceDependencies & {
    readonly baseModelCheck?: BaseModelCheck;
    /** The largest device memory a registered worker reports; none by default (the memory check is skipped). */
    readonly largestWorkerDevice?: LargestWorkerDevice;
    /** The subject key store; without it forgetSubject is refused. */
    readonly subjectKeys?: DataKeyShredder;
  },
): Services {
  const kit = serviceKit(dependencies);
  return {
    datasets: new DatasetService(kit),
    runs: new TrainingRunService(kit, dependencies.baseModelCheck, dependencies.largestWorkerDevice),
    evaluations: new EvaluationService(kit),
    models: new ModelRegistryService(kit),
    deployments: new DeploymentService(kit),
    feedback: new FeedbackService(kit),
    privacy: new PrivacyService(kit, dependencies.subjectKeys),
  };
}
export * from './datasets/index.js';
