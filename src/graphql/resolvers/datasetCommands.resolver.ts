/** Mutations of the dataset aggregate: register, add a revision, archive (engineers). Ingest: datasetIngest.resolver.ts. */
import { Arg, Ctx, ID, Resolver, UseMiddleware } from 'type-graphql';
import { type ApiContext } from '../context.js';
import { CommandMutation } from '../types/commandPayload.type.js';
import { subjects } from './payloadSubjects.js';
import type { DatasetFormat } from '../../domain/index.js';
import { DatasetFormatEnum } from '../types/enums.js';
import { datasetRevisionInput, DatasetRevisionInput, parseInput } from './commandInputs.js';
import { execute, idempotencyKeyArg, services } from './commandExecution.js';
import { MutationRequest } from './mutationRequest.js';

@UseMiddleware(MutationRequest)
@Resolver()
export class DatasetCommandsResolver {
  @CommandMutation(subjects.dataset, { description: 'Register a dataset (engineer).' })
  registerDataset(
    @Ctx() context: ApiContext,
    @Arg('name') name: string,
    @Arg('format', () => DatasetFormatEnum) format: DatasetFormat,
    @Arg('domain', () => String, { nullable: true }) domain: string | undefined,
    @Arg('description', () => String, { nullable: true }) description: string | undefined,
    @Arg('datasetId', () => ID, { nullable: true }) datasetId: string | undefined,
    @Arg('idempotencyKey', () => String, idempotencyKeyArg) idempotencyKey: string | undefined,
  ) {
    return execute(context, 'data', 'register datasets', idempotencyKey, async (command) => {
      const result = await services(context).datasets.registerDataset(
        { name, format, domain, description, datasetId },
        command,
      );
      return { ...result, id: result.datasetId };
    });
  }

  @CommandMutation(subjects.dataset, {
    description: 'Add a revision to a dataset (engineer) (DatasetRevisionAdded of EVENTS.md).',
  })
  addDatasetRevision(
    @Ctx() context: ApiContext,
    @Arg('datasetId', () => ID) datasetId: string,
    @Arg('input', () => DatasetRevisionInput) input: object,
    @Arg('idempotencyKey', () => String, idempotencyKeyArg) idempotencyKey: string | undefined,
  ) {
    const fields = parseInput('input', datasetRevisionInput, input);
    return execute(context, 'data', 'add dataset revisions', idempotencyKey, (command) =>
      services(context).datasets.addRevision({ ...fields, datasetId }, command),
    );
  }

  @CommandMutation(subjects.dataset, { description: 'Archive a dataset (engineer).' })
  archiveDataset(
    @Ctx() context: ApiContext,
    @Arg('datasetId', () => ID) datasetId: string,
    @Arg('reason') reason: string,
    @Arg('idempotencyKey', () => String, idempotencyKeyArg) idempotencyKey: string | undefined,
  ) {
    return execute(context, 'data', 'archive datasets', idempotencyKey, (command) =>
      services(context).datasets.archiveDataset({ datasetId, reason }, command),
    );
  }
}
