import { Arg, Ctx, Int, Mutation, Resolver, UseMiddleware } from 'type-graphql';
import { MutationRequest } from './mutationRequest.js';
import type { ApiContext } from '../context.js';
import { CommandPayload } from '../types/commandPayload.type.js';
import { execute, idempotencyKeyArg, services } from './commandExecution.js';

/** Registering and archiving model versions; promotion is in releaseCommands.resolver.ts with its gate. */
@UseMiddleware(MutationRequest)
@Resolver()
export class ModelRegistryResolver {
  @Mutation(() => CommandPayload, {
    description:
      "Register the next version of a model from a completed run (engineer); the summary is read from the run's stream. The payload id is MODEL@VERSION.",
  })
  registerModelVersion(
    @Ctx() context: ApiContext,
    @Arg('modelName') modelName: string,
    @Arg('runId') runId: string,
    @Arg('version', () => Int, {
      nullable: true,
      description: 'The version you expect to create; refused when another registration got there first.',
    })
    version: number | undefined,
    @Arg('mergedArtifact', () => String, {
      nullable: true,
      description: 'sha256 of a merged checkpoint made after training.',
    })
    mergedArtifact: string | undefined,
    @Arg('idempotencyKey', () => String, idempotencyKeyArg) idempotencyKey: string | undefined,
  ) {
    return execute(context, 'train', 'register model versions', idempotencyKey, async (command) => {
      const result = await services(context).models.registerModelVersion(
        {
          modelName,
          runId,
          ...(version !== undefined ? { version } : {}),
          ...(mergedArtifact !== undefined ? { mergedArtifact } : {}),
        },
        command,
      );
      return { ...result, id: `${modelName}@${result.modelVersion}` };
    });
  }

  @Mutation(() => CommandPayload, {
    description:
      'Archive a model version (approver): it can no longer be evaluated, promoted or deployed; its lineage stays.',
  })
  archiveModelVersion(
    @Ctx() context: ApiContext,
    @Arg('modelName') modelName: string,
    @Arg('version', () => Int) version: number,
    @Arg('note', () => String, { nullable: true }) note: string | undefined,
    @Arg('idempotencyKey', () => String, idempotencyKeyArg) idempotencyKey: string | undefined,
  ) {
    return execute(context, 'release', 'archive model versions', idempotencyKey, async (command) => ({
      ...(await services(context).models.archive(
        { modelName, version, ...(note !== undefined ? { note } : {}) },
        command,
      )),
      id: `${modelName}@${version}`,
    }));
  }
}
