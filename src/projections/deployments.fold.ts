import { assertNever } from '../domain/index.js';
import type { ProjectedEvent } from './lifecycleEvent.js';

/** What a line of a deployment's history records. */
export const deploymentHistoryKinds = [
  'requested',
  'activated',
  'degradation-detected',
  'rollback-requested',
  'rolled-back',
] as const;
export type DeploymentHistoryKind = (typeof deploymentHistoryKinds)[number];

/** One line of a deployment's history, derived purely from an event. */
export interface DeploymentEntry {
  readonly deploymentName: string;
  readonly kind: DeploymentHistoryKind;
  readonly modelName: string | null;
  readonly version: number | null;
  readonly fromVersion: number | null;
  readonly details: Readonly<Record<string, unknown>>;
  readonly at: string;
}

export const deploymentStatuses = ['requested', 'active', 'rolling-back'] as const;
export type DeploymentStatus = (typeof deploymentStatuses)[number];

export interface DeploymentState {
  readonly deploymentName: string;
  readonly status: DeploymentStatus;
  readonly environment: string | null;
  readonly modelName: string | null;
  readonly activeVersion: number | null;
  readonly previousVersion: number | null;
  readonly requestedVersion: number | null;
  readonly endpoint: string | null;
  readonly degradationCount: number;
  readonly rollbackCount: number;
  readonly lastDegradation: Readonly<Record<string, unknown>> | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export const deploymentEventTypes = [
  'DeploymentRequested',
  'DeploymentActivated',
  'DegradationDetected',
  'RollbackRequested',
  'RolledBack',
] as const;

/** The event types deploymentEntry handles. */
export type DeploymentEventType = (typeof deploymentEventTypes)[number];

export function deploymentEntry(event: ProjectedEvent<DeploymentEventType>): DeploymentEntry {
  switch (event.type) {
    case 'DeploymentRequested': {
      const d = event.data;
      return {
        deploymentName: d.deploymentName,
        kind: 'requested',
        modelName: d.model.name,
        version: d.model.version,
        fromVersion: null,
        details: { environment: d.environment, reason: d.reason },
        at: d.requestedAt,
      };
    }
    case 'DeploymentActivated': {
      const d = event.data;
      return {
        deploymentName: d.deploymentName,
        kind: 'activated',
        modelName: d.model.name,
        version: d.model.version,
        fromVersion: d.previousVersion ?? null,
        details: { environment: d.environment, endpoint: d.endpoint },
        at: d.activatedAt,
      };
    }
    case 'DegradationDetected': {
      const d = event.data;
      return {
        deploymentName: d.deploymentName,
        kind: 'degradation-detected',
        modelName: d.model.name,
        version: d.model.version,
        fromVersion: null,
        details: {
          metric: d.metric,
          baseline: d.baseline,
          current: d.current,
          changePct: d.changePct,
          window: d.window,
        },
        at: d.detectedAt,
      };
    }
    case 'RollbackRequested': {
      const d = event.data;
      return {
        deploymentName: d.deploymentName,
        kind: 'rollback-requested',
        modelName: null,
        version: d.toVersion,
        fromVersion: d.fromVersion,
        details: { rollbackId: d.rollbackId, reason: d.reason, trigger: d.trigger, evidence: d.evidence },
        at: d.requestedAt,
      };
    }
    case 'RolledBack': {
      const d = event.data;
      return {
        deploymentName: d.deploymentName,
        kind: 'rolled-back',
        modelName: d.modelName,
        version: d.toVersion,
        fromVersion: d.fromVersion,
        details: { rollbackId: d.rollbackId },
        at: d.rolledBackAt,
      };
    }
    default:
      return assertNever(event);
  }
}

/** The deployment after one history entry; pure, shared by the projection and time travel. */
export function applyDeploymentEntry(
  state: DeploymentState | undefined,
  entry: DeploymentEntry,
): DeploymentState {
  const base: DeploymentState = state ?? {
    deploymentName: entry.deploymentName,
    status: 'requested',
    environment: null,
    modelName: null,
    activeVersion: null,
    previousVersion: null,
    requestedVersion: null,
    endpoint: null,
    degradationCount: 0,
    rollbackCount: 0,
    lastDegradation: null,
    createdAt: entry.at,
    updatedAt: entry.at,
  };
  const updatedAt = entry.at;
  switch (entry.kind) {
    case 'requested':
      return {
        ...base,
        status: base.activeVersion === null ? 'requested' : base.status,
        environment: (entry.details['environment'] as string | undefined) ?? base.environment,
        requestedVersion: entry.version,
        modelName: base.modelName ?? entry.modelName,
        updatedAt,
      };
    case 'activated':
      return {
        ...base,
        status: 'active',
        environment: (entry.details['environment'] as string | undefined) ?? base.environment,
        endpoint: (entry.details['endpoint'] as string | undefined) ?? base.endpoint,
        modelName: entry.modelName,
        previousVersion: entry.fromVersion ?? base.activeVersion,
        activeVersion: entry.version,
        requestedVersion: null,
        updatedAt,
      };
    case 'degradation-detected':
      return {
        ...base,
        degradationCount: base.degradationCount + 1,
        lastDegradation: { ...entry.details, at: entry.at },
        updatedAt,
      };
    case 'rollback-requested':
      return { ...base, status: 'rolling-back', updatedAt };
    case 'rolled-back':
      return {
        ...base,
        status: 'active',
        modelName: entry.modelName ?? base.modelName,
        previousVersion: entry.fromVersion,
        activeVersion: entry.version,
        rollbackCount: base.rollbackCount + 1,
        updatedAt,
      };
  }
}
