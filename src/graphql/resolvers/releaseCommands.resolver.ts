/** Release (approvers): promotion of a model version with its gate, and the deployment aggregate's deploy and roll back. */
import { Arg, Ctx, ID, Int, Resolver, UseMiddleware } from 'type-graphql';
import type { PromotionStage } from '../../domain/index.js';
import { requireAction, type ApiContext } from '../context.js';
import { PromotionStageEnum } from '../types/enums.js';
import { CommandMutation } from '../types/commandPayload.type.js';
import { subjects } from './payloadSubjects.js';
import { execute, idempotencyKeyArg, services } from './commandExecution.js';
import { MutationRequest } from './mutationRequest.js';

@UseMiddleware(MutationRequest)
@Resolver()
export class ReleaseCommandsResolver {
  @CommandMutation(subjects.modelVersion, {
    description:
      'Promote a model version to staging or production (approver); production needs a passed evaluation as evidence unless an admin gives overrideReason.',
  })
  promoteModelVersion(
    @Ctx() context: ApiContext,
    @Arg('modelName') modelName: string,
    @Arg('version', () => Int) version: number,
    @Arg('stage', () => PromotionStageEnum) stage: PromotionStage,
    @Arg('evaluationIds', () => [ID], { nullable: true }) evaluationIds: string[] | undefined,
    @Arg('overrideReason', () => String, { nullable: true }) overrideReason: string | undefined,
    @Arg('idempotencyKey', () => String, idempotencyKeyArg) idempotencyKey: string | undefined,
  ) {
    if (overrideReason !== undefined) requireAction(context, 'admin', 'override a promotion gate');
    return execute(context, 'release', 'promote model versions', idempotencyKey, async (command) => ({
      ...(await services(context).models.promote(
        { modelName, version, stage, evaluationIds, overrideReason },
        command,
      )),
      id: `${modelName}@${version}`,
    }));
  }

  @CommandMutation(subjects.deployment, {
    description: 'Deploy a model version to a named deployment (approver).',
  })
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

  @CommandMutation(subjects.deployment, {
    description: 'Roll a deployment back to an earlier version (approver).',
  })
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
}
