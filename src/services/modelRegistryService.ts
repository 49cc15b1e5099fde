import {
  DomainError,
  modelDecider,
  modelStream,
  runStream,
  type ModelCommand,
  type ModelState,
  type ModelVersionRegistered,
  type TrainingRunCompleted,
  type TrainingRunRequested,
} from '../domain/index.js';
import { isAdmin, type CommandContext } from './commandContext.js';
import type { CommandResult } from './commandHandler.js';
import type { ServiceKit } from './serviceDependencies.js';

export interface RegisterModelVersionInput {
  readonly modelName: string;
  readonly runId: string;
  /** The version the caller expects to create; refused when another got there first. */
  readonly version?: number;
  /** A merged checkpoint made after training, when there is one. */
  readonly mergedArtifact?: string;
}

export interface PromoteInput {
  readonly modelName: string;
  readonly version: number;
  readonly stage: 'staging' | 'production';
  /** Evaluations offered as evidence; each is read from its own stream. */
  readonly evaluationIds?: readonly string[];
  /** Production without a passed evaluation; only for an actor with the admin role. */
  readonly overrideReason?: string;
}

export class ModelRegistryService {
  constructor(private readonly kit: ServiceKit) {}

  /**
   * Registers the next version of a model from a completed run: the summary (base model,
   * dataset, method, loss, artifact) is read from the run's own stream.
   */
  async registerModelVersion(
    input: RegisterModelVersionInput,
    context: CommandContext,
  ): Promise<CommandResult & { modelVersion: number | undefined }> {
    const runEvents = await this.kit.handler.readEvents(runStream(input.runId));
    const requested = runEvents.find(
      (event): event is TrainingRunRequested => event.type === 'TrainingRunRequested',
    );
    const completed = runEvents.find(
      (event): event is TrainingRunCompleted => event.type === 'TrainingRunCompleted',
    );
    if (!requested) {
      throw new DomainError('RUN_NOT_FOUND', `Training run "${input.runId}" was never requested.`, {
        runId: input.runId,
      });
    }
    const runStatus = await this.kit.facts.runStatus(input.runId);
    const artifact = completed?.data.artifact;
    const result = await this.execute(
      input.modelName,
      {
        type: 'RegisterModelVersion',
        modelName: input.modelName,
        runId: input.runId,
        ...(input.version !== undefined ? { version: input.version } : {}),
        baseModel: requested.data.baseModel.name,
        artifacts: {
          ...(artifact?.kind === 'weights'
            ? { weights: artifact.hash }
            : artifact
              ? { adapter: artifact.hash }
              : {}),
          ...(input.mergedArtifact ? { merged: input.mergedArtifact } : {}),
        },
        trainingSummary: {
          datasetId: requested.data.dataset.id,
          datasetRevision: requested.data.dataset.revision,
          method: requested.data.method.kind,
          finalLoss: completed?.data.finalLoss ?? 0,
          steps: completed?.data.steps ?? 0,
        },
        facts: { runStatus },
        at: this.kit.now(),
      },
      context,
    );
    const registered = result.events.find((event) => event.type === 'ModelVersionRegistered');
    return {
      ...result,
      modelVersion: (registered?.data as ModelVersionRegistered['data'] | undefined)?.version,
    };
  }

  /** Promotes a version; production needs a passed evaluation of it, or an admin's override. */
  async promote(input: PromoteInput, context: CommandContext): Promise<CommandResult> {
    const evaluations = await Promise.all(
      (input.evaluationIds ?? []).map((id) => this.kit.facts.evaluation(id)),
    );
    return this.execute(
      input.modelName,
      {
        type: 'PromoteModelVersion',
        modelName: input.modelName,
        version: input.version,
        stage: input.stage,
        approvedBy: context.actor,
        evaluations,
        ...(input.overrideReason !== undefined ? { override: { reason: input.overrideReason } } : {}),
        approverIsAdmin: isAdmin(context),
        at: this.kit.now(),
      },
      context,
    );
  }

  archive(
    input: { modelName: string; version: number; note?: string },
    context: CommandContext,
  ): Promise<CommandResult> {
    return this.execute(
      input.modelName,
      { ...input, type: 'ArchiveModelVersion', at: this.kit.now() },
      context,
    );
  }

  async getModel(modelName: string): Promise<ModelState> {
    return (await this.kit.handler.load(modelDecider, modelStream(modelName))).state;
  }

  private execute(modelName: string, command: ModelCommand, context: CommandContext): Promise<CommandResult> {
    return this.kit.handler.handle(modelDecider, modelStream(modelName), command, context);
  }
}
