import { Arg, Ctx, ID, Int, Mutation, Resolver, UseMiddleware } from 'type-graphql';
import { MutationRequest } from './mutationRequest.js';
import { z } from 'zod';
import { requireAction, type ApiContext } from '../context.js';
import { CommandPayload } from '../types/commandPayload.type.js';
import { JSON } from '../types/scalars.js';
import {
  evaluationRequestInput,
  labelInput,
  parseArgument,
  trainingRunRequestOutline,
} from './commandInputs.js';
import { execute, idempotencyKeyArg, jsonObject, services, workerIdFor } from './commandExecution.js';

@UseMiddleware(MutationRequest)
@Resolver()
export class MutationResolver {
  // Data: engineers

  @Mutation(() => CommandPayload, { description: 'Register a dataset (engineer).' })
  registerDataset(
    @Ctx() context: ApiContext,
    @Arg('name') name: string,
    @Arg('format', { description: 'alpaca, sharegpt, openai-messages or preference.' }) format: string,
    @Arg('domain', () => String, { nullable: true }) domain: string | undefined,
    @Arg('description', () => String, { nullable: true }) description: string | undefined,
    @Arg('datasetId', () => ID, { nullable: true }) datasetId: string | undefined,
    @Arg('idempotencyKey', () => String, idempotencyKeyArg) idempotencyKey: string | undefined,
  ) {
    return execute(context, 'data', 'register datasets', idempotencyKey, async (command) => {
      const result = await services(context).datasets.registerDataset(
        { name, format: format as never, domain, description, datasetId },
        command,
      );
      return { ...result, id: result.datasetId };
    });
  }

  @Mutation(() => CommandPayload, {
    description:
      'Add a revision to a dataset (engineer). input: contentHash, recordCount, byteSize, splits, transform, piiReport, qualityReport, parentRevision? (DatasetRevisionAdded of EVENTS.md).',
  })
  addDatasetRevision(
    @Ctx() context: ApiContext,
    @Arg('datasetId', () => ID) datasetId: string,
    @Arg('input', () => JSON) input: unknown,
    @Arg('idempotencyKey', () => String, idempotencyKeyArg) idempotencyKey: string | undefined,
  ) {
    const fields = jsonObject.parse(input);
    return execute(context, 'data', 'add dataset revisions', idempotencyKey, (command) =>
      services(context).datasets.addRevision({ ...fields, datasetId } as never, command),
    );
  }

  @Mutation(() => CommandPayload, { description: 'Archive a dataset (engineer).' })
  archiveDataset(
    @Ctx() context: ApiContext,
    @Arg('datasetId', () => ID) datasetId: string,
    @Arg('reason') reason: string,
    @Arg('idempotencyKey', () => String, idempotencyKeyArg) idempotencyKey: string | undefined,
  ) {
    return execute(context, 'data', 'archive datasets', idempotencyKey, (command) =>
      services(context).datasets.archiveDataset({ datasetId, reason } as never, command),
    );
  }

  @Mutation(() => CommandPayload, {
    description:
      'Label a served interaction (labeler or engineer). label: { kind: thumbs|rating|correction|error-category, ... }. A correction becomes training data; the event records the role that supplied it.',
  })
  labelFeedback(
    @Ctx() context: ApiContext,
    @Arg('interactionId', () => ID) interactionId: string,
    @Arg('label', () => JSON) label: unknown,
    @Arg('idempotencyKey', () => String, idempotencyKeyArg) idempotencyKey: string | undefined,
  ) {
    const parsed = parseArgument('label', labelInput, label);
    return execute(context, 'label', 'label feedback', idempotencyKey, async (command) => {
      // An answer served a moment ago may still be on its way to the log.
      await context.deps.interactionCapture?.whenRecorded(interactionId);
      return services(context).feedback.labelFeedback({ interactionId, label: parsed as never }, command);
    });
  }

  // Training and evaluation: engineers

  @Mutation(() => CommandPayload, {
    description:
      "Request a training run (engineer). input: baseModel, dataset {id, revision}, method?, stages?, loss?, seed?, maxSteps?, resumeFrom?, targetModel?, runId? (TrainingRunRequested of EVENTS.md). Left out: the founding guide's LoRA (r=16, alpha=32, dropout 0.05 on q_proj/v_proj) and three stages, cross-entropy, seed 0; the event records the resolved values. Bounds: README's Limits.",
  })
  requestTrainingRun(
    @Ctx() context: ApiContext,
    @Arg('input', () => JSON) input: unknown,
    @Arg('idempotencyKey', () => String, idempotencyKeyArg) idempotencyKey: string | undefined,
  ) {
    const fields = parseArgument('input', trainingRunRequestOutline, input);
    return execute(context, 'train', 'start training runs', idempotencyKey, async (command) => {
      const result = await services(context).runs.requestTrainingRun(fields as never, command);
      return { ...result, id: result.runId };
    });
  }

  @Mutation(() => CommandPayload, { description: 'Cancel a training run (engineer).' })
  cancelTrainingRun(
    @Ctx() context: ApiContext,
    @Arg('runId', () => ID) runId: string,
    @Arg('reason') reason: string,
    @Arg('idempotencyKey', () => String, idempotencyKeyArg) idempotencyKey: string | undefined,
  ) {
    return execute(context, 'train', 'cancel training runs', idempotencyKey, (command) =>
      services(context).runs.cancelRun({ runId, reason }, command),
    );
  }

  @Mutation(() => CommandPayload, {
    description:
      'Request an evaluation (engineer). input: model {name, version}, dataset {id, revision}, suites, judge?, gate?, evaluationId? (EvaluationRequested of EVENTS.md).',
  })
  requestEvaluation(
    @Ctx() context: ApiContext,
    @Arg('input', () => JSON) input: unknown,
    @Arg('idempotencyKey', () => String, idempotencyKeyArg) idempotencyKey: string | undefined,
  ) {
    const fields = parseArgument('input', evaluationRequestInput, input);
    return execute(context, 'train', 'start evaluations', idempotencyKey, async (command) => {
      const result = await services(context).evaluations.requestEvaluation(fields as never, command);
      return { ...result, id: result.evaluationId };
    });
  }

  // Release: approvers

  @Mutation(() => CommandPayload, {
    description:
      'Promote a model version to staging or production (approver); production needs a passed evaluation as evidence unless an admin gives overrideReason.',
  })
  promoteModelVersion(
    @Ctx() context: ApiContext,
    @Arg('modelName') modelName: string,
    @Arg('version', () => Int) version: number,
    @Arg('stage', { description: 'staging or production.' }) stage: string,
    @Arg('evaluationIds', () => [ID], { nullable: true }) evaluationIds: string[] | undefined,
    @Arg('overrideReason', () => String, { nullable: true }) overrideReason: string | undefined,
    @Arg('idempotencyKey', () => String, idempotencyKeyArg) idempotencyKey: string | undefined,
  ) {
    const parsedStage = z.enum(['staging', 'production']).parse(stage);
    if (overrideReason !== undefined) requireAction(context, 'admin', 'override a promotion gate');
    return execute(context, 'release', 'promote model versions', idempotencyKey, async (command) => ({
      ...(await services(context).models.promote(
        { modelName, version, stage: parsedStage, evaluationIds, overrideReason },
        command,
      )),
      id: `${modelName}@${version}`,
    }));
  }

  @Mutation(() => CommandPayload, { description: 'Deploy a model version to a named deployment (approver).' })
  requestDeployment(
    @Ctx() context: ApiContext,
    @Arg('deploymentName') deploymentName: string,
    @Arg('modelName') modelName: string,
    @Arg('version', () => Int) version: number,
    @Arg('environment') environment: string,
    @Arg('reason', () => String, { nullable: true }) reason: string | undefined,
    @Arg('idempotencyKey', () => String, idempotencyKeyArg) idempotencyKey: string | undefined,
  ) {
    return execute(context, 'release', 'deploy', idempotencyKey, (command) =>
      services(context).deployments.requestDeployment(
        { deploymentName, model: { name: modelName, version }, environment, reason },
        command,
      ),
    );
  }

  @Mutation(() => CommandPayload, { description: 'Roll a deployment back to an earlier version (approver).' })
  requestRollback(
    @Ctx() context: ApiContext,
    @Arg('deploymentName') deploymentName: string,
    @Arg('toVersion', () => Int) toVersion: number,
    @Arg('reason') reason: string,
    @Arg('idempotencyKey', () => String, idempotencyKeyArg) idempotencyKey: string | undefined,
  ) {
    return execute(context, 'release', 'roll back deployments', idempotencyKey, (command) =>
      services(context).deployments.requestRollback({ deploymentName, toVersion, reason }, command),
    );
  }

  // Work: workers report on the runs they hold

  @Mutation(() => CommandPayload, { description: 'Claim a requested training run (worker).' })
  claimTrainingRun(
    @Ctx() context: ApiContext,
    @Arg('runId', () => ID) runId: string,
    @Arg('backend', { description: 'The TensorFlow.js backend, e.g. tensorflow-gpu.' }) backend: string,
    @Arg('device', { defaultValue: '' }) device: string,
    @Arg('leaseMs', () => Int, { defaultValue: 60_000 }) leaseMs: number,
    @Arg('workerId', () => String, { nullable: true }) workerId: string | undefined,
    @Arg('idempotencyKey', () => String, idempotencyKeyArg) idempotencyKey: string | undefined,
  ) {
    return execute(context, 'work', 'claim jobs', idempotencyKey, (command) =>
      services(context).runs.claimRun(
        { runId, workerId: workerIdFor(context, workerId), leaseMs, backend: { name: backend, device } },
        command,
      ),
    );
  }

  @Mutation(() => CommandPayload, { description: 'Renew the lease on a held run (worker).' })
  heartbeat(
    @Ctx() context: ApiContext,
    @Arg('runId', () => ID) runId: string,
    @Arg('leaseMs', () => Int, { defaultValue: 60_000 }) leaseMs: number,
    @Arg('workerId', () => String, { nullable: true }) workerId: string | undefined,
  ) {
    return execute(context, 'work', 'renew leases', undefined, (command) =>
      services(context).runs.renewLease(
        { runId, workerId: workerIdFor(context, workerId), leaseMs },
        command,
      ),
    );
  }

  @Mutation(() => CommandPayload, { description: 'Start a stage of a held run (worker).' })
  startStage(
    @Ctx() context: ApiContext,
    @Arg('runId', () => ID) runId: string,
    @Arg('stageIndex', () => Int) stageIndex: number,
    @Arg('steps', () => Int) steps: number,
    @Arg('workerId', () => String, { nullable: true }) workerId: string | undefined,
    @Arg('idempotencyKey', () => String, idempotencyKeyArg) idempotencyKey: string | undefined,
  ) {
    return execute(context, 'work', 'start stages', idempotencyKey, (command) =>
      services(context).runs.startStage(
        { runId, stageIndex, steps, workerId: workerIdFor(context, workerId) },
        command,
      ),
    );
  }

  @Mutation(() => CommandPayload, {
    description:
      'Report training progress on a held run (worker). input: step, totalSteps, stageIndex, epoch, loss, learningRate, ... (TrainingProgressReported).',
  })
  reportProgress(
    @Ctx() context: ApiContext,
    @Arg('runId', () => ID) runId: string,
    @Arg('input', () => JSON) input: unknown,
    @Arg('workerId', () => String, { nullable: true }) workerId: string | undefined,
    @Arg('idempotencyKey', () => String, idempotencyKeyArg) idempotencyKey: string | undefined,
  ) {
    const fields = jsonObject.parse(input);
    return execute(context, 'work', 'report progress', idempotencyKey, (command) =>
      services(context).runs.reportProgress(
        { ...fields, runId, workerId: workerIdFor(context, workerId) } as never,
        command,
      ),
    );
  }

  @Mutation(() => CommandPayload, {
    description:
      'Complete a held run (worker). input: artifactHash, finalLoss, steps, durationMs, tokensSeen, ... (TrainingRunCompleted).',
  })
  completeJob(
    @Ctx() context: ApiContext,
    @Arg('runId', () => ID) runId: string,
    @Arg('input', () => JSON) input: unknown,
    @Arg('workerId', () => String, { nullable: true }) workerId: string | undefined,
    @Arg('idempotencyKey', () => String, idempotencyKeyArg) idempotencyKey: string | undefined,
  ) {
    const fields = jsonObject.parse(input);
    return execute(context, 'work', 'complete jobs', idempotencyKey, (command) =>
      services(context).runs.completeRun(
        { ...fields, runId, workerId: workerIdFor(context, workerId) } as never,
        command,
      ),
    );
  }

  @Mutation(() => CommandPayload, { description: 'Fail a held run (worker).' })
  failJob(
    @Ctx() context: ApiContext,
    @Arg('runId', () => ID) runId: string,
    @Arg('reason') reason: string,
    @Arg('retryable', { defaultValue: false }) retryable: boolean,
    @Arg('workerId', () => String, { nullable: true }) workerId: string | undefined,
    @Arg('idempotencyKey', () => String, idempotencyKeyArg) idempotencyKey: string | undefined,
  ) {
    return execute(context, 'work', 'fail jobs', idempotencyKey, (command) =>
      services(context).runs.failRun(
        { runId, reason, retryable, workerId: workerIdFor(context, workerId) },
        command,
      ),
    );
  }
}
