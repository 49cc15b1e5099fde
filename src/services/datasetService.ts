import {
  datasetDecider,
  datasetStream,
  type AddDatasetRevision,
  type ArchiveDataset,
  type CompleteAugmentation,
  type DatasetState,
  type FailAugmentation,
  type RegisterDataset,
  type RequestAugmentation,
} from '../domain/index.js';
import type { RecordedEvent } from '../eventstore/index.js';
import type { CommandContext } from './commandContext.js';
import type { CommandResult } from './commandHandler.js';
import type { Input, ServiceKit } from './serviceDependencies.js';

export class DatasetService {
  constructor(private readonly kit: ServiceKit) {}

  /** Registers a dataset; its id is generated when not given. */
  async registerDataset(
    input: Omit<Input<RegisterDataset>, 'datasetId'> & { datasetId?: string },
    context: CommandContext,
  ): Promise<CommandResult & { datasetId: string }> {
    const datasetId = input.datasetId ?? this.kit.newId(context, 'datasetId');
    const result = await this.execute(
      datasetId,
      { ...input, type: 'RegisterDataset', datasetId, at: this.kit.now() },
      context,
    );
    return { ...result, datasetId };
  }

  addRevision(input: Input<AddDatasetRevision>, context: CommandContext): Promise<CommandResult> {
    return this.execute(
      input.datasetId,
      { ...input, type: 'AddDatasetRevision', at: this.kit.now() },
      context,
    );
  }

  async requestAugmentation(
    input: Omit<Input<RequestAugmentation>, 'augmentationId'> & { augmentationId?: string },
    context: CommandContext,
  ): Promise<CommandResult & { augmentationId: string }> {
    const augmentationId = input.augmentationId ?? this.kit.newId(context, 'augmentationId');
    const result = await this.execute(
      input.datasetId,
      { ...input, type: 'RequestAugmentation', augmentationId, at: this.kit.now() },
      context,
    );
    return { ...result, augmentationId };
  }

  completeAugmentation(input: Input<CompleteAugmentation>, context: CommandContext): Promise<CommandResult> {
    return this.execute(
      input.datasetId,
      { ...input, type: 'CompleteAugmentation', at: this.kit.now() },
      context,
    );
  }

  failAugmentation(input: Input<FailAugmentation>, context: CommandContext): Promise<CommandResult> {
    return this.execute(input.datasetId, { ...input, type: 'FailAugmentation', at: this.kit.now() }, context);
  }

  archiveDataset(input: Input<ArchiveDataset>, context: CommandContext): Promise<CommandResult> {
    return this.execute(input.datasetId, { ...input, type: 'ArchiveDataset', at: this.kit.now() }, context);
  }

  /**
   * The DatasetRevisionAdded event a request under this context's idempotency key recorded
   * earlier on the dataset, or undefined: a retried revision answers with it instead of adding again.
   */
  async earlierRevision(datasetId: string, context: CommandContext): Promise<RecordedEvent | undefined> {
    const events = await this.kit.handler.earlierRun(datasetStream(datasetId), context);
    return events?.find((event) => event.type === 'DatasetRevisionAdded');
  }

  async getDataset(datasetId: string): Promise<DatasetState> {
    return (await this.kit.handler.load(datasetDecider, datasetStream(datasetId))).state;
  }

  private execute(
    datasetId: string,
    command: Parameters<typeof datasetDecider.decide>[0],
    context: CommandContext,
  ): Promise<CommandResult> {
    return this.kit.handler.handle(datasetDecider, datasetStream(datasetId), command, context);
  }
}
