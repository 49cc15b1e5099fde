import { assertNever, ensure, type Decider, type ModelRef } from '../shared/index.js';
import type {
  DegradationDetected,
  DegradationMetric,
  DeploymentActivated,
  DeploymentEvent,
  DeploymentRequested,
  RollbackRequested,
  RolledBack,
} from './deployment.events.js';

/** A model's registry as its stream stands, looked up by the service. */
export interface RegistryFacts {
  /** How many versions were ever registered (1..registered). */
  readonly registered: number;
  /** Versions not archived. */
  readonly retained: readonly number[];
  /** Versions that are reward models (they score answers, they do not write them): never served. */
  readonly rewardModels?: readonly number[];
}

/** Retained versions that can answer requests: the rollback targets. */
const servable = (registry: RegistryFacts): readonly number[] =>
  registry.retained.filter((version) => !registry.rewardModels?.includes(version));

export type RequestDeployment = {
  readonly type: 'RequestDeployment';
  readonly deploymentName: string;
  readonly model: ModelRef;
  readonly environment: string;
  readonly reason?: string;
  readonly registry: RegistryFacts;
  readonly at: string;
};

export type ActivateDeployment = {
  readonly type: 'ActivateDeployment';
  readonly deploymentName: string;
  readonly endpoint: string;
  /** Checked again: the version may have been archived since the request. */
  readonly registry: RegistryFacts;
  readonly at: string;
};

/** Rolls back on its own when the metric got worse by at least `maxChangePct`. */
export interface RollbackPolicy {
  readonly maxChangePct: number;
}

export type DetectDegradation = Omit<DegradationDetected['data'], 'model' | 'changePct' | 'detectedAt'> & {
  readonly type: 'DetectDegradation';
  readonly policy?: RollbackPolicy;
  readonly rollbackId?: string;
  readonly registry: RegistryFacts;
  readonly at: string;
};

export type RequestRollback = {
  readonly type: 'RequestRollback';
  readonly deploymentName: string;
  readonly rollbackId: string;
  /** Defaults to the version that was active before the current one. */
  readonly toVersion?: number;
  readonly reason: string;
  readonly evidence?: Record<string, unknown>;
  readonly registry: RegistryFacts;
  readonly at: string;
};

export type CompleteRollback = {
  readonly type: 'CompleteRollback';
  readonly deploymentName: string;
  readonly rollbackId: string;
  readonly at: string;
};

export type DeploymentCommand =
  RequestDeployment | ActivateDeployment | DetectDegradation | RequestRollback | CompleteRollback;

export interface DeploymentState {
  readonly deploymentName: string;
  readonly active:
    { readonly model: ModelRef; readonly environment: string; readonly endpoint: string } | undefined;
  readonly pending: { readonly model: ModelRef; readonly environment: string } | undefined;
  readonly pendingRollback:
    { readonly rollbackId: string; readonly fromVersion: number; readonly toVersion: number } | undefined;
  /** Versions of the active model name in the order they became active. */
  readonly history: readonly number[];
}

export const initialDeploymentState = (): DeploymentState => ({
  deploymentName: '',
  active: undefined,
  pending: undefined,
  pendingRollback: undefined,
  history: [],
});

export function evolveDeployment(state: DeploymentState, event: DeploymentEvent): DeploymentState {
  switch (event.type) {
    case 'DeploymentRequested':
      return {
        ...state,
        deploymentName: event.data.deploymentName,
        pending: { model: event.data.model, environment: event.data.environment },
      };
    case 'DeploymentActivated': {
      const sameModel = state.active?.model.name === event.data.model.name;
      return {
        ...state,
        active: {
          model: event.data.model,
          environment: event.data.environment,
          endpoint: event.data.endpoint,
        },
        pending: undefined,
        history: [...(sameModel ? state.history : []), event.data.model.version],
      };
    }
    case 'DegradationDetected':
      return state;
    case 'RollbackRequested':
      return {
        ...state,
        pendingRollback: {
          rollbackId: event.data.rollbackId,
          fromVersion: event.data.fromVersion,
          toVersion: event.data.toVersion,
        },
      };
    case 'RolledBack':
      return {
        ...state,
        active: state.active
          ? { ...state.active, model: { ...state.active.model, version: event.data.toVersion } }
          : undefined,
        pendingRollback: undefined,
        history: [...state.history, event.data.toVersion],
      };
    default:
      return assertNever(event);
  }
}

function requireDeployable(model: ModelRef, registry: RegistryFacts): void {
  ensure(
    model.version >= 1 && model.version <= registry.registered,
    'MODEL_VERSION_NOT_FOUND',
    `Model "${model.name}" has no version ${model.version} (it has ${registry.registered}); register it first.`,
    { model },
  );
  ensure(
    registry.retained.includes(model.version),
    'MODEL_VERSION_ARCHIVED',
    `Model "${model.name}" v${model.version} is archived; deploy one of the retained versions ${registry.retained.join(', ')}.`,
    { model, retained: registry.retained },
  );
  ensure(
    !registry.rewardModels?.includes(model.version),
    'MODEL_VERSION_IS_REWARD_MODEL',
    `Model "${model.name}" v${model.version} is a reward model: it scores answers and cannot serve them; deploy a version trained to answer (lora, full or dpo).`,
    { model },
  );
}

function requireActive(state: DeploymentState, deploymentName: string) {
  ensure(
    state.active,
    'DEPLOYMENT_NOT_ACTIVE',
    `Deployment "${deploymentName}" has no active version; activate one first.`,
    { deploymentName },
  );
  return state.active;
}

/** Worse means up for latency, errors and entropy, down for a benchmark score. */
export function isWorse(metric: DegradationMetric, changePct: number, thresholdPct: number): boolean {
  return metric === 'benchmark' ? changePct <= -thresholdPct : changePct >= thresholdPct;
}

/** Percent change from baseline; a zero baseline counts as a tiny one so the number stays finite. */
export function changePercent(baseline: number, current: number): number {
  const denominator = Math.max(Math.abs(baseline), 1e-9);
  return ((current - baseline) / denominator) * 100;
}

/** The version to go back to: the one active before the current one if retained, else the newest retained other. */
export function defaultRollbackTarget(state: DeploymentState, registry: RegistryFacts): number | undefined {
  const activeVersion = state.active?.model.version;
  const targets = servable(registry);
  const previous = [...state.history]
    .reverse()
    .find((version) => version !== activeVersion && targets.includes(version));
  if (previous !== undefined) return previous;
  return [...targets].sort((a, b) => b - a).find((version) => version !== activeVersion);
}

function rollbackRequested(
  state: DeploymentState,
  active: { model: ModelRef },
  fields: {
    rollbackId: string;
    toVersion: number;
    reason: string;
    trigger: 'person' | 'policy';
    evidence: Record<string, unknown>;
    at: string;
  },
  registry: RegistryFacts,
): RollbackRequested {
  ensure(
    !state.pendingRollback,
    'ROLLBACK_PENDING',
    `Deployment "${state.deploymentName}" is already rolling back to v${state.pendingRollback?.toVersion}; wait for it to finish.`,
    { deploymentName: state.deploymentName, pending: state.pendingRollback },
  );
  ensure(
    fields.toVersion !== active.model.version,
    'ROLLBACK_TARGET_IS_ACTIVE',
    `v${fields.toVersion} is the active version of deployment "${state.deploymentName}"; roll back to another retained version.`,
    { deploymentName: state.deploymentName, toVersion: fields.toVersion },
  );
  ensure(
    registry.retained.includes(fields.toVersion),
    'ROLLBACK_TARGET_NOT_RETAINED',
    `Model "${active.model.name}" v${fields.toVersion} is not a retained version (retained: ${registry.retained.join(', ') || 'none'}).`,
    { deploymentName: state.deploymentName, toVersion: fields.toVersion, retained: registry.retained },
  );
  ensure(
    !registry.rewardModels?.includes(fields.toVersion),
    'MODEL_VERSION_IS_REWARD_MODEL',
    `Model "${active.model.name}" v${fields.toVersion} is a reward model and cannot serve; roll back to one of ${servable(registry).join(', ') || 'no other version'}.`,
    { deploymentName: state.deploymentName, toVersion: fields.toVersion },
  );
  return {
    type: 'RollbackRequested',
    data: {
      deploymentName: state.deploymentName,
      rollbackId: fields.rollbackId,
      fromVersion: active.model.version,
      toVersion: fields.toVersion,
      reason: fields.reason,
      trigger: fields.trigger,
      evidence: fields.evidence,
      requestedAt: fields.at,
    },
  };
}

export function decideDeployment(
  command: DeploymentCommand,
  state: DeploymentState,
): readonly DeploymentEvent[] {
  switch (command.type) {
    case 'RequestDeployment':
      return [requestDeployment(command, state)];
    case 'ActivateDeployment':
      return [activateDeployment(command, state)];
    case 'DetectDegradation':
      return detectDegradation(command, state);
    case 'RequestRollback':
      return [requestRollback(command, state)];
    case 'CompleteRollback':
      return [completeRollback(command, state)];
    default:
      return assertNever(command);
  }
}

function requestDeployment(command: RequestDeployment, state: DeploymentState): DeploymentRequested {
  ensure(
    !state.pending,
    'DEPLOYMENT_PENDING',
    `Deployment "${command.deploymentName}" is waiting to activate ${state.pending?.model.name} v${state.pending?.model.version}; activate it first.`,
    { deploymentName: command.deploymentName, pending: state.pending },
  );
  ensure(
    !(
      state.active?.model.name === command.model.name && state.active.model.version === command.model.version
    ),
    'VERSION_ALREADY_ACTIVE',
    `${command.model.name} v${command.model.version} is already active on deployment "${command.deploymentName}".`,
    { deploymentName: command.deploymentName, model: command.model },
  );
  requireDeployable(command.model, command.registry);
  return {
    type: 'DeploymentRequested',
    data: {
      deploymentName: command.deploymentName,
      model: { ...command.model },
      environment: command.environment,
      reason: command.reason ?? '',
      requestedAt: command.at,
    },
  };
}

function activateDeployment(command: ActivateDeployment, state: DeploymentState): DeploymentActivated {
  const pending = state.pending;
  ensure(
    pending,
    'DEPLOYMENT_NOT_REQUESTED',
    `Deployment "${command.deploymentName}" has no requested version to activate; request a deployment first.`,
    { deploymentName: command.deploymentName },
  );
  requireDeployable(pending.model, command.registry);
  const previousVersion =
    state.active?.model.name === pending.model.name ? state.active.model.version : undefined;
  return {
    type: 'DeploymentActivated',
    data: {
      deploymentName: command.deploymentName,
      model: { ...pending.model },
      ...(previousVersion !== undefined ? { previousVersion } : {}),
      environment: pending.environment,
      endpoint: command.endpoint,
      activatedAt: command.at,
    },
  };
}

function detectDegradation(command: DetectDegradation, state: DeploymentState): DeploymentEvent[] {
  const { type: _type, policy, rollbackId, registry, at, ...observation } = command;
  const active = requireActive(state, command.deploymentName);
  const changePct = changePercent(observation.baseline, observation.current);
  const detected: DegradationDetected = {
    type: 'DegradationDetected',
    data: {
      ...observation,
      window: { ...observation.window },
      model: { ...active.model },
      changePct,
      detectedAt: at,
    },
  };
  const events: DeploymentEvent[] = [detected];
  const target = defaultRollbackTarget(state, registry);
  if (
    policy &&
    isWorse(observation.metric, changePct, policy.maxChangePct) &&
    !state.pendingRollback &&
    target !== undefined
  ) {
    events.push(
      rollbackRequested(
        state,
        active,
        {
          rollbackId: rollbackId ?? `${command.deploymentName}-${at}`,
          toVersion: target,
          reason: `${observation.metric} changed ${changePct.toFixed(1)}% (policy allows ${policy.maxChangePct}%)`,
          trigger: 'policy',
          evidence: {
            metric: observation.metric,
            baseline: observation.baseline,
            current: observation.current,
            changePct,
          },
          at,
        },
        registry,
      ),
    );
  }
  return events;
}

function requestRollback(command: RequestRollback, state: DeploymentState): RollbackRequested {
  const active = requireActive(state, command.deploymentName);
  const toVersion = command.toVersion ?? defaultRollbackTarget(state, command.registry);
  ensure(
    toVersion !== undefined,
    'ROLLBACK_TARGET_NOT_RETAINED',
    `Deployment "${command.deploymentName}" has no retained version other than the active v${active.model.version} to roll back to.`,
    { deploymentName: command.deploymentName },
  );
  return rollbackRequested(
    state,
    active,
    {
      rollbackId: command.rollbackId,
      toVersion,
      reason: command.reason,
      trigger: 'person',
      evidence: { ...command.evidence },
      at: command.at,
    },
    command.registry,
  );
}

function completeRollback(command: CompleteRollback, state: DeploymentState): RolledBack {
  const active = requireActive(state, command.deploymentName);
  const pending = state.pendingRollback;
  ensure(
    pending && pending.rollbackId === command.rollbackId,
    'ROLLBACK_NOT_REQUESTED',
    `Deployment "${command.deploymentName}" has no pending rollback "${command.rollbackId}"` +
      (pending ? ` (pending: "${pending.rollbackId}")` : '') +
      '.',
    { deploymentName: command.deploymentName, rollbackId: command.rollbackId },
  );
  return {
    type: 'RolledBack',
    data: {
      deploymentName: command.deploymentName,
      rollbackId: command.rollbackId,
      fromVersion: pending.fromVersion,
      toVersion: pending.toVersion,
      modelName: active.model.name,
      rolledBackAt: command.at,
    },
  };
}

export const deploymentDecider: Decider<DeploymentCommand, DeploymentEvent, DeploymentState> = {
  initialState: initialDeploymentState,
  evolve: evolveDeployment,
  decide: decideDeployment,
};
