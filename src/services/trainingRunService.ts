import { access } from 'node:fs/promises';
import {
  runStream,
  trainingRunDecider,
  type BaseModel,
  type CancelTrainingRun,
  type CompleteTrainingRun,
  type FailTrainingRun,
  type ModelRef,
  type ModelVersionFact,
  type ReportTrainingProgress,
  type RequestTrainingRun,
  type SaveCheckpoint,
  type TrainingRunCommand,
  type TrainingRunState,
} from '../domain/index.js';
import type { CommandContext } from './commandContext.js';
import type { CommandResult } from './commandHandler.js';
import type { Input, ServiceKit } from './serviceDependencies.js';

/** Says whether a base model's weights are where the run says. */
export type BaseModelCheck = (source: BaseModel['source']) => Promise<boolean>;

/**
 * The default check: a path must exist on this machine. An artifact hash is taken on trust here
 * (the artifact store lives in the data layer; pass a check that asks it).
 */
export const pathExists: BaseModelCheck = async (source) => {
  if (source.kind !== 'path') return true;
  try {
    await access(source.path);
    return true;
  } catch {
    return false;
  }
};

export interface LeaseInput {
  readonly runId: string;
  readonly workerId: string;
  /** How long the lease lasts from now. */
  readonly leaseMs: number;
}

export class TrainingRunService {
  constructor(
    private readonly kit: ServiceKit,
    private readonly baseModelCheck: BaseModelCheck = pathExists,
  ) {}

  /**
   * Requests a run after checking, in their own streams, that the dataset revision exists and that
   * the models it names are retained registry versions.
   */
  async requestTrainingRun(
    input: Omit<Input<RequestTrainingRun>, 'facts' | 'runId'> & { runId?: string },
    context: CommandContext,
  ): Promise<CommandResult & { runId: string }> {
    const runId = input.runId ?? this.kit.newId(context, 'runId');
    const source = input.baseModel.source;
    const retained = (fact: ModelVersionFact) => fact === 'retained' || fact === 'reward-model';
    const baseModelFound =
      source.kind === 'registry'
        ? retained(await this.kit.facts.modelVersion(source.model))
        : await this.baseModelCheck(source);
    // Other registry versions the method trains against: PPO's must be a reward model, a DPO reference not.
    const named: { model: ModelRef; kind: ModelVersionFact }[] = [];
    if (input.method.kind === 'ppo') named.push({ model: input.method.rewardModel, kind: 'reward-model' });
    if (input.method.kind === 'dpo' && input.method.referenceModel)
      named.push({ model: input.method.referenceModel, kind: 'retained' });
    const unavailableModels: ModelRef[] = [];
    for (const { model, kind } of named) {
      if ((await this.kit.facts.modelVersion(model)) !== kind) unavailableModels.push(model);
    }
    const facts = {
      dataset: await this.kit.facts.dataset(input.dataset.id),
      baseModelFound,
      unavailableModels,
    };
    const result = await this.execute(
      runId,
      { ...input, type: 'RequestTrainingRun', runId, facts, at: this.kit.now() },
      context,
    );
    return { ...result, runId };
  }

  claimRun(
    input: LeaseInput & { backend: { name: string; device: string } },
    context: CommandContext,
  ): Promise<CommandResult> {
    return this.execute(
      input.runId,
      {
        type: 'ClaimTrainingRun',
        runId: input.runId,
        workerId: input.workerId,
        backend: input.backend,
        leaseUntil: this.leaseUntil(input.leaseMs),
        at: this.kit.now(),
      },
      context,
    );
  }

  renewLease(input: LeaseInput, context: CommandContext): Promise<CommandResult> {
    return this.execute(
      input.runId,
      {
        type: 'RenewTrainingRunLease',
        runId: input.runId,
        workerId: input.workerId,
        leaseUntil: this.leaseUntil(input.leaseMs),
        at: this.kit.now(),
      },
      context,
    );
  }

  expireLease(runId: string, context: CommandContext): Promise<CommandResult> {
    return this.execute(runId, { type: 'ExpireTrainingRunLease', runId, at: this.kit.now() }, context);
  }

  startStage(
    input: { runId: string; workerId: string; stageIndex: number; steps: number },
    context: CommandContext,
  ): Promise<CommandResult> {
    return this.execute(input.runId, { ...input, type: 'StartTrainingStage', at: this.kit.now() }, context);
  }

  reportProgress(input: Input<ReportTrainingProgress>, context: CommandContext): Promise<CommandResult> {
    return this.execute(
      input.runId,
      { ...input, type: 'ReportTrainingProgress', at: this.kit.now() },
      context,
    );
  }

  saveCheckpoint(input: Input<SaveCheckpoint>, context: CommandContext): Promise<CommandResult> {
    return this.execute(input.runId, { ...input, type: 'SaveCheckpoint', at: this.kit.now() }, context);
  }

  completeRun(input: Input<CompleteTrainingRun>, context: CommandContext): Promise<CommandResult> {
    return this.execute(input.runId, { ...input, type: 'CompleteTrainingRun', at: this.kit.now() }, context);
  }

  failRun(input: Input<FailTrainingRun>, context: CommandContext): Promise<CommandResult> {
    return this.execute(input.runId, { ...input, type: 'FailTrainingRun', at: this.kit.now() }, context);
  }

  cancelRun(
    input: Omit<Input<CancelTrainingRun>, 'cancelledBy'>,
    context: CommandContext,
  ): Promise<CommandResult> {
    return this.execute(
      input.runId,
      { ...input, type: 'CancelTrainingRun', cancelledBy: context.actor, at: this.kit.now() },
      context,
    );
  }

  async getRun(runId: string): Promise<TrainingRunState> {
    return (await this.kit.handler.load(trainingRunDecider, runStream(runId))).state;
  }

  private leaseUntil(leaseMs: number): string {
    return new Date(this.kit.clock.now().getTime() + leaseMs).toISOString();
  }

  private execute(
    runId: string,
    command: TrainingRunCommand,
    context: CommandContext,
  ): Promise<CommandResult> {
    return this.kit.handler.handle(trainingRunDecider, runStream(runId), command, context);
  }
}
