/** Workers with no database and no shared disk: the worker ports over the API (GraphQL and artifact routes). */
export { ApiClient, ApiRequestError, type ApiClientOptions } from './apiClient.js';
export { ApiArtifactStore, putArtifact, uploadArtifact } from './apiArtifactStore.js';
export { apiEvaluationServices } from './apiEvaluationServices.js';
export { checkpointFiles, uploadModelDirectory, type UploadedModel } from './modelUpload.js';
export { apiJobQueue } from './apiJobQueue.js';
export { ApiTrainingServices } from './apiTrainingServices.js';
export {
  API_JOB_KINDS,
  startApiWorkerProcess,
  type ApiWorkerProcess,
  type ApiWorkerProcessOptions,
} from './apiWorkerProcess.js';
