import { DatasetService } from './datasetService.js';
import { DeploymentService } from './deploymentService.js';
import { EvaluationService } from './evaluationService.js';
import { FeedbackService } from './feedbackService.js';
import { ModelRegistryService } from './modelRegistryService.js';
import { PrivacyService, type DataKeyShredder } from './privacyService.js';
import { serviceKit, type ServiceDependencies } from './serviceDependencies.js';
import { TrainingRunService, type BaseModelCheck, type LargestWorkerDevice } from './trainingRunService.js';

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
