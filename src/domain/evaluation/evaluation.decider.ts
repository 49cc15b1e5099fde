import { assertNever, ensure, requireFutureLease, type Decider } from '../shared/index.js';
import type {
  EvaluationClaimed,
  EvaluationCompleted,
  EvaluationEvent,
  EvaluationFailed,
  EvaluationLeaseRenewed,
  EvaluationProgressReported,
  EvaluationRequested,
  GateThreshold,
} from './evaluation.events.js';
import { evaluateGate } from './evaluationGate.js';

/** Where the model version stands in its registry stream, looked up by the service. */
/** A retained reward model is told apart: it scores answers, it cannot produce the ones evaluated. */
export type ModelVersionFact = 'retained' | 'reward-model' | 'archived' | 'missing';

export type RequestEvaluation = Omit<EvaluationRequested['data'], 'requestedAt' | 'gate'> & {
  readonly type: 'RequestEvaluation';
  readonly gate?: readonly GateThreshold[];
  readonly facts: { readonly modelVersion: ModelVersionFact; readonly datasetRevisionFound: boolean };
  readonly at: string;
};

export type ClaimEvaluation = {
  readonly type: 'ClaimEvaluation';
  readonly evaluationId: string;
  readonly workerId: string;
  readonly leaseUntil: string;
  readonly at: string;
};

export type RenewEvaluationLease = {
  readonly type: 'RenewEvaluationLease';
  readonly evaluationId: string;
  readonly workerId: string;
  readonly leaseUntil: string;
  readonly at: string;
};

export type ReportEvaluationProgress = {
  readonly type: 'ReportEvaluationProgress';
  readonly evaluationId: string;
  readonly workerId: string;
  readonly completedExamples: number;
  readonly totalExamples: number;
  readonly at: string;
};

export type CompleteEvaluation = Omit<
  EvaluationCompleted['data'],
  'model' | 'gate' | 'completedAt' | 'categories' | 'errorTaxonomy' | 'artifacts'
> &
  Partial<Pick<EvaluationCompleted['data'], 'categories' | 'errorTaxonomy' | 'artifacts'>> & {
    readonly type: 'CompleteEvaluation';
    readonly workerId: string;
    readonly at: string;
  };

export type FailEvaluation = {
  readonly type: 'FailEvaluation';
  readonly evaluationId: string;
  readonly workerId?: string;
  readonly reason: string;
  readonly at: string;
};

export type EvaluationCommand =
  | RequestEvaluation
  | ClaimEvaluation
  | RenewEvaluationLease
  | ReportEvaluationProgress
  | CompleteEvaluation
  | FailEvaluation;

interface EvaluationSoFar {
  readonly evaluationId: string;
  readonly model: { readonly name: string; readonly version: number };
  readonly gate: readonly GateThreshold[];
  /** How many claims there have been; each claim starts a new attempt. */
  readonly attempt: number;
  /** Examples finished in the current attempt. */
  readonly completedExamples: number;
}

export interface EvaluationLease {
  readonly workerId: string;
  readonly leaseUntil: string;
}

/** Nothing was requested on this stream. */
export interface NoEvaluation {
  readonly status: 'none';
}

/** Requested and waiting for a worker. */
export interface WaitingEvaluation extends EvaluationSoFar {
  readonly status: 'requested';
}

/** A worker holds it: the only state with a lease, and the only one in which work is reported. */
export interface ClaimedEvaluation extends EvaluationSoFar {
  readonly status: 'claimed';
  readonly lease: EvaluationLease;
}

/** Ended for good; a completed evaluation knows whether it passed its gate. */
export interface FinishedEvaluation extends EvaluationSoFar {
  readonly status: 'completed' | 'failed';
  readonly passed: boolean | undefined;
}

/**
 * An evaluation as its stream stands. The status says which fields exist: only a claimed
 * evaluation has a lease, so "claimed without a lease" or "finished with a lease" cannot be written.
 */
export type EvaluationState = NoEvaluation | WaitingEvaluation | ClaimedEvaluation | FinishedEvaluation;
export type EvaluationStatus = EvaluationState['status'];

/** An evaluation that exists and has not ended. */
type LiveEvaluation = WaitingEvaluation | ClaimedEvaluation;

const isFinished = (state: EvaluationState): state is FinishedEvaluation =>
  state.status === 'completed' || state.status === 'failed';

export const initialEvaluationState = (): EvaluationState => ({ status: 'none' });

// ---------------------------------------------------------------------------------------------
// evolve: one case per event, each from the states in which that event can occur.

function requested(event: EvaluationRequested): WaitingEvaluation {
  const { evaluationId, model, gate } = event.data;
  return { status: 'requested', evaluationId, model, gate, attempt: 0, completedExamples: 0 };
}

/** The evaluation so far, without a lease, in a finished state. */
function finished(
  state: LiveEvaluation | FinishedEvaluation,
  status: FinishedEvaluation['status'],
  passed: boolean | undefined,
): FinishedEvaluation {
  const { evaluationId, model, gate, attempt, completedExamples } = state;
  return { status, evaluationId, model, gate, attempt, completedExamples, passed };
}

export function evolveEvaluation(state: EvaluationState, event: EvaluationEvent): EvaluationState {
  if (state.status === 'none') return event.type === 'EvaluationRequested' ? requested(event) : state;
  switch (event.type) {
    case 'EvaluationRequested':
      return state;
    case 'EvaluationClaimed': {
      const { workerId, leaseUntil, attempt } = event.data;
      const { evaluationId, model, gate } = state;
      return {
        status: 'claimed',
        evaluationId,
        model,
        gate,
        lease: { workerId, leaseUntil },
        attempt,
        completedExamples: 0,
      };
    }
    case 'EvaluationLeaseRenewed':
      return state.status === 'claimed'
        ? { ...state, lease: { workerId: event.data.workerId, leaseUntil: event.data.leaseUntil } }
        : state;
    case 'EvaluationProgressReported':
      return { ...state, completedExamples: event.data.completedExamples };
    case 'EvaluationCompleted':
      return finished(state, 'completed', event.data.gate.passed);
    case 'EvaluationFailed':
      return finished(state, 'failed', undefined);
    default:
      return assertNever(event);
  }
}

// ---------------------------------------------------------------------------------------------
// decide: a dispatch to one function per command.

/** The interaction under which record `recordId` of an evaluation is labeled (its error category). */
export const evaluationInteractionId = (evaluationId: string, recordId: string): string =>
  `eval-${evaluationId}-${recordId}`;

export function decideEvaluation(
  command: EvaluationCommand,
  state: EvaluationState,
): readonly EvaluationEvent[] {
  switch (command.type) {
    case 'RequestEvaluation':
      return [requestEvaluation(command, state)];
    case 'ClaimEvaluation':
      return [claimEvaluation(command, state)];
    case 'RenewEvaluationLease':
      return [renewLease(command, state)];
    case 'ReportEvaluationProgress':
      return [reportProgress(command, state)];
    case 'CompleteEvaluation':
      return [completeEvaluation(command, state)];
    case 'FailEvaluation':
      return [failEvaluation(command, state)];
    default:
      return assertNever(command);
  }
}

const time = (iso: string): number => Date.parse(iso);

/** The evaluation exists and has not ended. */
function liveEvaluation(state: EvaluationState, evaluationId: string): LiveEvaluation {
  ensure(
    state.status !== 'none',
    'EVALUATION_NOT_FOUND',
    `Evaluation "${evaluationId}" was never requested.`,
    { evaluationId },
  );
  ensure(
    !isFinished(state),
    'EVALUATION_ALREADY_FINISHED',
    `Evaluation "${evaluationId}" is already ${state.status}; request a new evaluation.`,
    { evaluationId, status: state.status },
  );
  return state;
}

/**
 * The command comes from the worker holding a live lease: the rule of every worker report, and of the labels a
 * worker gives the evaluation's scored records (EvaluationService.labelScoredRecord).
 */
export function heldEvaluation(
  state: EvaluationState,
  evaluationId: string,
  workerId: string,
  at: string,
): ClaimedEvaluation {
  const evaluation = liveEvaluation(state, evaluationId);
  ensure(
    evaluation.status === 'claimed',
    'EVALUATION_NOT_CLAIMED',
    `Evaluation "${evaluationId}" is not claimed by any worker; claim it first.`,
    { evaluationId },
  );
  const { lease } = evaluation;
  ensure(
    lease.workerId === workerId,
    'EVALUATION_NOT_LEASE_HOLDER',
    `Worker "${workerId}" does not hold evaluation "${evaluationId}"; "${lease.workerId}" does.`,
    { evaluationId, workerId, holder: lease.workerId },
  );
  ensure(
    time(at) < time(lease.leaseUntil),
    'EVALUATION_LEASE_EXPIRED',
    `The lease of worker "${workerId}" on evaluation "${evaluationId}" expired at ${lease.leaseUntil}; stop and let it be claimed again.`,
    { evaluationId, leaseUntil: lease.leaseUntil },
  );
  return evaluation;
}

function requestEvaluation(command: RequestEvaluation, state: EvaluationState): EvaluationRequested {
  const { type: _type, facts, at, gate, ...rest } = command;
  ensure(
    state.status === 'none',
    'EVALUATION_ALREADY_REQUESTED',
    `Evaluation "${command.evaluationId}" already exists; use a new id.`,
    { evaluationId: command.evaluationId },
  );
  ensure(
    facts.modelVersion !== 'missing',
    'MODEL_VERSION_NOT_FOUND',
    `Model "${command.model.name}" has no version ${command.model.version}; register it first.`,
    { model: command.model },
  );
  ensure(
    facts.modelVersion !== 'archived',
    'MODEL_VERSION_ARCHIVED',
    `Model "${command.model.name}" v${command.model.version} is archived; evaluate a retained version.`,
    { model: command.model },
  );
  ensure(
    facts.modelVersion !== 'reward-model',
    'MODEL_VERSION_IS_REWARD_MODEL',
    `Model "${command.model.name}" v${command.model.version} is a reward model: it scores answers and writes none to evaluate; evaluate a version trained to answer.`,
    { model: command.model },
  );
  ensure(
    facts.datasetRevisionFound,
    'DATASET_REVISION_NOT_FOUND',
    `Dataset "${command.dataset.id}" has no revision ${command.dataset.revision}.`,
    { dataset: command.dataset },
  );
  return {
    type: 'EvaluationRequested',
    data: { ...rest, suites: [...rest.suites], gate: [...(gate ?? [])], requestedAt: at },
  };
}

function claimEvaluation(command: ClaimEvaluation, state: EvaluationState): EvaluationClaimed {
  const evaluation = liveEvaluation(state, command.evaluationId);
  requireFutureLease(command.leaseUntil, command.at);
  const holder = evaluation.status === 'claimed' ? evaluation.lease : undefined;
  ensure(
    !(holder && time(command.at) < time(holder.leaseUntil)),
    'EVALUATION_ALREADY_CLAIMED',
    `Evaluation "${command.evaluationId}" is held by "${holder?.workerId}" until ${holder?.leaseUntil}.`,
    { evaluationId: command.evaluationId, holder: holder?.workerId },
  );
  return {
    type: 'EvaluationClaimed',
    data: {
      evaluationId: command.evaluationId,
      workerId: command.workerId,
      leaseUntil: command.leaseUntil,
      attempt: evaluation.attempt + 1,
      claimedAt: command.at,
    },
  };
}

function renewLease(command: RenewEvaluationLease, state: EvaluationState): EvaluationLeaseRenewed {
  const evaluation = heldEvaluation(state, command.evaluationId, command.workerId, command.at);
  requireFutureLease(command.leaseUntil, command.at);
  return {
    type: 'EvaluationLeaseRenewed',
    data: {
      evaluationId: command.evaluationId,
      workerId: command.workerId,
      attempt: evaluation.attempt,
      leaseUntil: command.leaseUntil,
    },
  };
}

function reportProgress(
  command: ReportEvaluationProgress,
  state: EvaluationState,
): EvaluationProgressReported {
  const evaluation = heldEvaluation(state, command.evaluationId, command.workerId, command.at);
  ensure(
    command.completedExamples >= evaluation.completedExamples &&
      command.completedExamples <= command.totalExamples,
    'EVALUATION_PROGRESS_INVALID',
    `Progress ${command.completedExamples}/${command.totalExamples} is not after ${evaluation.completedExamples} or exceeds the total.`,
    {
      evaluationId: command.evaluationId,
      completed: command.completedExamples,
      previous: evaluation.completedExamples,
    },
  );
  return {
    type: 'EvaluationProgressReported',
    data: {
      evaluationId: command.evaluationId,
      completedExamples: command.completedExamples,
      totalExamples: command.totalExamples,
      attempt: evaluation.attempt,
      reportedAt: command.at,
    },
  };
}

function completeEvaluation(command: CompleteEvaluation, state: EvaluationState): EvaluationCompleted {
  const { type: _type, workerId, at, ...result } = command;
  const evaluation = heldEvaluation(state, command.evaluationId, workerId, at);
  return {
    type: 'EvaluationCompleted',
    data: {
      evaluationId: result.evaluationId,
      model: { ...evaluation.model },
      metrics: { ...result.metrics },
      categories: { ...result.categories },
      errorTaxonomy: { ...result.errorTaxonomy },
      artifacts: { ...result.artifacts },
      gate: evaluateGate(evaluation.gate, result.metrics),
      completedAt: at,
    },
  };
}

function failEvaluation(command: FailEvaluation, state: EvaluationState): EvaluationFailed {
  if (command.workerId !== undefined)
    heldEvaluation(state, command.evaluationId, command.workerId, command.at);
  else liveEvaluation(state, command.evaluationId);
  return {
    type: 'EvaluationFailed',
    data: { evaluationId: command.evaluationId, reason: command.reason, failedAt: command.at },
  };
}

export const evaluationDecider: Decider<EvaluationCommand, EvaluationEvent, EvaluationState> = {
  initialState: initialEvaluationState,
  evolve: evolveEvaluation,
  decide: decideEvaluation,
};
