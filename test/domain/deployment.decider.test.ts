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

describe('deployment decider: history, boundaries and refusals', () => {
  const request = {
    type: 'RequestDeployment' as const,
    deploymentName: 'prod',
    model: model(3),
    environment: 'production',
    registry,
    at: at(0),
  };
  const rolledBack: DeploymentEvent = {
    type: 'RolledBack',
    data: {
      deploymentName: 'prod',
      rollbackId: 'rb1',
      fromVersion: 4,
      toVersion: 3,
      modelName: 'med-llama',
      rolledBackAt: at(6),
    },
  };

  it('accepts versions 1 to the registered count, nothing outside', () => {
    spec
      .given([])
      .when({ ...request, model: model(4), reason: 'new adapter' })
      .then([{ ...requested(4), data: { ...requested(4).data, reason: 'new adapter' } } as DeploymentEvent]);
    const zero = spec
      .given([])
      .when({ ...request, model: model(0), registry: { registered: 4, retained: [0, 2, 3, 4] } })
      .thenThrows('MODEL_VERSION_NOT_FOUND');
    expect(zero.details).toEqual({ model: model(0) });
    expect(zero.message).toContain('has no version 0 (it has 4)');
  });

  it('takes a new request once the pending one is activated', () => {
    spec
      .given([requested(3), activated(3)])
      .when({ ...request, model: model(4) })
      .then([requested(4)]);
  });

  it('after a rollback the restored version is active and the rolled-back one is the default target', () => {
    const back = [...live, rollbackRequested(3), rolledBack];
    spec.given(back).when(request).thenThrows('VERSION_ALREADY_ACTIVE');
    spec
      .given(back)
      .when(requestRollback({ rollbackId: 'rb2' }))
      .then([rollbackRequested(4, { rollbackId: 'rb2', fromVersion: 3 })]);
  });

  it('falls back to the newest retained version when the history has none', () => {
    spec
      .given([requested(3), activated(3)])
      .when(requestRollback())
      .then([rollbackRequested(4, { fromVersion: 3 })]);
    const none = spec
      .given([requested(3), activated(3)])
      .when(requestRollback({ registry: { registered: 3, retained: [3] } }))
      .thenThrows('ROLLBACK_TARGET_NOT_RETAINED');
    expect(none.details).toEqual({ deploymentName: 'prod' });
    expect(none.message).toContain('active v3');
  });

  it('starts a new history when another model is deployed', () => {
    const other = (version: number) => ({ name: 'other-llama', version });
    const switched: DeploymentEvent[] = [
      ...live,
      { ...requested(2), data: { ...requested(2).data, model: other(2) } } as DeploymentEvent,
    ];
    spec
      .given(switched)
      .when({ type: 'ActivateDeployment', deploymentName: 'prod', endpoint: 'e', registry, at: at(4) })
      .then([
        {
          type: 'DeploymentActivated',
          data: {
            deploymentName: 'prod',
            model: other(2),
            environment: 'production',
            endpoint: 'e',
            activatedAt: at(4),
          },
        },
      ]);
    const activatedOther: DeploymentEvent = {
      type: 'DeploymentActivated',
      data: {
        deploymentName: 'prod',
        model: other(2),
        environment: 'production',
        endpoint: 'e',
        activatedAt: at(4),
      },
    };
    // Versions 3 and 4 were med-llama's: other-llama's default target is its newest other retained version.
    spec
      .given([...switched, activatedOther])
      .when(requestRollback())
      .then([rollbackRequested(4, { fromVersion: 2 })]);
    spec
      .given([...switched, activatedOther])
      .when(requestRollback({ registry: { registered: 4, retained: [2, 3] } }))
      .then([rollbackRequested(3, { fromVersion: 2 })]);
  });

  it('triggers at exactly the threshold, and not while a rollback is pending or without a target', () => {
    const detect = {
      type: 'DetectDegradation' as const,
      deploymentName: 'prod',
      metric: 'latency' as const,
      baseline: 200,
      current: 300,
      window: { from: at(0), to: at(4), samples: 120 },
      registry,
      policy: { maxChangePct: 50 },
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
    spec
      .given(live)
      .when(detect)
      .then([
        detected,
        rollbackRequested(3, {
          rollbackId: `prod-${at(5)}`,
          reason: 'latency changed 50.0% (policy allows 50%)',
          trigger: 'policy',
          evidence: { metric: 'latency', baseline: 200, current: 300, changePct: 50 },
        }),
      ]);
    spec
      .given([...live, rollbackRequested(3)])
      .when(detect)
      .then([detected]);
    spec
      .given(live)
      .when({ ...detect, registry: { registered: 4, retained: [4] } })
      .then([detected]);
    expect(isWorse('benchmark', -10, 10)).toBe(true);
    expect(isWorse('benchmark', -9.9, 10)).toBe(false);
    expect(isWorse('latency', 9.9, 10)).toBe(false);
    expect(changePercent(-2, -1)).toBe(50);
    expect(changePercent(0, 0.1)).toBeCloseTo(1e10, 0);
  });

  // A refusal's details become the GraphQL error's extensions: a client reads the ids from them.
  it('names the deployment, model and versions in its refusals', () => {
    expect(
      spec
        .given([])
        .when({ ...request, model: model(1) })
        .thenThrows('MODEL_VERSION_ARCHIVED').details,
    ).toEqual({ model: model(1), retained: [2, 3, 4] });
    expect(
      spec
        .given([])
        .when({ ...request, registry: { ...registry, rewardModels: [3] } })
        .thenThrows('MODEL_VERSION_IS_REWARD_MODEL').details,
    ).toEqual({ model: model(3) });
    expect(
      spec
        .given([])
        .when({ type: 'ActivateDeployment', deploymentName: 'prod', endpoint: 'e', registry, at: at(1) })
        .thenThrows('DEPLOYMENT_NOT_REQUESTED').details,
    ).toEqual({ deploymentName: 'prod' });
    const pending = spec
      .given([requested(3)])
      .when({ ...request, model: model(4) })
      .thenThrows('DEPLOYMENT_PENDING');
    expect(pending.details).toEqual({
      deploymentName: 'prod',
      pending: { model: model(3), environment: 'production' },
    });
    expect(pending.message).toContain('med-llama v3');
    expect(
      spec
        .given([requested(3), activated(3)])
        .when(request)
        .thenThrows('VERSION_ALREADY_ACTIVE').details,
    ).toEqual({ deploymentName: 'prod', model: model(3) });
    expect(spec.given([]).when(requestRollback()).thenThrows('DEPLOYMENT_NOT_ACTIVE').details).toEqual({
      deploymentName: 'prod',
    });
    const twice = spec
      .given([...live, rollbackRequested(3)])
      .when(requestRollback({ rollbackId: 'rb2' }))
      .thenThrows('ROLLBACK_PENDING');
    expect(twice.details).toEqual({
      deploymentName: 'prod',
      pending: { rollbackId: 'rb1', fromVersion: 4, toVersion: 3 },
    });
    expect(twice.message).toContain('v3');
    expect(
      spec
        .given(live)
        .when(requestRollback({ toVersion: 4 }))
        .thenThrows('ROLLBACK_TARGET_IS_ACTIVE').details,
    ).toEqual({ deploymentName: 'prod', toVersion: 4 });
    const notRetained = spec
      .given(live)
      .when(requestRollback({ toVersion: 1, registry: { registered: 4, retained: [] } }))
      .thenThrows('ROLLBACK_TARGET_NOT_RETAINED');
    expect(notRetained.details).toEqual({ deploymentName: 'prod', toVersion: 1, retained: [] });
    expect(notRetained.message).toContain('(retained: none)');
    const reward = spec
      .given(live)
      .when(requestRollback({ toVersion: 3, registry: { ...registry, rewardModels: [3] } }))
      .thenThrows('MODEL_VERSION_IS_REWARD_MODEL');
    expect(reward.details).toEqual({ deploymentName: 'prod', toVersion: 3 });
    expect(reward.message).toContain('roll back to one of 2, 4');
    const wrongId = spec
      .given([...live, rollbackRequested(3)])
      .when({ type: 'CompleteRollback', deploymentName: 'prod', rollbackId: 'rb9', at: at(6) })
      .thenThrows('ROLLBACK_NOT_REQUESTED');
    expect(wrongId.details).toEqual({ deploymentName: 'prod', rollbackId: 'rb9' });
    expect(wrongId.message).toContain('(pending: "rb1")');
    expect(
      spec
        .given(live)
        .when({ type: 'CompleteRollback', deploymentName: 'prod', rollbackId: 'rb1', at: at(6) })
        .thenThrows('ROLLBACK_NOT_REQUESTED').message,
    ).not.toContain('pending:');
  });
});

describe('deployment decider: the activation history picks the default rollback target', () => {
  const activateAll = (versions: number[], name = 'med-llama'): DeploymentEvent[] =>
    versions.flatMap((version, index) => [
      { ...requested(version, 2 * index), data: { ...requested(version).data, model: { name, version } } },
      {
        ...activated(version, undefined, 2 * index + 1),
        data: { ...activated(version).data, model: { name, version }, activatedAt: at(2 * index + 1) },
      },
    ]) as DeploymentEvent[];

  it('is the version active just before, not the newest retained one', () => {
    // v2 then v3: the one before v3 is v2, although v4 is newer.
    spec
      .given(activateAll([2, 3]))
      .when(requestRollback())
      .then([rollbackRequested(2, { fromVersion: 3 })]);
    // v2, v3, v4: the latest before v4 is v3, not the first one, v2.
    spec
      .given(activateAll([2, 3, 4]))
      .when(requestRollback())
      .then([rollbackRequested(3)]);
  });

  it('continues after a rollback: the version rolled back from is the one before', () => {
    // v4, v3, v2 active, rolled back to v3 by name: the next default is v2, the one v3 replaced (not v4).
    const back: DeploymentEvent[] = [
      ...activateAll([4, 3, 2]),
      rollbackRequested(3, { fromVersion: 2 }),
      {
        type: 'RolledBack',
        data: {
          deploymentName: 'prod',
          rollbackId: 'rb1',
          fromVersion: 2,
          toVersion: 3,
          modelName: 'med-llama',
          rolledBackAt: at(9),
        },
      },
    ];
    spec
      .given(back)
      .when(requestRollback({ rollbackId: 'rb2' }))
      .then([rollbackRequested(2, { rollbackId: 'rb2', fromVersion: 3 })]);
  });

  it('forgets the versions of another model', () => {
    // med-llama v4 then v3, then other-llama v2: its target is the newest retained other version (v4), not v3.
    const switched = [...activateAll([4, 3]), ...activateAll([2], 'other-llama')];
    spec
      .given(switched)
      .when(requestRollback())
      .then([rollbackRequested(4, { fromVersion: 2 })]);
  });

  it('is not changed by a recorded degradation', () => {
    const detected: DeploymentEvent = {
      type: 'DegradationDetected',
      data: {
        deploymentName: 'prod',
        model: model(4),
        metric: 'latency',
        baseline: 200,
        current: 300,
        changePct: 50,
        window: { from: at(0), to: at(4), samples: 120 },
        detectedAt: at(4),
      },
    };
    spec
      .given([...live, detected])
      .when(requestRollback())
      .then([rollbackRequested(3)]);
  });

  it('carries the evidence a person gives', () => {
    spec
      .given(live)
      .when(requestRollback({ evidence: { ticket: 'INC-7' } }))
      .then([rollbackRequested(3, { evidence: { ticket: 'INC-7' } })]);
  });
});

describe('deployment decider: refusal messages list the versions', () => {
  it('names the retained versions, or says there is no other', () => {
    const archived = spec
      .given([])
      .when({
        type: 'RequestDeployment',
        deploymentName: 'prod',
        model: model(1),
        environment: 'production',
        registry,
        at: at(0),
      })
      .thenThrows('MODEL_VERSION_ARCHIVED');
    expect(archived.message).toContain('deploy one of the retained versions 2, 3, 4.');
    expect(
      spec
        .given(live)
        .when(requestRollback({ toVersion: 1, registry: { registered: 4, retained: [2, 3] } }))
        .thenThrows('ROLLBACK_TARGET_NOT_RETAINED').message,
    ).toContain('(retained: 2, 3)');
    expect(
      spec
        .given(live)
        .when(
          requestRollback({ toVersion: 3, registry: { registered: 4, retained: [3], rewardModels: [3] } }),
        )
        .thenThrows('MODEL_VERSION_IS_REWARD_MODEL').message,
    ).toContain('roll back to one of no other version.');
    expect(
      spec
        .given(live)
        .when({ type: 'CompleteRollback', deploymentName: 'prod', rollbackId: 'rb1', at: at(6) })
        .thenThrows('ROLLBACK_NOT_REQUESTED').message,
    ).toBe('Deployment "prod" has no pending rollback "rb1".');
  });
});
