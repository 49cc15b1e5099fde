import type { DeploymentRequested, ModelRef, RollbackRequested } from '../../domain/index.js';
import type { CommandContext, Services } from '../../services/index.js';
import type { ClaimedJob } from '../runtime/jobQueue.js';
import type { Reports } from '../runtime/servicePorts.js';
import type { JobContext, JobHandler, JobOutcome } from '../runtime/runWorker.js';

/**
 * The serving side as these workers see it: warm a version (load it into the generation threads) and switch
 * a deployment to it. Absent on a machine that serves nothing: the worker then only records the outcome,
 * and serving processes elsewhere follow the log.
 */
export interface ServingTarget {
  prepare(model: ModelRef): Promise<void>;
  activate(deploymentName: string, model: ModelRef): Promise<void>;
}

/**
 * What the deploy and rollback jobs read and report: the in-process deployment service, or the API's
 * worker mutations (activateDeployment, completeRollback) for a worker with no database.
 */
export interface DeploymentJobServices {
  readonly deployments: Pick<Services['deployments'], 'getDeployment'> &
    Reports<Services['deployments'], 'activate' | 'rolledBack'>;
}

export interface DeploymentWorkerOptions {
  readonly services: DeploymentJobServices;
  readonly serving?: ServingTarget;
  /** The endpoint recorded in DeploymentActivated (default `/v1/chat/completions`). */
  readonly endpoint?: string;
}

const DOMAIN_REFUSALS = new Set([
  'DEPLOYMENT_NOT_REQUESTED',
  'ROLLBACK_NOT_REQUESTED',
  'MODEL_VERSION_ARCHIVED',
  'MODEL_VERSION_IS_REWARD_MODEL',
  'MODEL_VERSION_NOT_FOUND',
  'DEPLOYMENT_NOT_ACTIVE',
]);

/** The outcome events trace back to the request: same correlation, and an idempotency key per job. */
function commandFor(job: ClaimedJob, context: JobContext, purpose: string): CommandContext {
  return {
    actor: `worker:${context.workerId}`,
    roles: ['worker'],
    correlationId: job.correlationId,
    idempotencyKey: `${purpose}:${job.jobId}`,
  };
}

function refusal(error: unknown): JobOutcome | undefined {
  const code = (error as { code?: string }).code;
  return code && DOMAIN_REFUSALS.has(code)
    ? { status: 'failed', error: (error as Error).message }
    : undefined;
}

/** `deploy` jobs: warm the requested version, then record DeploymentActivated and switch the local host. */
export function deployJobHandler(options: DeploymentWorkerOptions): JobHandler {
  return {
    async run(job, context) {
      const request = job.payload as DeploymentRequested['data'];
      try {
        await options.serving?.prepare(request.model);
        await options.services.deployments.activate(
          { deploymentName: request.deploymentName, endpoint: options.endpoint ?? '/v1/chat/completions' },
          commandFor(job, context, 'deploy-activate'),
        );
      } catch (error) {
        const outcome = refusal(error);
        if (outcome) return outcome;
        throw error;
      }
      const state = await options.services.deployments.getDeployment(request.deploymentName);
      if (state.active) await options.serving?.activate(request.deploymentName, state.active.model);
      return { status: 'succeeded' };
    },
  };
}

/** `rollback` jobs: warm the target version, switch to it, then record RolledBack. */
export function rollbackJobHandler(options: DeploymentWorkerOptions): JobHandler {
  return {
    async run(job, context) {
      const request = job.payload as RollbackRequested['data'];
      const state = await options.services.deployments.getDeployment(request.deploymentName);
      const modelName = state.active?.model.name;
      if (!modelName)
        return {
          status: 'failed',
          error: `deployment ${request.deploymentName} has no active version to roll back`,
        };
      const target = { name: modelName, version: request.toVersion };
      try {
        // Switch first: the bad version stops answering as soon as the target is loaded.
        await options.serving?.activate(request.deploymentName, target);
        await options.services.deployments.rolledBack(
          { deploymentName: request.deploymentName, rollbackId: request.rollbackId },
          commandFor(job, context, 'rollback-complete'),
        );
      } catch (error) {
        const outcome = refusal(error);
        if (outcome) return outcome;
        throw error;
      }
      return { status: 'succeeded' };
    },
  };
}

/** Both handlers, keyed by the job kinds the jobs projection uses. */
export function deploymentJobHandlers(
  options: DeploymentWorkerOptions,
): Record<'deploy' | 'rollback', JobHandler> {
  return { deploy: deployJobHandler(options), rollback: rollbackJobHandler(options) };
}
