/** The deploy and rollback workers (job kinds `deploy` and `rollback`). */
export {
  deployJobHandler,
  deploymentJobHandlers,
  rollbackJobHandler,
  type DeploymentJobServices,
  type DeploymentWorkerOptions,
  type ServingTarget,
} from './deploymentJobs.js';
