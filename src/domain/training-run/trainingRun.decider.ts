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

/** What a requested run is and how far it got; every state after the request carries it. */
interface RunSoFar {
  readonly runId: string;
  readonly stages: readonly TrainingStage[];
  readonly maxSteps: number | undefined;
  /** 0 before the first claim; each claim starts a new attempt. */
  readonly attempt: number;
  /** -1 before the first stage. */
  readonly stageIndex: number;
  readonly stageStartedInAttempt: number;
  /** The highest step of this attempt, or the step of the checkpoint it resumed from. */
  readonly lastStep: number;
  readonly lastCheckpoint: (CheckpointRef & { readonly stageIndex: number }) | undefined;
}

export interface TrainingRunLease {
  readonly workerId: string;
  readonly leaseUntil: string;
}

/** Nothing was requested on this stream. */
export interface NoTrainingRun {
  readonly status: 'none';
}

/** Requested, or its last lease lapsed: waiting for a worker to claim it. */
export interface WaitingTrainingRun extends RunSoFar {
  readonly status: 'requested' | 'lease-expired';
}

/** A worker holds it: the only state with a lease, and the only one in which work is reported. */
export interface ClaimedTrainingRun extends RunSoFar {
  readonly status: 'claimed';
  readonly lease: TrainingRunLease;
}

/** Ended for good: nothing more is accepted. */
export interface FinishedTrainingRun extends RunSoFar {
  readonly status: 'completed' | 'failed' | 'cancelled';
}

/**
 * A training run as its stream stands. The status says which fields exist: only a claimed run has
 * a lease, so "claimed without a lease" or "finished with a lease" cannot be written down.
 */
export type TrainingRunState = NoTrainingRun | WaitingTrainingRun | ClaimedTrainingRun | FinishedTrainingRun;

/** A run that exists and has not ended. */
type LiveTrainingRun = WaitingTrainingRun | ClaimedTrainingRun;

export type TrainingRunStatus = TrainingRunState['status'];
const terminal: readonly TrainingRunStatus[] = ['completed', 'failed', 'cancelled'];
export const isTerminalRunStatus = (status: TrainingRunStatus): boolean => terminal.includes(status);
const isFinished = (state: TrainingRunState): state is FinishedTrainingRun =>
  isTerminalRunStatus(state.status);

export const initialTrainingRunState = (): TrainingRunState => ({ status: 'none' });

// ---------------------------------------------------------------------------------------------
// evolve: one function per event, each from the states in which that event can occur.

function requested(event: TrainingRunRequested): WaitingTrainingRun {
  return {
    status: 'requested',
    runId: event.data.runId,
    stages: event.data.stages,
    maxSteps: event.data.maxSteps,
    attempt: 0,
    stageIndex: -1,
    stageStartedInAttempt: 0,
    lastStep: 0,
    lastCheckpoint: undefined,
  };
}

function claimed(run: RunSoFar, event: TrainingRunClaimed): ClaimedTrainingRun {
  const { workerId, leaseUntil, attempt, resumeFrom } = event.data;
  return {
    ...run,
    status: 'claimed',
    lease: { workerId, leaseUntil },
    attempt,
    lastStep: resumeFrom?.step ?? 0,
    // A resumed attempt re-enters the stage of its checkpoint; without one it starts over.
    stageIndex: resumeFrom ? (run.lastCheckpoint?.stageIndex ?? 0) : attempt > 1 ? -1 : run.stageIndex,
  };
}

/** The run without its lease, in a state that has none. */
function withoutLease<Status extends (WaitingTrainingRun | FinishedTrainingRun)['status']>(
  state: WaitingTrainingRun | ClaimedTrainingRun | FinishedTrainingRun,
  status: Status,
): RunSoFar & { readonly status: Status } {
  const { runId, stages, maxSteps, attempt, stageIndex, stageStartedInAttempt, lastStep, lastCheckpoint } =
    state;
  return {
    status,
    runId,
    stages,
    maxSteps,
    attempt,
    stageIndex,
    stageStartedInAttempt,
    lastStep,
    lastCheckpoint,
  };
}

export function evolveTrainingRun(state: TrainingRunState, event: TrainingRunEvent): TrainingRunState {
  if (state.status === 'none') return event.type === 'TrainingRunRequested' ? requested(event) : state;
  switch (event.type) {
    case 'TrainingRunRequested':
      return state;
    case 'TrainingRunClaimed':
      return claimed(state, event);
    case 'TrainingRunLeaseRenewed':
      return state.status === 'claimed'
        ? { ...state, lease: { ...state.lease, leaseUntil: event.data.leaseUntil } }
        : state;
    case 'TrainingRunLeaseExpired':
      return withoutLease(state, 'lease-expired');
    case 'TrainingStageStarted':
      return { ...state, stageIndex: event.data.stageIndex, stageStartedInAttempt: event.data.attempt };
    case 'TrainingProgressReported':
      return { ...state, lastStep: Math.max(state.lastStep, event.data.step) };
    case 'CheckpointSaved': {
      const { step, artifactHash, stageIndex } = event.data;
      return { ...state, lastCheckpoint: { step, artifactHash, stageIndex } };
    }
    case 'TrainingRunCompleted':
      return withoutLease(state, 'completed');
    case 'TrainingRunFailed':
      return withoutLease(state, 'failed');
    case 'TrainingRunCancelled':
      return withoutLease(state, 'cancelled');
    default:
      return assertNever(event);
  }
}

// ---------------------------------------------------------------------------------------------
// decide: a dispatch to one function per command.

export function decideTrainingRun(
  command: TrainingRunCommand,
  state: TrainingRunState,
): readonly TrainingRunEvent[] {
  switch (command.type) {
    case 'RequestTrainingRun':
      return [requestRun(command, state)];
    case 'ClaimTrainingRun':
      return claimRun(command, state);
    case 'RenewTrainingRunLease':
      return [renewLease(command, state)];
    case 'ExpireTrainingRunLease':
      return [expireLease(command, state)];
    case 'StartTrainingStage':
      return [startStage(command, state)];
    case 'ReportTrainingProgress':
      return [reportProgress(command, state)];
    case 'SaveCheckpoint':
      return [saveCheckpoint(command, state)];
    case 'CompleteTrainingRun':
      return [completeRun(command, state)];
    case 'FailTrainingRun':
      return [failRun(command, state)];
    case 'CancelTrainingRun':
      return [cancelRun(command, state)];
    default:
      return assertNever(command);
  }
}

const time = (iso: string): number => Date.parse(iso);

/** The run exists and has not ended. */
function liveRun(state: TrainingRunState, runId: string): LiveTrainingRun {
  ensure(state.status !== 'none', 'RUN_NOT_FOUND', `Training run "${runId}" was never requested.`, { runId });
  ensure(
    !isFinished(state),
    'RUN_ALREADY_FINISHED',
    `Training run "${runId}" is already ${state.status}; nothing more can be reported on it. Request a new run (it may resume from this run's checkpoint).`,
    { runId, status: state.status },
  );
  return state;
}

/** The run is claimed (whoever holds it). */
function claimedRun(state: TrainingRunState, runId: string, message: string): ClaimedTrainingRun {
  const run = liveRun(state, runId);
  ensure(run.status === 'claimed', 'RUN_NOT_CLAIMED', message, { runId, status: run.status });
  return run;
}

/** The command comes from the worker holding a live lease. */
function heldRun(state: TrainingRunState, runId: string, workerId: string, at: string): ClaimedTrainingRun {
  const run = claimedRun(
    state,
    runId,
    `Training run "${runId}" is not claimed by any worker (status ${state.status}); claim it first.`,
  );
  ensure(
    run.lease.workerId === workerId,
    'RUN_NOT_LEASE_HOLDER',
    `Worker "${workerId}" does not hold training run "${runId}"; "${run.lease.workerId}" does. Stop working on it.`,
    { runId, workerId, holder: run.lease.workerId },
  );
  ensure(
    time(at) < time(run.lease.leaseUntil),
    'RUN_LEASE_EXPIRED',
    `The lease of worker "${workerId}" on training run "${runId}" expired at ${run.lease.leaseUntil}; stop and let the run be claimed again.`,
    { runId, workerId, leaseUntil: run.lease.leaseUntil },
  );
  return run;
}

function requestRun(command: RequestTrainingRun, state: TrainingRunState): TrainingRunRequested {
  const { type: _type, facts, at, dataset, ...rest } = command;
  ensure(
    state.status === 'none',
    'RUN_ALREADY_REQUESTED',
    `Training run "${command.runId}" already exists; use a new run id.`,
    { runId: command.runId },
  );
  const revision = requireTrainableDataset(command);
  checkTrainingRequestBounds(command, facts.architecture);
  requireTrainableStages(command);
  requireUsableModels(command);
  return {
    type: 'TrainingRunRequested',
    data: { ...rest, dataset: { ...dataset, contentHash: revision.contentHash }, requestedAt: at },
  };
}

type DatasetFact = NonNullable<TrainingRunFacts['dataset']>;
type RevisionFact = DatasetFact['revisions'] extends ReadonlyMap<number, infer Revision> ? Revision : never;

/** The dataset exists, is not archived, and the run's revision has training records; gives that revision. */
function requireTrainableDataset({ dataset, facts }: RequestTrainingRun): RevisionFact {
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
  return revision;
}

/** Every stage's own revision (default: the run's) exists and has training records. */
function requireTrainableStages({ dataset, facts, stages }: RequestTrainingRun): void {
  const revisions = facts.dataset!.revisions;
  for (const [index, stage] of stages.entries()) {
    const stageRevision = revisions.get(stage.datasetRevision ?? dataset.revision);
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
}

/** The method fits the dataset, the base model is there and usable, fits in memory, and named registry versions exist. */
function requireUsableModels({ dataset, facts, method, baseModel }: RequestTrainingRun): void {
  const format = facts.dataset!.format;
  ensure(
    (method.kind !== 'reward-model' && method.kind !== 'dpo') || format === 'preference',
    'METHOD_NEEDS_PREFERENCE_DATASET',
    `A ${method.kind} run trains on ranked preferences, but dataset "${dataset.id}" has format "${format}"; use a preference dataset.`,
    { datasetId: dataset.id, method: method.kind },
  );
  ensure(
    facts.baseModelFound,
    'BASE_MODEL_NOT_FOUND',
    `Base model "${baseModel.name}" was not found at its source (${baseModel.source.kind}); check the path, hash or registry version.`,
    { baseModel },
  );
  ensure(
    facts.baseModelUnusable === undefined,
    'BASE_MODEL_UNUSABLE',
    `baseModel.source of "${baseModel.name}" is not a model directory this platform can train: ${facts.baseModelUnusable}. It must be a LLaMA checkpoint directory with a config.json.`,
    { field: 'baseModel.source', baseModel, reason: facts.baseModelUnusable },
  );
  checkTrainingMemory(facts.memory);
  const missing = facts.unavailableModels[0];
  ensure(
    !missing,
    'MODEL_VERSION_NOT_FOUND',
    `The run needs model ${missing?.name} v${missing?.version}, which is not a retained registry version of the kind it needs (PPO: a reward model; a DPO reference: a model that answers).`,
    { model: missing },
  );
}

/** A new attempt; taking over a lapsed lease first records that it expired. */
function claimRun(command: ClaimTrainingRun, state: TrainingRunState): TrainingRunEvent[] {
  const run = liveRun(state, command.runId);
  requireFutureLease(command.leaseUntil, command.at);
  const events: TrainingRunEvent[] = [];
  if (run.status === 'claimed') {
    ensure(
      time(command.at) >= time(run.lease.leaseUntil),
      'RUN_ALREADY_CLAIMED',
      `Training run "${command.runId}" is held by worker "${run.lease.workerId}" until ${run.lease.leaseUntil}; claim another run.`,
      { runId: command.runId, holder: run.lease.workerId, leaseUntil: run.lease.leaseUntil },
    );
    events.push(leaseExpired(run, command.at));
  }
  const resumeFrom = checkpointRef(run);
  events.push({
    type: 'TrainingRunClaimed',
    data: {
      runId: command.runId,
      workerId: command.workerId,
      backend: { ...command.backend },
      leaseUntil: command.leaseUntil,
      attempt: run.attempt + 1,
      ...(resumeFrom ? { resumeFrom } : {}),
      claimedAt: command.at,
    },
  });
  return events;
}

function renewLease(command: RenewTrainingRunLease, state: TrainingRunState): TrainingRunLeaseRenewed {
  const run = heldRun(state, command.runId, command.workerId, command.at);
  requireFutureLease(command.leaseUntil, command.at);
  return {
    type: 'TrainingRunLeaseRenewed',
    data: {
      runId: command.runId,
      workerId: command.workerId,
      attempt: run.attempt,
      leaseUntil: command.leaseUntil,
    },
  };
}

function expireLease(command: ExpireTrainingRunLease, state: TrainingRunState): TrainingRunLeaseExpired {
  const run = claimedRun(
    state,
    command.runId,
    `Training run "${command.runId}" holds no lease (status ${state.status}).`,
  );
  ensure(
    time(command.at) >= time(run.lease.leaseUntil),
    'LEASE_STILL_VALID',
    `The lease of "${run.lease.workerId}" on training run "${command.runId}" runs until ${run.lease.leaseUntil}; it cannot expire at ${command.at}.`,
    { runId: command.runId, leaseUntil: run.lease.leaseUntil },
  );
  return leaseExpired(run, command.at);
}

/** Stages run in order; after a re-claim the checkpoint's stage may start again. */
function startStage(command: StartTrainingStage, state: TrainingRunState): TrainingStageStarted {
  const run = heldRun(state, command.runId, command.workerId, command.at);
  const stage = run.stages[command.stageIndex];
  ensure(
    stage,
    'STAGE_NOT_FOUND',
    `Training run "${command.runId}" has ${run.stages.length} stage(s) (0..${run.stages.length - 1}); there is no stage ${command.stageIndex}.`,
    { runId: command.runId, stageIndex: command.stageIndex },
  );
  const next = command.stageIndex === run.stageIndex + 1;
  const restartAfterResume = command.stageIndex === run.stageIndex && run.stageStartedInAttempt < run.attempt;
  ensure(
    next || restartAfterResume,
    'STAGE_OUT_OF_ORDER',
    `Training run "${command.runId}" is in stage ${run.stageIndex}; stages run in order, so the next one is ${run.stageIndex + 1}, not ${command.stageIndex}.`,
    { runId: command.runId, current: run.stageIndex, requested: command.stageIndex },
  );
  return {
    type: 'TrainingStageStarted',
    data: {
      runId: command.runId,
      stageIndex: command.stageIndex,
      name: stage.name,
      learningRate: stage.learningRate,
      batchSize: stage.batchSize,
      steps: command.steps,
      attempt: run.attempt,
      startedAt: command.at,
    },
  };
}

/** Progress is in the current stage, strictly after the last step, and within the total. */
function reportProgress(command: ReportTrainingProgress, state: TrainingRunState): TrainingProgressReported {
  const { type: _type, workerId, at, ...progress } = command;
  const run = heldRun(state, command.runId, workerId, at);
  ensure(
    run.stageIndex >= 0 && progress.stageIndex === run.stageIndex,
    'STAGE_NOT_STARTED',
    `Progress names stage ${progress.stageIndex} but training run "${command.runId}" is in stage ${run.stageIndex}; start the stage first.`,
    { runId: command.runId, stageIndex: progress.stageIndex, current: run.stageIndex },
  );
  ensure(
    progress.step > run.lastStep,
    'STEP_WENT_BACKWARDS',
    `Step ${progress.step} of training run "${command.runId}" is not after step ${run.lastStep}; steps only go forwards.`,
    { runId: command.runId, step: progress.step, lastStep: run.lastStep },
  );
  ensure(
    progress.step <= progress.totalSteps && (run.maxSteps === undefined || progress.step <= run.maxSteps),
    'STEP_BEYOND_TOTAL',
    `Step ${progress.step} is beyond the run's total of ${Math.min(progress.totalSteps, run.maxSteps ?? Infinity)} steps.`,
    { runId: command.runId, step: progress.step, totalSteps: progress.totalSteps, maxSteps: run.maxSteps },
  );
  return {
    type: 'TrainingProgressReported',
    data: { ...progress, attempt: run.attempt, reportedAt: at },
  };
}

/** A checkpoint belongs to a started stage, at a reported step, after the last checkpoint. */
function saveCheckpoint(command: SaveCheckpoint, state: TrainingRunState): CheckpointSaved {
  const run = heldRun(state, command.runId, command.workerId, command.at);
  ensure(
    run.stageIndex >= 0,
    'STAGE_NOT_STARTED',
    `Training run "${command.runId}" has not started a stage; a checkpoint belongs to a stage, so start one first.`,
    { runId: command.runId },
  );
  ensure(
    command.step <= run.lastStep,
    'CHECKPOINT_AHEAD_OF_PROGRESS',
    `A checkpoint at step ${command.step} is ahead of the last reported step ${run.lastStep}; report progress for the step first.`,
    { runId: command.runId, step: command.step, lastStep: run.lastStep },
  );
  ensure(
    !run.lastCheckpoint || command.step > run.lastCheckpoint.step,
    'CHECKPOINT_WENT_BACKWARDS',
    `A checkpoint at step ${command.step} is not after the last checkpoint (step ${run.lastCheckpoint?.step}).`,
    { runId: command.runId, step: command.step, lastCheckpointStep: run.lastCheckpoint?.step },
  );
  return {
    type: 'CheckpointSaved',
    data: {
      runId: command.runId,
      step: command.step,
      stageIndex: run.stageIndex,
      artifactHash: command.artifactHash,
      byteSize: command.byteSize,
      attempt: run.attempt,
      savedAt: command.at,
    },
  };
}

function completeRun(command: CompleteTrainingRun, state: TrainingRunState): TrainingRunCompleted {
  const { type: _type, workerId, at, metrics, ...result } = command;
  const run = heldRun(state, command.runId, workerId, at);
  ensure(
    result.steps >= run.lastStep,
    'STEP_WENT_BACKWARDS',
    `Training run "${command.runId}" reported step ${run.lastStep}, so it cannot complete after ${result.steps} steps.`,
    { runId: command.runId, steps: result.steps, lastStep: run.lastStep },
  );
  return {
    type: 'TrainingRunCompleted',
    data: { ...result, artifact: { ...result.artifact }, metrics: { ...metrics }, completedAt: at },
  };
}

/** The holder fails its run; without a worker id the system fails a run nobody need hold. */
function failRun(command: FailTrainingRun, state: TrainingRunState): TrainingRunFailed {
  const run =
    command.workerId !== undefined
      ? heldRun(state, command.runId, command.workerId, command.at)
      : liveRun(state, command.runId);
  const lastCheckpoint = checkpointRef(run);
  return {
    type: 'TrainingRunFailed',
    data: {
      runId: command.runId,
      reason: command.reason,
      step: run.lastStep,
      retryable: command.retryable,
      ...(lastCheckpoint ? { lastCheckpoint } : {}),
      failedAt: command.at,
    },
  };
}

function cancelRun(command: CancelTrainingRun, state: TrainingRunState): TrainingRunCancelled {
  liveRun(state, command.runId);
  return {
    type: 'TrainingRunCancelled',
    data: {
      runId: command.runId,
      reason: command.reason,
      cancelledBy: command.cancelledBy,
      cancelledAt: command.at,
    },
  };
}

function checkpointRef(run: RunSoFar): CheckpointRef | undefined {
  return run.lastCheckpoint
    ? { step: run.lastCheckpoint.step, artifactHash: run.lastCheckpoint.artifactHash }
    : undefined;
}

function leaseExpired(run: ClaimedTrainingRun, at: string): TrainingRunLeaseExpired {
  const resumeFrom = checkpointRef(run);
  return {
    type: 'TrainingRunLeaseExpired',
    data: {
      runId: run.runId,
      workerId: run.lease.workerId,
      attempt: run.attempt,
      leaseUntil: run.lease.leaseUntil,
      lastStep: run.lastStep,
      ...(resumeFrom ? { resumeFrom } : {}),
      detectedAt: at,
    },
  };
}

export const trainingRunDecider: Decider<TrainingRunCommand, TrainingRunEvent, TrainingRunState> = {
  initialState: initialTrainingRunState,
  evolve: evolveTrainingRun,
  decide: decideTrainingRun,
};
