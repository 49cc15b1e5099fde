import { Arg, Ctx, ID, Int, Resolver, UseMiddleware } from 'type-graphql';
import { MutationRequest } from './mutationRequest.js';
import { runStream } from '../../domain/index.js';
import { mayPerform } from '../auth/roles.js';
import type { ApiContext } from '../context.js';
import { CommandMutation } from '../types/commandPayload.type.js';
import { subjects } from './payloadSubjects.js';
import { execute, idempotencyKeyArg, services } from './commandExecution.js';

/** Registering and archiving model versions; promotion is in releaseCommands.resolver.ts with its gate. */
@UseMiddleware(MutationRequest)
@Resolver()
export class ModelRegistryResolver {
  @CommandMutation(subjects.modelVersion, {
    description:
      "Register the next version of a model from a completed run (engineer, or the worker that completed the run); the summary is read from the run's stream. The payload id is MODEL@VERSION.",
  })
  async registerModelVersion(
    @Ctx() context: ApiContext,
    @Arg('modelName') modelName: string,
    @Arg('runId', () => ID) runId: string,
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
    // A worker registers the version of a run it completed itself (a worker with no database does it this way).
    const action =
      !mayPerform(context.viewer.roles, 'train') && (await completedBy(context, runId, context.viewer.actor))
        ? 'work'
        : 'train';
    return execute(context, action, 'register model versions', idempotencyKey, async (command) => {
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

  @CommandMutation(subjects.modelVersion, {
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

/** Whether `actor` recorded the run's completion (the worker that trained it). */
async function completedBy(context: ApiContext, runId: string, actor: string): Promise<boolean> {
  if (!mayPerform(context.viewer.roles, 'work')) return false;
  const events = await context.deps.store.readStream(runStream(runId));
  return events.some((event) => event.type === 'TrainingRunCompleted' && event.metadata.actor === actor);
}
