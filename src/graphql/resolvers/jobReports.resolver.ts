import { Arg, Ctx, Float, ID, Int, Resolver, UseMiddleware } from 'type-graphql';
import { MutationRequest } from './mutationRequest.js';
import {
  augmentationCompletionInput,
  AugmentationCompletionInput,
  degradationInput,
  DegradationInput,
  interactionInput,
  InteractionInput,
  parseInput,
} from './commandInputs.js';
import type { ApiContext } from '../context.js';
import { CommandMutation } from '../types/commandPayload.type.js';
import { subjects } from './payloadSubjects.js';
import { execute, idempotencyKeyArg, services, workerIdFor } from './commandExecution.js';

/**
 * What workers and monitors outside this process report on the other job kinds: checkpoints of a held
 * run, augmentations, deployments made live, rollbacks done, degradations seen, and served interactions.
 * An admin may also record that a run's lease has lapsed, so the run can be claimed again at once.
 */
@UseMiddleware(MutationRequest)
@Resolver()
export class JobReportsResolver {
  @CommandMutation(subjects.run, {
    description: 'Record a checkpoint of a held run (worker): the run resumes from it after a take-over.',
  })
  saveCheckpoint(
    @Ctx() context: ApiContext,
    @Arg('runId', () => ID) runId: string,
    @Arg('step', () => Int) step: number,
    @Arg('artifactHash', { description: 'sha256 of the stored checkpoint artifact.' }) artifactHash: string,
    @Arg('byteSize', () => Float) byteSize: number,
    @Arg('workerId', () => String, { nullable: true }) workerId: string | undefined,
    @Arg('idempotencyKey', () => String, idempotencyKeyArg) idempotencyKey: string | undefined,
  ) {
    return execute(context, 'work', 'save checkpoints', idempotencyKey, (command) =>
      services(context).runs.saveCheckpoint(
        { runId, step, artifactHash, byteSize, workerId: workerIdFor(context, workerId) },
        command,
      ),
    );
  }

  @CommandMutation(subjects.run, {
    description:
      "Record that a run's lease has lapsed (admin), so another worker may claim it at once and resume from its last checkpoint; refused while the lease is live.",
  })
  expireTrainingRunLease(
    @Ctx() context: ApiContext,
    @Arg('runId', () => ID) runId: string,
    @Arg('idempotencyKey', () => String, idempotencyKeyArg) idempotencyKey: string | undefined,
  ) {
    return execute(context, 'admin', 'expire leases', idempotencyKey, (command) =>
      services(context).runs.expireLease(runId, command),
    );
  }

  @CommandMutation(subjects.dataset, {
    description:
      'Complete a requested augmentation with the new revision (worker). input: contentHash, recordCount, byteSize, splits, piiReport, qualityReport, transformParams (DatasetRevisionAdded).',
  })
  completeAugmentation(
    @Ctx() context: ApiContext,
    @Arg('datasetId', () => ID) datasetId: string,
    @Arg('augmentationId', () => ID) augmentationId: string,
    @Arg('input', () => AugmentationCompletionInput) input: object,
    @Arg('idempotencyKey', () => String, idempotencyKeyArg) idempotencyKey: string | undefined,
  ) {
    const fields = parseInput('input', augmentationCompletionInput, input);
    return execute(context, 'work', 'complete augmentations', idempotencyKey, (command) =>
      services(context).datasets.completeAugmentation({ ...fields, datasetId, augmentationId }, command),
    );
  }

  @CommandMutation(subjects.dataset, { description: 'Fail a requested augmentation with a reason (worker).' })
  failAugmentation(
    @Ctx() context: ApiContext,
    @Arg('datasetId', () => ID) datasetId: string,
    @Arg('augmentationId', () => ID) augmentationId: string,
    @Arg('reason') reason: string,
    @Arg('idempotencyKey', () => String, idempotencyKeyArg) idempotencyKey: string | undefined,
  ) {
    return execute(context, 'work', 'fail augmentations', idempotencyKey, (command) =>
      services(context).datasets.failAugmentation({ datasetId, augmentationId, reason }, command),
    );
  }

  @CommandMutation(subjects.deployment, {
    description: 'Report that the requested version of a deployment now serves at an endpoint (worker).',
  })
  activateDeployment(
    @Ctx() context: ApiContext,
    @Arg('deploymentName') deploymentName: string,
    @Arg('endpoint', { description: 'Where the version now answers, e.g. http://host:4000/v1.' })
    endpoint: string,
    @Arg('idempotencyKey', () => String, idempotencyKeyArg) idempotencyKey: string | undefined,
  ) {
    return execute(context, 'work', 'activate deployments', idempotencyKey, (command) =>
      services(context).deployments.activate({ deploymentName, endpoint }, command),
    );
  }

  @CommandMutation(subjects.deployment, {
    description: 'Report that a requested rollback took effect (worker).',
  })
  completeRollback(
    @Ctx() context: ApiContext,
    @Arg('deploymentName') deploymentName: string,
    @Arg('rollbackId', () => ID) rollbackId: string,
    @Arg('idempotencyKey', () => String, idempotencyKeyArg) idempotencyKey: string | undefined,
  ) {
    return execute(context, 'work', 'complete rollbacks', idempotencyKey, (command) =>
      services(context).deployments.rolledBack({ deploymentName, rollbackId }, command),
    );
  }

  @CommandMutation(subjects.deployment, {
    description:
      'Record a degradation a monitor saw on the active version (worker). input: metric (output-entropy, latency, error-rate, benchmark), baseline, current, window {from, to, samples}, policy {maxChangePct} to request a rollback in the same append (DegradationDetected).',
  })
  detectDegradation(
    @Ctx() context: ApiContext,
    @Arg('deploymentName') deploymentName: string,
    @Arg('input', () => DegradationInput) input: object,
    @Arg('idempotencyKey', () => String, idempotencyKeyArg) idempotencyKey: string | undefined,
  ) {
    const fields = parseInput('input', degradationInput, input);
    return execute(context, 'work', 'record degradations', idempotencyKey, (command) =>
      services(context).deployments.detectDegradation({ ...fields, deploymentName }, command),
    );
  }

  @CommandMutation(subjects.interaction, {
    description:
      'Record an interaction served elsewhere (worker); redact it first. input: deploymentName, model {name, version}, prompt, response, latencyMs, tokens {prompt, completion}, meanTokenEntropy, filtered, subjectId (the end user: the data subject, docs/privacy.md) (InteractionRecorded).',
  })
  async recordInteraction(
    @Ctx() context: ApiContext,
    @Arg('input', () => InteractionInput) input: object,
    @Arg('idempotencyKey', () => String, idempotencyKeyArg) idempotencyKey: string | undefined,
  ) {
    const fields = parseInput('input', interactionInput, input);
    return execute(context, 'work', 'record interactions', idempotencyKey, async (command) => {
      const result = await services(context).feedback.recordInteraction(fields, command);
      return { ...result, id: result.interactionId };
    });
  }
}
