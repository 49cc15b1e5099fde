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

export type EvaluationStatus = 'none' | 'requested' | 'claimed' | 'completed' | 'failed';

export interface EvaluationState {
  readonly status: EvaluationStatus;
  readonly evaluationId: string;
  readonly model: { readonly name: string; readonly version: number } | undefined;
  readonly gate: readonly GateThreshold[];
  readonly lease: { readonly workerId: string; readonly leaseUntil: string } | undefined;
  readonly attempt: number;
  readonly completedExamples: number;
  readonly passed: boolean | undefined;
}

export const initialEvaluationState = (): EvaluationState => ({
  status: 'none',
  evaluationId: '',
  model: undefined,
  gate: [],
  lease: undefined,
  attempt: 0,
  completedExamples: 0,
  passed: undefined,
});

export function evolveEvaluation(state: EvaluationState, event: EvaluationEvent): EvaluationState {
  switch (event.type) {
    case 'EvaluationRequested':
      return {
        ...state,
        status: 'requested',
        evaluationId: event.data.evaluationId,
        model: event.data.model,
        gate: event.data.gate,
      };
    case 'EvaluationClaimed':
      return {
        ...state,
        status: 'claimed',
        lease: { workerId: event.data.workerId, leaseUntil: event.data.leaseUntil },
        attempt: event.data.attempt,
        completedExamples: 0,
      };
    case 'EvaluationLeaseRenewed':
      return { ...state, lease: { workerId: event.data.workerId, leaseUntil: event.data.leaseUntil } };
    case 'EvaluationProgressReported':
      return { ...state, completedExamples: event.data.completedExamples };
    case 'EvaluationCompleted':
      return { ...state, status: 'completed', lease: undefined, passed: event.data.gate.passed };
    case 'EvaluationFailed':
      return { ...state, status: 'failed', lease: undefined };
    default:
      return assertNever(event);
  }
}

const time = (iso: string): number => Date.parse(iso);

function requireOpen(state: EvaluationState, evaluationId: string): void {
  ensure(
    state.status !== 'none',
    'EVALUATION_NOT_FOUND',
    `Evaluation "${evaluationId}" was never requested.`,
    {
      evaluationId,
    },
  );
  ensure(
    state.status !== 'completed' && state.status !== 'failed',
    'EVALUATION_ALREADY_FINISHED',
    `Evaluation "${evaluationId}" is already ${state.status}; request a new evaluation.`,
    { evaluationId, status: state.status },
  );
}

/**
 * Refuses unless `workerId` holds the live lease on the evaluation at `at`: the rule of every worker report,
 * and of the labels a worker gives the evaluation's scored records (EvaluationService.labelScoredRecord).
 */
export function requireEvaluationHolder(
  state: EvaluationState,
  evaluationId: string,
  workerId: string,
  at: string,
): void {
  requireOpen(state, evaluationId);
  ensure(
    state.status === 'claimed' && state.lease,
    'EVALUATION_NOT_CLAIMED',
    `Evaluation "${evaluationId}" is not claimed by any worker; claim it first.`,
    { evaluationId },
  );
  ensure(
    state.lease.workerId === workerId,
    'EVALUATION_NOT_LEASE_HOLDER',
    `Worker "${workerId}" does not hold evaluation "${evaluationId}"; "${state.lease.workerId}" does.`,
    { evaluationId, workerId, holder: state.lease.workerId },
  );
  ensure(
    time(at) < time(state.lease.leaseUntil),
    'EVALUATION_LEASE_EXPIRED',
    `The lease of worker "${workerId}" on evaluation "${evaluationId}" expired at ${state.lease.leaseUntil}; stop and let it be claimed again.`,
    { evaluationId, leaseUntil: state.lease.leaseUntil },
  );
}

/** The interaction under which record `recordId` of an evaluation is labeled (its error category). */
export const evaluationInteractionId = (evaluationId: string, recordId: string): string =>
  `eval-${evaluationId}-${recordId}`;

export function decideEvaluation(
  command: EvaluationCommand,
  state: EvaluationState,
): readonly EvaluationEvent[] {
  switch (command.type) {
    case 'RequestEvaluation': {
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
      const requested: EvaluationRequested = {
        type: 'EvaluationRequested',
        data: { ...rest, suites: [...rest.suites], gate: [...(gate ?? [])], requestedAt: at },
      };
      return [requested];
    }
    case 'ClaimEvaluation': {
      requireOpen(state, command.evaluationId);
      requireFutureLease(command.leaseUntil, command.at);
      ensure(
        !(state.status === 'claimed' && state.lease && time(command.at) < time(state.lease.leaseUntil)),
        'EVALUATION_ALREADY_CLAIMED',
        `Evaluation "${command.evaluationId}" is held by "${state.lease?.workerId}" until ${state.lease?.leaseUntil}.`,
        { evaluationId: command.evaluationId, holder: state.lease?.workerId },
      );
      const claimed: EvaluationClaimed = {
        type: 'EvaluationClaimed',
        data: {
          evaluationId: command.evaluationId,
          workerId: command.workerId,
          leaseUntil: command.leaseUntil,
          attempt: state.attempt + 1,
          claimedAt: command.at,
        },
      };
      return [claimed];
    }
    case 'RenewEvaluationLease': {
      requireEvaluationHolder(state, command.evaluationId, command.workerId, command.at);
      requireFutureLease(command.leaseUntil, command.at);
      const renewed: EvaluationLeaseRenewed = {
        type: 'EvaluationLeaseRenewed',
        data: {
          evaluationId: command.evaluationId,
          workerId: command.workerId,
          attempt: state.attempt,
          leaseUntil: command.leaseUntil,
        },
      };
      return [renewed];
    }
    case 'ReportEvaluationProgress': {
      requireEvaluationHolder(state, command.evaluationId, command.workerId, command.at);
      ensure(
        command.completedExamples >= state.completedExamples &&
          command.completedExamples <= command.totalExamples,
        'EVALUATION_PROGRESS_INVALID',
        `Progress ${command.completedExamples}/${command.totalExamples} is not after ${state.completedExamples} or exceeds the total.`,
        {
          evaluationId: command.evaluationId,
          completed: command.completedExamples,
          previous: state.completedExamples,
        },
      );
      const reported: EvaluationProgressReported = {
        type: 'EvaluationProgressReported',
        data: {
          evaluationId: command.evaluationId,
          completedExamples: command.completedExamples,
          totalExamples: command.totalExamples,
          attempt: state.attempt,
          reportedAt: command.at,
        },
      };
      return [reported];
    }
    case 'CompleteEvaluation': {
      const { type: _type, workerId, at, ...result } = command;
      requireEvaluationHolder(state, command.evaluationId, workerId, at);
      const completed: EvaluationCompleted = {
        type: 'EvaluationCompleted',
        data: {
          evaluationId: result.evaluationId,
          model: { ...state.model! },
          metrics: { ...result.metrics },
          categories: { ...result.categories },
          errorTaxonomy: { ...result.errorTaxonomy },
          artifacts: { ...result.artifacts },
          gate: evaluateGate(state.gate, result.metrics),
          completedAt: at,
        },
      };
      return [completed];
    }
    case 'FailEvaluation': {
      if (command.workerId !== undefined)
        requireEvaluationHolder(state, command.evaluationId, command.workerId, command.at);
      else requireOpen(state, command.evaluationId);
      const failed: EvaluationFailed = {
        type: 'EvaluationFailed',
        data: { evaluationId: command.evaluationId, reason: command.reason, failedAt: command.at },
      };
      return [failed];
    }
    default:
      return assertNever(command);
  }
}

export const evaluationDecider: Decider<EvaluationCommand, EvaluationEvent, EvaluationState> = {
  initialState: initialEvaluationState,
  evolve: evolveEvaluation,
  decide: decideEvaluation,
};
