import { describe, expect, it } from 'vitest';
import {
  changePercent,
  deploymentDecider,
  isWorse,
  type DeploymentEvent,
  type RegistryFacts,
} from '../../src/domain/index.js';
import { at, specFor } from './support.js';

const spec = specFor(deploymentDecider);
const registry: RegistryFacts = { registered: 4, retained: [2, 3, 4] };
const model = (version: number) => ({ name: 'med-llama', version });

const requested = (version: number, minute = 0): DeploymentEvent => ({
  type: 'DeploymentRequested',
  data: {
    deploymentName: 'prod',
    model: model(version),
    environment: 'production',
    reason: '',
    requestedAt: at(minute),
  },
});
const activated = (version: number, previousVersion?: number, minute = 1): DeploymentEvent => ({
  type: 'DeploymentActivated',
  data: {
    deploymentName: 'prod',
    model: model(version),
    ...(previousVersion !== undefined ? { previousVersion } : {}),
    environment: 'production',
    endpoint: 'http://localhost:8080/v1',
    activatedAt: at(minute),
  },
});
const live: DeploymentEvent[] = [requested(3), activated(3), requested(4, 2), activated(4, 3, 3)];
const requestRollback = (extra: object = {}) => ({
  type: 'RequestRollback' as const,
  deploymentName: 'prod',
  rollbackId: 'rb1',
  reason: 'answers got worse',
  registry,
  at: at(5),
  ...extra,
});
const rollbackRequested = (toVersion: number, extra: object = {}): DeploymentEvent => ({
  type: 'RollbackRequested',
  data: {
    deploymentName: 'prod',
    rollbackId: 'rb1',
    fromVersion: 4,
    toVersion,
    reason: 'answers got worse',
    trigger: 'person',
    evidence: {},
    requestedAt: at(5),
    ...extra,
  },
});

describe('deployment decider: request and activate', () => {
  const request = {
    type: 'RequestDeployment' as const,
    deploymentName: 'prod',
    model: model(3),
    environment: 'production',
    registry,
    at: at(0),
  };

  it('requests a registered, retained version and activates it', () => {
    spec
      .given([])
      .when(request)
      .then([requested(3)]);
    spec
      .given([requested(3)])
      .when({
        type: 'ActivateDeployment',
        deploymentName: 'prod',
        endpoint: 'http://localhost:8080/v1',
        registry,
        at: at(1),
      })
      .then([activated(3)]);
    spec
      .given([requested(3), activated(3), requested(4, 2)])
      .when({
        type: 'ActivateDeployment',
        deploymentName: 'prod',
        endpoint: 'http://localhost:8080/v1',
        registry,
        at: at(3),
      })
      .then([activated(4, 3, 3)]);
  });

  it('refuses an unregistered or archived version, at request and at activation', () => {
    spec
      .given([])
      .when({ ...request, model: model(5) })
      .thenThrows('MODEL_VERSION_NOT_FOUND');
    spec
      .given([])
      .when({ ...request, model: model(1) })
      .thenThrows('MODEL_VERSION_ARCHIVED');
    spec
      .given([requested(3)])
      .when({
        type: 'ActivateDeployment',
        deploymentName: 'prod',
        endpoint: 'e',
        registry: { registered: 4, retained: [2, 4] },
        at: at(1),
      })
      .thenThrows('MODEL_VERSION_ARCHIVED');
  });

  it('refuses a reward model: it scores answers and cannot serve them', () => {
    const withRewardModel: RegistryFacts = { ...registry, rewardModels: [3] };
    spec
      .given([])
      .when({ ...request, registry: withRewardModel })
      .thenThrows('MODEL_VERSION_IS_REWARD_MODEL');
    spec
      .given([requested(3)])
      .when({
        type: 'ActivateDeployment',
        deploymentName: 'prod',
        endpoint: 'e',
        registry: withRewardModel,
        at: at(1),
      })
      .thenThrows('MODEL_VERSION_IS_REWARD_MODEL');
  });

  it('refuses activation without a request, a second pending request, and the active version again', () => {
    spec
      .given([])
      .when({ type: 'ActivateDeployment', deploymentName: 'prod', endpoint: 'e', registry, at: at(1) })
      .thenThrows('DEPLOYMENT_NOT_REQUESTED');
    spec
      .given([requested(3)])
      .when({ ...request, model: model(4) })
      .thenThrows('DEPLOYMENT_PENDING');
    spec
      .given([requested(3), activated(3)])
      .when(request)
      .thenThrows('VERSION_ALREADY_ACTIVE');
  });
});

describe('deployment decider: rollback', () => {
  it('rolls back to the previously active version by default, or a named retained one', () => {
    spec
      .given(live)
      .when(requestRollback())
      .then([rollbackRequested(3)]);
    spec
      .given(live)
      .when(requestRollback({ toVersion: 2 }))
      .then([rollbackRequested(2)]);
    spec
      .given([...live, rollbackRequested(3)])
      .when({ type: 'CompleteRollback', deploymentName: 'prod', rollbackId: 'rb1', at: at(6) })
      .then([
        {
          type: 'RolledBack',
          data: {
            deploymentName: 'prod',
            rollbackId: 'rb1',
            fromVersion: 4,
            toVersion: 3,
            modelName: 'med-llama',
            rolledBackAt: at(6),
          },
        },
      ]);
  });

  it('never rolls back to a reward model: the default skips it, a named one is refused', () => {
    // v3 was active before v4, but a reward model registered as v3 cannot serve: v2 is the target.
    const withRewardModel = { registry: { ...registry, rewardModels: [3] } };
    spec
      .given(live)
      .when(requestRollback(withRewardModel))
      .then([rollbackRequested(2)]);
    spec
      .given(live)
      .when(requestRollback({ ...withRewardModel, toVersion: 3 }))
      .thenThrows('MODEL_VERSION_IS_REWARD_MODEL');
  });

  it('refuses the active version, a version not retained, a second rollback, or no deployment', () => {
    spec
      .given(live)
      .when(requestRollback({ toVersion: 4 }))
      .thenThrows('ROLLBACK_TARGET_IS_ACTIVE');
    spec
      .given(live)
      .when(requestRollback({ toVersion: 1 }))
      .thenThrows('ROLLBACK_TARGET_NOT_RETAINED');
    spec
      .given([...live, rollbackRequested(3)])
      .when(requestRollback({ rollbackId: 'rb2' }))
      .thenThrows('ROLLBACK_PENDING');
    spec.given([]).when(requestRollback()).thenThrows('DEPLOYMENT_NOT_ACTIVE');
    spec
      .given(live)
      .when({ type: 'CompleteRollback', deploymentName: 'prod', rollbackId: 'rb1', at: at(6) })
      .thenThrows('ROLLBACK_NOT_REQUESTED');
  });
});

describe('deployment decider: degradation', () => {
  const detect = {
    type: 'DetectDegradation' as const,
    deploymentName: 'prod',
    metric: 'latency' as const,
    baseline: 200,
    current: 300,
    window: { from: at(0), to: at(4), samples: 120 },
    registry,
    at: at(5),
  };
  const detected: DeploymentEvent = {
    type: 'DegradationDetected',
    data: {
      deploymentName: 'prod',
      model: model(4),
      metric: 'latency',
      baseline: 200,
      current: 300,
      changePct: 50,
      window: detect.window,
      detectedAt: at(5),
    },
  };

  it('records a degradation without a policy', () => {
    spec.given(live).when(detect).then([detected]);
    spec.given([]).when(detect).thenThrows('DEPLOYMENT_NOT_ACTIVE');
  });

  it('triggers a rollback by policy when the metric got worse past the threshold', () => {
    spec
      .given(live)
      .when({ ...detect, policy: { maxChangePct: 25 }, rollbackId: 'rb1' })
      .then([
        detected,
        rollbackRequested(3, {
          reason: 'latency changed 50.0% (policy allows 25%)',
          trigger: 'policy',
          evidence: { metric: 'latency', baseline: 200, current: 300, changePct: 50 },
        }),
      ]);
    spec
      .given(live)
      .when({ ...detect, policy: { maxChangePct: 60 } })
      .then([detected]);
  });

  it('knows which direction is worse', () => {
    expect(changePercent(0.8, 0.6)).toBeCloseTo(-25, 10);
    expect(isWorse('benchmark', -25, 10)).toBe(true);
    expect(isWorse('benchmark', 25, 10)).toBe(false);
    expect(isWorse('error-rate', 25, 10)).toBe(true);
    expect(Number.isFinite(changePercent(0, 0.1))).toBe(true);
  });
});
