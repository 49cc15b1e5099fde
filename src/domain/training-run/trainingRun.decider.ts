import { assertNever, ensure, requireFutureLease, type Decider, type ModelRef } from '../shared/index.js';
import type {
  CheckpointRef,
  CheckpointSaved,
  TrainingProgressReported,
  TrainingRunCancelled,
  TrainingRunClaimed,
  TrainingRunCompleted,
  TrainingRunEvent,
  TrainingRunFailed,
  TrainingRunLeaseExpired,
  TrainingRunLeaseRenewed,
  TrainingRunRequested,
  TrainingStage,
  TrainingStageStarted,
} from './trainingRun.events.js';
import {
  checkTrainingMemory,
  checkTrainingRequestBounds,
  type BaseModelArchitecture,
  type TrainingMemoryFact,
} from './trainingRunLimits.js';

/** What the application service found in other streams, passed in so decide stays pure. */
export interface TrainingRunFacts {
  /** The dataset as its stream stands; undefined when the stream is empty. */
  readonly dataset:
    | {
        readonly archived: boolean;
        readonly format: string;
        readonly revisions: ReadonlyMap<
          number,
          { readonly contentHash: string; readonly trainRecordCount: number }
        >;
      }
    | undefined;
  readonly baseModelFound: boolean;
  /** Why a base model that exists cannot be trained on (a directory without a usable config.json). */
  readonly baseModelUnusable?: string;
  /** What the base model's config.json says; undefined skips the checks that need it. */
  readonly architecture?: BaseModelArchitecture;
  /** The memory estimate against the largest device workers report; undefined when none reports one. */
  readonly memory?: TrainingMemoryFact;
  /** Registry versions the run names (reward model, reference policy) that are missing or archived. */
  readonly unavailableModels: readonly ModelRef[];
}

export type RequestTrainingRun = Omit<TrainingRunRequested['data'], 'dataset' | 'requestedAt'> & {
  readonly type: 'RequestTrainingRun';
  readonly dataset: { readonly id: string; readonly revision: number };
  readonly facts: TrainingRunFacts;
  readonly at: string;
};

export type ClaimTrainingRun = {
  readonly type: 'ClaimTrainingRun';
  readonly runId: string;
  readonly workerId: string;
  readonly backend: { readonly name: string; readonly device: string };
  readonly leaseUntil: string;
  readonly at: string;
};

export type RenewTrainingRunLease = {
  readonly type: 'RenewTrainingRunLease';
  readonly runId: string;
  readonly workerId: string;
  readonly leaseUntil: string;
  readonly at: string;
};

/** A sweeper's command: the holder missed its lease, free the run for another worker. */
export type ExpireTrainingRunLease = {
  readonly type: 'ExpireTrainingRunLease';
  readonly runId: string;
  readonly at: string;
};

export type StartTrainingStage = {
  readonly type: 'StartTrainingStage';
  readonly runId: string;
  readonly workerId: string;
  readonly stageIndex: number;
  readonly steps: number;
  readonly at: string;
};

export type ReportTrainingProgress = Omit<TrainingProgressReported['data'], 'attempt' | 'reportedAt'> & {
  readonly type: 'ReportTrainingProgress';
  readonly workerId: string;
  readonly at: string;
};

export type SaveCheckpoint = {
  readonly type: 'SaveCheckpoint';
  readonly runId: string;
  readonly workerId: string;
  readonly step: number;
  readonly artifactHash: string;
  readonly byteSize: number;
  readonly at: string;
};

export type CompleteTrainingRun = Omit<TrainingRunCompleted['data'], 'completedAt' | 'metrics'> & {
  readonly type: 'CompleteTrainingRun';
  readonly workerId: string;
  readonly metrics?: Record<string, number>;
  readonly at: string;
};

export type FailTrainingRun = {
  readonly type: 'FailTrainingRun';
  readonly runId: string;
  /** The reporting worker; absent when the system fails a run nobody holds. */
  readonly workerId?: string;
  readonly reason: string;
  readonly retryable: boolean;
  readonly at: string;
};

export type CancelTrainingRun = {
  readonly type: 'CancelTrainingRun';
  readonly runId: string;
  readonly reason: string;
  readonly cancelledBy: string;
  readonly at: string;
};

export type TrainingRunCommand =
  | RequestTrainingRun
  | ClaimTrainingRun
  | RenewTrainingRunLease
  | ExpireTrainingRunLease
  | StartTrainingStage
  | ReportTrainingProgress
  | SaveCheckpoint
  | CompleteTrainingRun
  | FailTrainingRun
  | CancelTrainingRun;

export type TrainingRunStatus =
  'none' | 'requested' | 'claimed' | 'lease-expired' | 'completed' | 'failed' | 'cancelled';
const terminal: readonly TrainingRunStatus[] = ['completed', 'failed', 'cancelled'];
export const isTerminalRunStatus = (status: TrainingRunStatus): boolean => terminal.includes(status);

export interface TrainingRunState {
  readonly status: TrainingRunStatus;
  readonly runId: string;
  readonly stages: readonly TrainingStage[];
  readonly maxSteps: number | undefined;
  readonly lease: { readonly workerId: string; readonly leaseUntil: string } | undefined;
  /** 0 before the first claim; each claim starts a new attempt. */
  readonly attempt: number;
  /** -1 before the first stage. */
  readonly stageIndex: number;
  readonly stageStartedInAttempt: number;
  /** The highest step of this attempt, or the step of the checkpoint it resumed from. */
  readonly lastStep: number;
  readonly lastCheckpoint: (CheckpointRef & { readonly stageIndex: number }) | undefined;
}

export const initialTrainingRunState = (): TrainingRunState => ({
  status: 'none',
  runId: '',
  stages: [],
  maxSteps: undefined,
  lease: undefined,
  attempt: 0,
  stageIndex: -1,
  stageStartedInAttempt: 0,
  lastStep: 0,
  lastCheckpoint: undefined,
});

export function evolveTrainingRun(state: TrainingRunState, event: TrainingRunEvent): TrainingRunState {
  switch (event.type) {
    case 'TrainingRunRequested':
      return {
        ...state,
        status: 'requested',
        runId: event.data.runId,
        stages: event.data.stages,
        maxSteps: event.data.maxSteps,
      };
    case 'TrainingRunClaimed': {
      const resumeStep = event.data.resumeFrom?.step ?? 0;
      return {
        ...state,
        status: 'claimed',
        lease: { workerId: event.data.workerId, leaseUntil: event.data.leaseUntil },
        attempt: event.data.attempt,
        lastStep: resumeStep,
        // A resumed attempt re-enters the stage of its checkpoint; without one it starts over.
        stageIndex: event.data.resumeFrom
          ? (state.lastCheckpoint?.stageIndex ?? 0)
          : event.data.attempt > 1
            ? -1
            : state.stageIndex,
      };
    }
    case 'TrainingRunLeaseRenewed':
      return state.lease ? { ...state, lease: { ...state.lease, leaseUntil: event.data.leaseUntil } } : state;
    case 'TrainingRunLeaseExpired':
      return { ...state, status: 'lease-expired', lease: undefined };
    case 'TrainingStageStarted':
      return {
        ...state,
        stageIndex: event.data.stageIndex,
        stageStartedInAttempt: event.data.attempt,
      };
    case 'TrainingProgressReported':
      return { ...state, lastStep: Math.max(state.lastStep, event.data.step) };
    case 'CheckpointSaved':
      return {
        ...state,
        lastCheckpoint: {
          step: event.data.step,
          artifactHash: event.data.artifactHash,
          stageIndex: event.data.stageIndex,
        },
      };
    case 'TrainingRunCompleted':
      return { ...state, status: 'completed', lease: undefined };
    case 'TrainingRunFailed':
      return { ...state, status: 'failed', lease: undefined };
    case 'TrainingRunCancelled':
      return { ...state, status: 'cancelled', lease: undefined };
    default:
      return assertNever(event);
  }
}

const time = (iso: string): number => Date.parse(iso);

function requireRun(state: TrainingRunState, runId: string): void {
  ensure(state.status !== 'none', 'RUN_NOT_FOUND', `Training run "${runId}" was never requested.`, { runId });
  ensure(
    !isTerminalRunStatus(state.status),
    'RUN_ALREADY_FINISHED',
    `Training run "${runId}" is already ${state.status}; nothing more can be reported on it. Request a new run (it may resume from this run's checkpoint).`,
    { runId, status: state.status },
  );
}

/** The command comes from the worker holding a live lease. */
function requireHolder(state: TrainingRunState, runId: string, workerId: string, at: string): void {
  requireRun(state, runId);
  ensure(
    state.status === 'claimed' && state.lease,
    'RUN_NOT_CLAIMED',
    `Training run "${runId}" is not claimed by any worker (status ${state.status}); claim it first.`,
    { runId, status: state.status },
  );
  ensure(
    state.lease.workerId === workerId,
    'RUN_NOT_LEASE_HOLDER',
    `Worker "${workerId}" does not hold training run "${runId}"; "${state.lease.workerId}" does. Stop working on it.`,
    { runId, workerId, holder: state.lease.workerId },
  );
  ensure(
    time(at) < time(state.lease.leaseUntil),
    'RUN_LEASE_EXPIRED',
    `The lease of worker "${workerId}" on training run "${runId}" expired at ${state.lease.leaseUntil}; stop and let the run be claimed again.`,
    { runId, workerId, leaseUntil: state.lease.leaseUntil },
  );
}

export function decideTrainingRun(
  command: TrainingRunCommand,
  state: TrainingRunState,
): readonly TrainingRunEvent[] {
  switch (command.type) {
    case 'RequestTrainingRun': {
      const { type: _type, facts, at, dataset, ...rest } = command;
      ensure(
        state.status === 'none',
        'RUN_ALREADY_REQUESTED',
        `Training run "${command.runId}" already exists; use a new run id.`,
        { runId: command.runId },
      );
      ensure(
        facts.dataset,
        'DATASET_NOT_FOUND',
        `Dataset "${dataset.id}" is not registered; register it and add a revision before training on it.`,
        { datasetId: dataset.id },
      );
      ensure(
        !facts.dataset.archived,
        'DATASET_ARCHIVED',
        `Dataset "${dataset.id}" is archived; train on a dataset that is not archived.`,
        { datasetId: dataset.id },
      );
      const revision = facts.dataset.revisions.get(dataset.revision);
      ensure(
        revision,
        'DATASET_REVISION_NOT_FOUND',
        `Dataset "${dataset.id}" has no revision ${dataset.revision} (it has ${facts.dataset.revisions.size}).`,
        { datasetId: dataset.id, revision: dataset.revision },
      );
      ensure(
        revision.trainRecordCount > 0,
        'DATASET_REVISION_EMPTY',
        `dataset.revision ${dataset.revision} of dataset "${dataset.id}" has no records in its train split; it must have at least 1.`,
        { field: 'dataset.revision', datasetId: dataset.id, revision: dataset.revision, bound: 1 },
      );
      checkTrainingRequestBounds(command, facts.architecture);
      for (const [index, stage] of command.stages.entries()) {
        const stageRevision =
          stage.datasetRevision === undefined ? revision : facts.dataset.revisions.get(stage.datasetRevision);
        ensure(
          stageRevision,
          'DATASET_REVISION_NOT_FOUND',
          `Stage ${index} ("${stage.name}") names revision ${stage.datasetRevision} of dataset "${dataset.id}", which does not exist.`,
          { datasetId: dataset.id, revision: stage.datasetRevision, stageIndex: index },
        );
        ensure(
          stageRevision.trainRecordCount > 0,
          'DATASET_REVISION_EMPTY',
          `stages[${index}].datasetRevision ${stage.datasetRevision} of dataset "${dataset.id}" has no records in its train split; it must have at least 1.`,
          {
            field: `stages[${index}].datasetRevision`,
            datasetId: dataset.id,
            revision: stage.datasetRevision,
            bound: 1,
          },
        );
      }
      const kind = command.method.kind;
      ensure(
        (kind !== 'reward-model' && kind !== 'dpo') || facts.dataset.format === 'preference',
        'METHOD_NEEDS_PREFERENCE_DATASET',
        `A ${kind} run trains on ranked preferences, but dataset "${dataset.id}" has format "${facts.dataset.format}"; use a preference dataset.`,
        { datasetId: dataset.id, method: kind },
      );
      ensure(
        facts.baseModelFound,
        'BASE_MODEL_NOT_FOUND',
        `Base model "${command.baseModel.name}" was not found at its source (${command.baseModel.source.kind}); check the path, hash or registry version.`,
        { baseModel: command.baseModel },
      );
      ensure(
        facts.baseModelUnusable === undefined,
        'BASE_MODEL_UNUSABLE',
        `baseModel.source of "${command.baseModel.name}" is not a model directory this platform can train: ${facts.baseModelUnusable}. It must be a LLaMA checkpoint directory with a config.json.`,
        { field: 'baseModel.source', baseModel: command.baseModel, reason: facts.baseModelUnusable },
      );
      checkTrainingMemory(facts.memory);
      const missing = facts.unavailableModels[0];
      ensure(
        !missing,
        'MODEL_VERSION_NOT_FOUND',
        `The run needs model ${missing?.name} v${missing?.version}, which is not a retained registry version of the kind it needs (PPO: a reward model; a DPO reference: a model that answers).`,
        { model: missing },
      );
      const requested: TrainingRunRequested = {
        type: 'TrainingRunRequested',
        data: { ...rest, dataset: { ...dataset, contentHash: revision.contentHash }, requestedAt: at },
      };
      return [requested];
    }
    case 'ClaimTrainingRun': {
      requireRun(state, command.runId);
      requireFutureLease(command.leaseUntil, command.at);
      const events: TrainingRunEvent[] = [];
      if (state.status === 'claimed' && state.lease) {
        ensure(
          time(command.at) >= time(state.lease.leaseUntil),
          'RUN_ALREADY_CLAIMED',
          `Training run "${command.runId}" is held by worker "${state.lease.workerId}" until ${state.lease.leaseUntil}; claim another run.`,
          { runId: command.runId, holder: state.lease.workerId, leaseUntil: state.lease.leaseUntil },
        );
        events.push(leaseExpired(state, command.at));
      }
      const resumeFrom = state.lastCheckpoint
        ? { step: state.lastCheckpoint.step, artifactHash: state.lastCheckpoint.artifactHash }
        : undefined;
      const claimed: TrainingRunClaimed = {
        type: 'TrainingRunClaimed',
        data: {
          runId: command.runId,
          workerId: command.workerId,
          backend: { ...command.backend },
          leaseUntil: command.leaseUntil,
          attempt: state.attempt + 1,
          ...(resumeFrom ? { resumeFrom } : {}),
          claimedAt: command.at,
        },
      };
      events.push(claimed);
      return events;
    }
    case 'RenewTrainingRunLease': {
      requireHolder(state, command.runId, command.workerId, command.at);
      requireFutureLease(command.leaseUntil, command.at);
      const renewed: TrainingRunLeaseRenewed = {
        type: 'TrainingRunLeaseRenewed',
        data: {
          runId: command.runId,
          workerId: command.workerId,
          attempt: state.attempt,
          leaseUntil: command.leaseUntil,
        },
      };
      return [renewed];
    }
    case 'ExpireTrainingRunLease': {
      requireRun(state, command.runId);
      ensure(
        state.status === 'claimed' && state.lease,
        'RUN_NOT_CLAIMED',
        `Training run "${command.runId}" holds no lease (status ${state.status}).`,
        { runId: command.runId, status: state.status },
      );
      ensure(
        time(command.at) >= time(state.lease.leaseUntil),
        'LEASE_STILL_VALID',
        `The lease of "${state.lease.workerId}" on training run "${command.runId}" runs until ${state.lease.leaseUntil}; it cannot expire at ${command.at}.`,
        { runId: command.runId, leaseUntil: state.lease.leaseUntil },
      );
      return [leaseExpired(state, command.at)];
    }
    case 'StartTrainingStage': {
      requireHolder(state, command.runId, command.workerId, command.at);
      const stage = state.stages[command.stageIndex];
      ensure(
        stage,
        'STAGE_NOT_FOUND',
        `Training run "${command.runId}" has ${state.stages.length} stage(s) (0..${state.stages.length - 1}); there is no stage ${command.stageIndex}.`,
        { runId: command.runId, stageIndex: command.stageIndex },
      );
      const next = command.stageIndex === state.stageIndex + 1;
      const restartAfterResume =
        command.stageIndex === state.stageIndex && state.stageStartedInAttempt < state.attempt;
      ensure(
        next || restartAfterResume,
        'STAGE_OUT_OF_ORDER',
        `Training run "${command.runId}" is in stage ${state.stageIndex}; stages run in order, so the next one is ${state.stageIndex + 1}, not ${command.stageIndex}.`,
        { runId: command.runId, current: state.stageIndex, requested: command.stageIndex },
      );
      const started: TrainingStageStarted = {
        type: 'TrainingStageStarted',
        data: {
          runId: command.runId,
          stageIndex: command.stageIndex,
          name: stage.name,
          learningRate: stage.learningRate,
          batchSize: stage.batchSize,
          steps: command.steps,
          attempt: state.attempt,
          startedAt: command.at,
        },
      };
      return [started];
    }
    case 'ReportTrainingProgress': {
      const { type: _type, workerId, at, ...progress } = command;
      requireHolder(state, command.runId, workerId, at);
      ensure(
        state.stageIndex >= 0 && progress.stageIndex === state.stageIndex,
        'STAGE_NOT_STARTED',
        `Progress names stage ${progress.stageIndex} but training run "${command.runId}" is in stage ${state.stageIndex}; start the stage first.`,
        { runId: command.runId, stageIndex: progress.stageIndex, current: state.stageIndex },
      );
      ensure(
        progress.step > state.lastStep,
        'STEP_WENT_BACKWARDS',
        `Step ${progress.step} of training run "${command.runId}" is not after step ${state.lastStep}; steps only go forwards.`,
        { runId: command.runId, step: progress.step, lastStep: state.lastStep },
      );
      ensure(
        progress.step <= progress.totalSteps &&
          (state.maxSteps === undefined || progress.step <= state.maxSteps),
        'STEP_BEYOND_TOTAL',
        `Step ${progress.step} is beyond the run's total of ${Math.min(progress.totalSteps, state.maxSteps ?? Infinity)} steps.`,
        {
          runId: command.runId,
          step: progress.step,
          totalSteps: progress.totalSteps,
          maxSteps: state.maxSteps,
        },
      );
      const reported: TrainingProgressReported = {
        type: 'TrainingProgressReported',
        data: { ...progress, attempt: state.attempt, reportedAt: at },
      };
      return [reported];
    }
    case 'SaveCheckpoint': {
      requireHolder(state, command.runId, command.workerId, command.at);
      ensure(
        state.stageIndex >= 0,
        'STAGE_NOT_STARTED',
        `Training run "${command.runId}" has not started a stage; a checkpoint belongs to a stage, so start one first.`,
        { runId: command.runId },
      );
      ensure(
        command.step <= state.lastStep,
        'CHECKPOINT_AHEAD_OF_PROGRESS',
        `A checkpoint at step ${command.step} is ahead of the last reported step ${state.lastStep}; report progress for the step first.`,
        { runId: command.runId, step: command.step, lastStep: state.lastStep },
      );
      ensure(
        !state.lastCheckpoint || command.step > state.lastCheckpoint.step,
        'CHECKPOINT_WENT_BACKWARDS',
        `A checkpoint at step ${command.step} is not after the last checkpoint (step ${state.lastCheckpoint?.step}).`,
        { runId: command.runId, step: command.step, lastCheckpointStep: state.lastCheckpoint?.step },
      );
      const saved: CheckpointSaved = {
        type: 'CheckpointSaved',
        data: {
          runId: command.runId,
          step: command.step,
          stageIndex: state.stageIndex,
          artifactHash: command.artifactHash,
          byteSize: command.byteSize,
          attempt: state.attempt,
          savedAt: command.at,
        },
      };
      return [saved];
    }
    case 'CompleteTrainingRun': {
      const { type: _type, workerId, at, metrics, ...result } = command;
      requireHolder(state, command.runId, workerId, at);
      ensure(
        result.steps >= state.lastStep,
        'STEP_WENT_BACKWARDS',
        `Training run "${command.runId}" reported step ${state.lastStep}, so it cannot complete after ${result.steps} steps.`,
        { runId: command.runId, steps: result.steps, lastStep: state.lastStep },
      );
      const completed: TrainingRunCompleted = {
        type: 'TrainingRunCompleted',
        data: { ...result, artifact: { ...result.artifact }, metrics: { ...metrics }, completedAt: at },
      };
      return [completed];
    }
    case 'FailTrainingRun': {
      if (command.workerId !== undefined) requireHolder(state, command.runId, command.workerId, command.at);
      else requireRun(state, command.runId);
      const failed: TrainingRunFailed = {
        type: 'TrainingRunFailed',
        data: {
          runId: command.runId,
          reason: command.reason,
          step: state.lastStep,
          retryable: command.retryable,
          ...(state.lastCheckpoint
            ? {
                lastCheckpoint: {
                  step: state.lastCheckpoint.step,
                  artifactHash: state.lastCheckpoint.artifactHash,
                },
              }
            : {}),
          failedAt: command.at,
        },
      };
      return [failed];
    }
    case 'CancelTrainingRun': {
      requireRun(state, command.runId);
      const cancelled: TrainingRunCancelled = {
        type: 'TrainingRunCancelled',
        data: {
          runId: command.runId,
          reason: command.reason,
          cancelledBy: command.cancelledBy,
          cancelledAt: command.at,
        },
      };
      return [cancelled];
    }
    default:
      return assertNever(command);
  }
}

function leaseExpired(state: TrainingRunState, at: string): TrainingRunLeaseExpired {
  return {
    type: 'TrainingRunLeaseExpired',
    data: {
      runId: state.runId,
      workerId: state.lease?.workerId ?? 'unknown',
      attempt: state.attempt,
      leaseUntil: state.lease?.leaseUntil ?? at,
      lastStep: state.lastStep,
      ...(state.lastCheckpoint
        ? { resumeFrom: { step: state.lastCheckpoint.step, artifactHash: state.lastCheckpoint.artifactHash } }
        : {}),
      detectedAt: at,
    },
  };
}

export const trainingRunDecider: Decider<TrainingRunCommand, TrainingRunEvent, TrainingRunState> = {
  initialState: initialTrainingRunState,
  evolve: evolveTrainingRun,
  decide: decideTrainingRun,
};
