import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  resolveTrainingDefaults,
  runStream,
  trainingRunDecider,
  type BaseModel,
  type BaseModelArchitecture,
  type CancelTrainingRun,
  type CompleteTrainingRun,
  type FailTrainingRun,
  type ModelRef,
  type ModelVersionFact,
  type ReportTrainingProgress,
  type RequestTrainingRun,
  type SaveCheckpoint,
  type TrainingDefaultsRequest,
  type TrainingMemoryFact,
  type TrainingMethod,
  type TrainingRunCommand,
  type TrainingRunFacts,
  type TrainingRunState,
} from '../domain/index.js';
// Deep imports on purpose: these files are free of tfjs, which the ml folder's index loads.
import { parseLlamaConfig, type LlamaConfig } from '../ml/config.js';
import { LINEAR_MODULES, type LinearModule } from '../ml/linearModules.js';
import { estimateTrainingMemory } from '../ml/memory/index.js';
import type { CommandContext } from './commandContext.js';
import type { CommandResult } from './commandHandler.js';
import type { Input, ServiceKit } from './serviceDependencies.js';

/** What a base model check found: nothing, a source it cannot look into, or a model directory. */
export type BaseModelInspection =
  | { readonly found: false }
  | {
      readonly found: true;
      /** Why what was found cannot be trained on (no config.json, not a LLaMA checkpoint). */
      readonly unusable?: string;
      /** The parsed config.json; absent when the source cannot be read here. */
      readonly config?: LlamaConfig;
    };

/**
 * Says whether a base model's weights are where the run says, and what its config.json holds. `true`
 * means found with nothing more known (the architecture checks are then skipped).
 */
export type BaseModelCheck = (source: BaseModel['source']) => Promise<boolean | BaseModelInspection>;

/**
 * The default check: a path must be a directory on this machine with a LLaMA config.json. An artifact
 * hash is taken on trust here (the artifact store lives in the data layer; pass a check that asks it).
 */
export const readBaseModelDirectory: BaseModelCheck = async (source) => {
  if (source.kind !== 'path') return true;
  const found = await stat(source.path).catch(() => undefined);
  if (!found) return { found: false };
  if (!found.isDirectory()) return { found: true, unusable: `${source.path} is not a directory` };
  let text: string;
  try {
    text = await readFile(join(source.path, 'config.json'), 'utf8');
  } catch {
    return { found: true, unusable: `${source.path} has no readable config.json` };
  }
  try {
    return { found: true, config: parseLlamaConfig(JSON.parse(text), join(source.path, 'config.json')) };
  } catch (error) {
    return { found: true, unusable: error instanceof Error ? error.message : String(error) };
  }
};

/**
 * The largest device memory, in bytes, that a registered worker reports; undefined when none reports
 * one (the memory check is then skipped).
 */
export type LargestWorkerDevice = () => Promise<number | undefined>;

/** The micro-batch and sequence length the training worker computes with by default (docs/training.md). */
const WORKER_MICRO_BATCH = 8;
const WORKER_MAX_SEQUENCE = 512;

/** The memoryEstimate of a resolved request on its base model, or undefined when it cannot be computed. */
function estimateRunMemory(
  config: LlamaConfig,
  method: TrainingMethod,
  stages: readonly { readonly batchSize: number }[],
  deviceBytes: number,
): TrainingMemoryFact | undefined {
  const trained = method.kind === 'lora' || method.kind === 'full' ? method : method.parameters;
  if (trained.kind === 'lora') {
    const known = trained.targetModules.every((m) => (LINEAR_MODULES as readonly string[]).includes(m));
    // Out-of-bounds values are the bounds check's to refuse, with a better message.
    if (!known || !Number.isInteger(trained.r) || trained.r < 1) return undefined;
  }
  const largestBatch = Math.max(...stages.map((stage) => stage.batchSize));
  if (!Number.isInteger(largestBatch) || largestBatch < 1) return undefined;
  const estimate = estimateTrainingMemory({
    model: config,
    method:
      trained.kind === 'lora'
        ? { kind: 'lora', r: trained.r, targetModules: trained.targetModules as LinearModule[] }
        : { kind: 'full' },
    batchSize: Math.min(largestBatch, WORKER_MICRO_BATCH),
    sequenceLength: Math.min(WORKER_MAX_SEQUENCE, config.maxPositionEmbeddings),
    deviceBytes,
  });
  return { requiredBytes: estimate.totalBytes, deviceBytes, advice: estimate.advice };
}

/** A training request as callers give it: the guide's defaults fill in method, stages, loss and seed. */
export type TrainingRunRequestInput = Omit<
  Input<RequestTrainingRun>,
  'facts' | 'runId' | 'method' | 'stages' | 'loss' | 'seed'
> &
  TrainingDefaultsRequest & { runId?: string };

export interface LeaseInput {
  readonly runId: string;
  readonly workerId: string;
  /** How long the lease lasts from now. */
  readonly leaseMs: number;
}

export class TrainingRunService {
  constructor(
    private readonly kit: ServiceKit,
    private readonly baseModelCheck: BaseModelCheck = readBaseModelDirectory,
    private readonly largestWorkerDevice: LargestWorkerDevice = async () => undefined,
  ) {}

  /**
   * Requests a run after filling in the guide's defaults and checking, in their own streams, that the
   * dataset revision exists and that the models it names are retained registry versions, and, on the
   * base model's config.json, that the run fits it and the largest device workers report.
   */
  async requestTrainingRun(
    input: TrainingRunRequestInput,
    context: CommandContext,
  ): Promise<CommandResult & { runId: string }> {
    const runId = input.runId ?? this.kit.newId(context, 'runId');
    const resolved = { ...input, ...resolveTrainingDefaults(input) };
    const source = input.baseModel?.source;
    const retained = (fact: ModelVersionFact) => fact === 'retained' || fact === 'reward-model';
    const checked: boolean | BaseModelInspection =
      source?.kind === 'registry'
        ? retained(await this.kit.facts.modelVersion(source.model))
        : source
          ? await this.baseModelCheck(source)
          : false;
    const inspection: BaseModelInspection = typeof checked === 'boolean' ? { found: checked } : checked;
    const config = inspection.found ? inspection.config : undefined;
    // The engine trains LLaMA only, so its projections are the targets even when config.json is unread.
    const architecture: BaseModelArchitecture = {
      linearModules: LINEAR_MODULES,
      ...(config ? { hiddenSize: config.hiddenSize } : {}),
    };
    const deviceBytes = config ? await this.largestWorkerDevice() : undefined;
    const memory =
      config && deviceBytes !== undefined
        ? estimateRunMemory(config, resolved.method, resolved.stages, deviceBytes)
        : undefined;
    // Other registry versions the method trains against: PPO's must be a reward model, a DPO reference not.
    const named: { model: ModelRef; kind: ModelVersionFact }[] = [];
    // A method missing its reward model is refused by the domain (TRAINING_METHOD_INCOMPLETE), not here.
    if (resolved.method.kind === 'ppo' && resolved.method.rewardModel)
      named.push({ model: resolved.method.rewardModel, kind: 'reward-model' });
    if (resolved.method.kind === 'dpo' && resolved.method.referenceModel)
      named.push({ model: resolved.method.referenceModel, kind: 'retained' });
    const unavailableModels: ModelRef[] = [];
    for (const { model, kind } of named) {
      if ((await this.kit.facts.modelVersion(model)) !== kind) unavailableModels.push(model);
    }
    const facts: TrainingRunFacts = {
      dataset: await this.kit.facts.dataset(input.dataset.id),
      baseModelFound: inspection.found,
      ...(inspection.found && inspection.unusable ? { baseModelUnusable: inspection.unusable } : {}),
      architecture,
      ...(memory ? { memory } : {}),
      unavailableModels,
    };
    const result = await this.execute(
      runId,
      { ...resolved, type: 'RequestTrainingRun', runId, facts, at: this.kit.now() },
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
