import { assertNever, ensure, type Decider, type ModelRef } from '../shared/index.js';
import {
  RETAINED_VERSIONS,
  type ModelEvent,
  type ModelStage,
  type ModelVersionArchived,
  type ModelVersionPromoted,
  type ModelVersionRegistered,
} from './model.events.js';

export type RegisterModelVersion = Omit<ModelVersionRegistered['data'], 'version' | 'registeredAt'> & {
  readonly type: 'RegisterModelVersion';
  /** The number the caller expects; refused when another version got there first. */
  readonly version?: number;
  /** The run's status in its own stream, looked up by the service. */
  readonly facts: { readonly runStatus: string };
  readonly at: string;
};

/** A finished evaluation as its stream tells it, looked up by the service. */
export interface EvaluationFact {
  readonly evaluationId: string;
  readonly model: ModelRef;
  readonly status: string;
  readonly passed: boolean;
}

export type PromoteModelVersion = {
  readonly type: 'PromoteModelVersion';
  readonly modelName: string;
  readonly version: number;
  readonly stage: 'staging' | 'production';
  readonly approvedBy: string;
  /** The evaluations offered as evidence. */
  readonly evaluations: readonly EvaluationFact[];
  /** Production without a passed evaluation: an admin and a reason. */
  readonly override?: { readonly reason: string };
  readonly approverIsAdmin: boolean;
  readonly at: string;
};

export type ArchiveModelVersion = {
  readonly type: 'ArchiveModelVersion';
  readonly modelName: string;
  readonly version: number;
  readonly note?: string;
  readonly at: string;
};

export type ModelCommand = RegisterModelVersion | PromoteModelVersion | ArchiveModelVersion;

export interface ModelVersionState {
  readonly version: number;
  readonly runId: string;
  /** The training method (trainingSummary.method): lora, full, dpo, reward-model, ... */
  readonly method: string;
  readonly stage: ModelStage;
  readonly archived: boolean;
}

export interface ModelState {
  readonly modelName: string;
  /** Index i holds version i + 1. */
  readonly versions: readonly ModelVersionState[];
}

export const initialModelState = (): ModelState => ({ modelName: '', versions: [] });

/** Versions not archived, oldest first. */
export const retainedVersions = (state: ModelState): readonly ModelVersionState[] =>
  state.versions.filter((version) => !version.archived);

export const productionVersion = (state: ModelState): ModelVersionState | undefined =>
  state.versions.find((version) => version.stage === 'production' && !version.archived);

function updateVersion(state: ModelState, version: number, change: Partial<ModelVersionState>): ModelState {
  return {
    ...state,
    versions: state.versions.map((entry) => (entry.version === version ? { ...entry, ...change } : entry)),
  };
}

export function evolveModel(state: ModelState, event: ModelEvent): ModelState {
  switch (event.type) {
    case 'ModelVersionRegistered':
      return {
        modelName: event.data.modelName,
        versions: [
          ...state.versions,
          {
            version: event.data.version,
            runId: event.data.runId,
            method: event.data.trainingSummary.method,
            stage: 'none',
            archived: false,
          },
        ],
      };
    case 'ModelVersionPromoted': {
      const demoted =
        event.data.replacedVersion !== undefined
          ? updateVersion(state, event.data.replacedVersion, { stage: 'staging' })
          : state;
      return updateVersion(demoted, event.data.version, { stage: event.data.stage });
    }
    case 'ModelVersionArchived':
      return updateVersion(state, event.data.version, { archived: true, stage: 'none' });
    default:
      return assertNever(event);
  }
}

function requireVersion(state: ModelState, modelName: string, version: number): ModelVersionState {
  const found = state.versions[version - 1];
  ensure(
    found,
    'MODEL_VERSION_NOT_FOUND',
    `Model "${modelName}" has no version ${version} (it has ${state.versions.length}).`,
    { modelName, version },
  );
  ensure(
    !found.archived,
    'MODEL_VERSION_ARCHIVED',
    `Model "${modelName}" v${version} is archived; only the last ${RETAINED_VERSIONS} retained versions can be promoted, deployed or archived.`,
    { modelName, version },
  );
  return found;
}

export function decideModel(command: ModelCommand, state: ModelState): readonly ModelEvent[] {
  switch (command.type) {
    case 'RegisterModelVersion':
      return registerModelVersion(command, state);
    case 'PromoteModelVersion':
      return [promoteModelVersion(command, state)];
    case 'ArchiveModelVersion':
      return [archiveModelVersion(command, state)];
    default:
      return assertNever(command);
  }
}

function registerModelVersion(command: RegisterModelVersion, state: ModelState): readonly ModelEvent[] {
  const { type: _type, facts, at, version: expected, ...rest } = command;
  const next = state.versions.length + 1;
  ensure(
    expected === undefined || expected === next,
    'VERSION_OUT_OF_ORDER',
    `Model "${command.modelName}" is at version ${next - 1}, so the next version is ${next}, not ${expected}; re-read and retry.`,
    { modelName: command.modelName, expected: next, got: expected },
  );
  ensure(
    facts.runStatus === 'completed',
    'RUN_NOT_COMPLETED',
    `Training run "${command.runId}" is ${facts.runStatus}; only a completed run can become a model version.`,
    { runId: command.runId, status: facts.runStatus },
  );
  const already = state.versions.find((version) => version.runId === command.runId);
  ensure(
    !already,
    'RUN_ALREADY_REGISTERED',
    `Training run "${command.runId}" is already model "${command.modelName}" v${already?.version}.`,
    { runId: command.runId, version: already?.version },
  );
  const registered: ModelVersionRegistered = {
    type: 'ModelVersionRegistered',
    data: { ...rest, version: next, registeredAt: at },
  };
  const events: ModelEvent[] = [registered];
  // Keep the last RETAINED_VERSIONS: archive the oldest retained ones that are not in production.
  const retained = retainedVersions(state);
  const excess = retained.length + 1 - RETAINED_VERSIONS;
  const candidates = retained
    .filter((version) => version.stage !== 'production')
    .slice(0, Math.max(0, excess));
  for (const candidate of candidates) {
    const archived: ModelVersionArchived = {
      type: 'ModelVersionArchived',
      data: {
        modelName: command.modelName,
        version: candidate.version,
        reason: 'retention',
        note: `v${next} registered; the registry keeps the last ${RETAINED_VERSIONS} versions`,
        archivedAt: at,
      },
    };
    events.push(archived);
  }
  return events;
}

function promoteModelVersion(command: PromoteModelVersion, state: ModelState): ModelVersionPromoted {
  const target = requireVersion(state, command.modelName, command.version);
  ensure(
    target.stage !== command.stage,
    'ALREADY_IN_STAGE',
    `Model "${command.modelName}" v${command.version} is already in ${command.stage}.`,
    { modelName: command.modelName, version: command.version, stage: command.stage },
  );
  ensure(
    !(target.stage === 'production' && command.stage === 'staging'),
    'PROMOTION_WOULD_DEMOTE',
    `Model "${command.modelName}" v${command.version} is in production; promote another version to replace it instead.`,
    { modelName: command.modelName, version: command.version },
  );
  const passed = command.evaluations.filter(
    (evaluation) =>
      evaluation.status === 'completed' &&
      evaluation.passed &&
      evaluation.model.name === command.modelName &&
      evaluation.model.version === command.version,
  );
  let override: { reason: string } | undefined;
  if (command.stage === 'production' && passed.length === 0) {
    const offered = command.evaluations.map((evaluation) => evaluation.evaluationId).join(', ');
    ensure(
      command.override,
      'PROMOTION_NEEDS_PASSED_EVALUATION',
      `Model "${command.modelName}" v${command.version} needs a passed evaluation of that very version to go to production` +
        (offered ? ` (none of ${offered} is one)` : '') +
        '; run an evaluation, or have an admin override with a reason.',
      { modelName: command.modelName, version: command.version, offered: command.evaluations },
    );
    ensure(
      command.approverIsAdmin,
      'OVERRIDE_REQUIRES_ADMIN',
      `Only an admin may promote to production without a passed evaluation; "${command.approvedBy}" is not one.`,
      { approvedBy: command.approvedBy },
    );
    ensure(
      command.override.reason.trim().length > 0,
      'OVERRIDE_REASON_REQUIRED',
      'An override of the evaluation gate needs a reason; say why this version may skip it.',
      {},
    );
    override = { reason: command.override.reason.trim() };
  }
  const replaced = command.stage === 'production' ? productionVersion(state) : undefined;
  return {
    type: 'ModelVersionPromoted',
    data: {
      modelName: command.modelName,
      version: command.version,
      stage: command.stage,
      previousStage: target.stage,
      ...(replaced ? { replacedVersion: replaced.version } : {}),
      evidence: { evaluationIds: passed.map((evaluation) => evaluation.evaluationId) },
      approvedBy: command.approvedBy,
      ...(override ? { override } : {}),
      promotedAt: command.at,
    },
  };
}

function archiveModelVersion(command: ArchiveModelVersion, state: ModelState): ModelVersionArchived {
  const target = requireVersion(state, command.modelName, command.version);
  ensure(
    target.stage !== 'production',
    'MODEL_VERSION_IN_PRODUCTION',
    `Model "${command.modelName}" v${command.version} is in production; promote another version first.`,
    { modelName: command.modelName, version: command.version },
  );
  return {
    type: 'ModelVersionArchived',
    data: {
      modelName: command.modelName,
      version: command.version,
      reason: 'manual',
      ...(command.note !== undefined ? { note: command.note } : {}),
      archivedAt: command.at,
    },
  };
}

export const modelDecider: Decider<ModelCommand, ModelEvent, ModelState> = {
  initialState: initialModelState,
  evolve: evolveModel,
  decide: decideModel,
};
