/**
 * Workers: the job runtime every job kind shares (claim with SKIP LOCKED, lease and heartbeat, retry
 * with backoff, take-over after lease expiry, graceful stop) and the training worker.
 */
export {
  runWorker,
  newWorkerId,
  LeaseLostError,
  type JobContext,
  type JobHandler,
  type JobOutcome,
  type StopReason,
  type WorkerHandle,
  type WorkerLog,
  type WorkerOptions,
} from './runtime/runWorker.js';
export { databaseJobQueue, type ClaimedJob, type JobQueue } from './runtime/jobQueue.js';
export { claimNextJob, finishJob, releaseJob, renewJobLease } from '../projections/index.js';
export {
  trainingJobHandler,
  TAR_MEDIA_TYPE,
  type TrainingServices,
  type TrainingWorkerOptions,
} from './training/trainingJob.js';
export {
  defaultTrainingStages,
  prepareStageRecords,
  selectRecords,
  toTrainingRecord,
} from './training/trainingData.js';
export { readTrainSplit } from './training/trainSplit.js';
export { packTar, unpackTar, type TarEntry } from './training/tarball.js';
export { runTraining, type TrainingIo } from './training/runTraining.js';
export { CONTROL, type TrainingMessage, type TrainingSpec } from './training/trainingMessages.js';
export {
  createJobHandlers,
  JOB_KINDS,
  startWorkerProcess,
  type EvaluationSettings,
  type HandlerDependencies,
  type TrainingSettings,
  type WorkerProcess,
  type WorkerProcessOptions,
} from './workerProcess.js';
export {
  API_JOB_KINDS,
  ApiArtifactStore,
  ApiClient,
  ApiRequestError,
  ApiTrainingServices,
  apiJobQueue,
  startApiWorkerProcess,
  uploadArtifact,
  uploadModelDirectory,
  type ApiClientOptions,
  type UploadedModel,
  type ApiWorkerProcess,
  type ApiWorkerProcessOptions,
} from './remote/index.js';
export {
  InteractionRewardScoring,
  REWARD_SCORER_ACTOR,
  type InteractionRewardScoringOptions,
  type RewardScoringPass,
} from './flywheel/interactionRewardScoring.js';
