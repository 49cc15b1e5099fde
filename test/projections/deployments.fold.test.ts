import { describe, expect, it } from 'vitest';
import {
  applyDeploymentEntry,
  deploymentEntry,
  type DeploymentEntry,
  type DeploymentState,
} from '../../src/projections/deployments.fold.js';
import { projectedEvent } from '../support/projectedEvent.js';

// The deployments fold on its own (the projection writes it to SQL, time travel folds it in memory): the history
// line each event gives, and the deployment after each line.
const requested = (version: number, extra: object = {}) =>
  projectedEvent('DeploymentRequested', {
    deploymentName: 'chat',
    model: { name: 'tiny', version },
    environment: 'prod',
    reason: 'ship it',
    requestedAt: `t-req-${version}`,
    ...extra,
  });
const activated = (version: number, extra: object = {}) =>
  projectedEvent('DeploymentActivated', {
    deploymentName: 'chat',
    model: { name: 'tiny', version },
    environment: 'prod',
    endpoint: `/v1/chat-${version}`,
    activatedAt: `t-act-${version}`,
    ...extra,
  });
const window = { from: 't0', to: 't1', samples: 40 };
const degraded = projectedEvent('DegradationDetected', {
  deploymentName: 'chat',
  model: { name: 'tiny', version: 3 },
  metric: 'latency',
  baseline: 10,
  current: 30,
  changePct: 200,
  window,
  detectedAt: 't-deg',
});
const rollbackRequested = projectedEvent('RollbackRequested', {
  deploymentName: 'chat',
  rollbackId: 'rb1',
  fromVersion: 3,
  toVersion: 2,
  reason: 'slow',
  trigger: 'policy',
  evidence: { degradation: 'e9' },
  requestedAt: 't-rbq',
});
const rolledBack = projectedEvent('RolledBack', {
  deploymentName: 'chat',
  rollbackId: 'rb1',
  fromVersion: 3,
  toVersion: 2,
  modelName: 'tiny',
  rolledBackAt: 't-rb',
});

const fold = (entries: readonly DeploymentEntry[]) =>
  entries.reduce<DeploymentState | undefined>(applyDeploymentEntry, undefined)!;

describe('deployments fold: the history line of each event', () => {
  it('gives each event its kind, model, versions, details and time', () => {
    expect(deploymentEntry(requested(2))).toEqual({
      deploymentName: 'chat',
      kind: 'requested',
      modelName: 'tiny',
      version: 2,
      fromVersion: null,
      details: { environment: 'prod', reason: 'ship it' },
      at: 't-req-2',
    });
    expect(deploymentEntry(activated(3, { previousVersion: 2 }))).toEqual({
      deploymentName: 'chat',
      kind: 'activated',
      modelName: 'tiny',
      version: 3,
      fromVersion: 2,
      details: { environment: 'prod', endpoint: '/v1/chat-3' },
      at: 't-act-3',
    });
    expect(deploymentEntry(activated(1)).fromVersion).toBeNull();
    expect(deploymentEntry(degraded)).toEqual({
      deploymentName: 'chat',
      kind: 'degradation-detected',
      modelName: 'tiny',
      version: 3,
      fromVersion: null,
      details: { metric: 'latency', baseline: 10, current: 30, changePct: 200, window },
      at: 't-deg',
    });
    expect(deploymentEntry(rollbackRequested)).toEqual({
      deploymentName: 'chat',
      kind: 'rollback-requested',
      modelName: null,
      version: 2,
      fromVersion: 3,
      details: { rollbackId: 'rb1', reason: 'slow', trigger: 'policy', evidence: { degradation: 'e9' } },
      at: 't-rbq',
    });
    expect(deploymentEntry(rolledBack)).toEqual({
      deploymentName: 'chat',
      kind: 'rolled-back',
      modelName: 'tiny',
      version: 2,
      fromVersion: 3,
      details: { rollbackId: 'rb1' },
      at: 't-rb',
    });
  });
});

describe('deployments fold: the deployment after each line', () => {
  it('starts requested, with nothing active, created and updated at its request', () => {
    expect(fold([deploymentEntry(requested(2))])).toEqual({
      deploymentName: 'chat',
      status: 'requested',
      environment: 'prod',
      modelName: 'tiny',
      activeVersion: null,
      previousVersion: null,
      requestedVersion: 2,
      endpoint: null,
      degradationCount: 0,
      rollbackCount: 0,
      lastDegradation: null,
      createdAt: 't-req-2',
      updatedAt: 't-req-2',
    });
  });

  it('activates the requested version, keeping the one it replaces as the previous', () => {
    const first = fold([requested(2), activated(2)].map(deploymentEntry));
    expect(first).toMatchObject({
      status: 'active',
      activeVersion: 2,
      previousVersion: null,
      requestedVersion: null,
      endpoint: '/v1/chat-2',
      createdAt: 't-req-2',
      updatedAt: 't-act-2',
    });
    // Without previousVersion in the event, the version active before is the previous one.
    const second = applyDeploymentEntry(first, deploymentEntry(activated(3)));
    expect(second).toMatchObject({ activeVersion: 3, previousVersion: 2, endpoint: '/v1/chat-3' });
    // With it, the event says which.
    expect(applyDeploymentEntry(first, deploymentEntry(activated(3, { previousVersion: 1 })))).toMatchObject({
      previousVersion: 1,
    });
    // A later request on an active deployment leaves it active, waiting on the requested version.
    expect(applyDeploymentEntry(second, deploymentEntry(requested(4)))).toMatchObject({
      status: 'active',
      activeVersion: 3,
      requestedVersion: 4,
      updatedAt: 't-req-4',
    });
  });

  it('keeps the environment, endpoint and model a line does not name', () => {
    const base = fold([requested(2), activated(2)].map(deploymentEntry));
    const bare = (entry: DeploymentEntry): DeploymentEntry => ({ ...entry, details: {} });
    expect(applyDeploymentEntry(base, bare(deploymentEntry(activated(3))))).toMatchObject({
      environment: 'prod',
      endpoint: '/v1/chat-2',
    });
    expect(
      applyDeploymentEntry(
        base,
        bare(deploymentEntry(requested(4, { model: { name: 'other', version: 4 } }))),
      ),
    ).toMatchObject({ environment: 'prod', modelName: 'tiny' });
    const moved = deploymentEntry(requested(4, { environment: 'eu' }));
    expect(applyDeploymentEntry(base, moved).environment).toBe('eu');
    expect(applyDeploymentEntry(base, deploymentEntry(activated(4, { environment: 'eu' }))).environment).toBe(
      'eu',
    );
    // The first request names the model; an activation names the one now served.
    expect(
      fold([requested(2, { model: { name: 'first', version: 2 } })].map(deploymentEntry)).modelName,
    ).toBe('first');
    expect(
      applyDeploymentEntry(base, deploymentEntry(activated(1, { model: { name: 'other', version: 1 } })))
        .modelName,
    ).toBe('other');
    // A rollback line without a model keeps the deployment's.
    expect(applyDeploymentEntry(base, { ...deploymentEntry(rolledBack), modelName: null }).modelName).toBe(
      'tiny',
    );
  });

  it('counts degradations and rollbacks, and follows a rollback from requested to done', () => {
    const before = fold([requested(2), activated(2), activated(3)].map(deploymentEntry));
    const afterDegradation = applyDeploymentEntry(before, deploymentEntry(degraded));
    expect(afterDegradation).toEqual({
      ...before,
      degradationCount: 1,
      lastDegradation: { metric: 'latency', baseline: 10, current: 30, changePct: 200, window, at: 't-deg' },
      updatedAt: 't-deg',
    });
    expect(applyDeploymentEntry(afterDegradation, deploymentEntry(degraded)).degradationCount).toBe(2);
    const rollingBack = applyDeploymentEntry(afterDegradation, deploymentEntry(rollbackRequested));
    expect(rollingBack).toEqual({ ...afterDegradation, status: 'rolling-back', updatedAt: 't-rbq' });
    const done = applyDeploymentEntry(rollingBack, deploymentEntry(rolledBack));
    expect(done).toEqual({
      ...rollingBack,
      status: 'active',
      modelName: 'tiny',
      previousVersion: 3,
      activeVersion: 2,
      rollbackCount: 1,
      updatedAt: 't-rb',
    });
    expect(applyDeploymentEntry(done, deploymentEntry(rolledBack)).rollbackCount).toBe(2);
  });

  it('names a deployment first seen on any line after that line', () => {
    expect(fold([deploymentEntry(rolledBack)])).toMatchObject({
      deploymentName: 'chat',
      status: 'active',
      createdAt: 't-rb',
      updatedAt: 't-rb',
      activeVersion: 2,
    });
  });
});
