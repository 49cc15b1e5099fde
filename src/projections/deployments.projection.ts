import type { ProjectedEvent } from './lifecycleEvent.js';
import {
  applyDeploymentEntry,
  deploymentEntry,
  deploymentEventTypes,
  type DeploymentState,
  type DeploymentEventType,
} from './deployments.fold.js';
import { defineProjection, type ReadModelTransaction } from './projection.js';
import { RowBatch } from './rowBatch.js';

/**
 * Deployments (active version, endpoint, counters) and their full history. The row is the pure
 * DeploymentState that time travel folds too, stored column by column.
 */
export const deploymentsProjection = defineProjection({
  name: 'deployments',
  version: 1,
  handles: deploymentEventTypes,
  tables: ['deployments', 'deployment_history'],
  async apply(trx, event) {
    await applyDeployments(trx, [event]);
  },
  async applyBatch(trx, events) {
    await applyDeployments(trx, events);
  },
});

async function applyDeployments(
  trx: ReadModelTransaction,
  events: readonly ProjectedEvent<DeploymentEventType>[],
): Promise<void> {
  const entries = events.map((event) => ({ event, entry: deploymentEntry(event) }));
  const deployments = new RowBatch('deployments', 'deployment_name', ['last_degradation']);
  const history = new RowBatch('deployment_history', 'event_id', ['details']);
  await deployments.load(
    trx,
    entries.map(({ entry }) => entry.deploymentName),
  );
  for (const { event, entry } of entries) {
    history.insert({
      event_id: event.eventId,
      deployment_name: entry.deploymentName,
      stream_version: event.streamVersion,
      kind: entry.kind,
      model_name: entry.modelName,
      version: entry.version,
      from_version: entry.fromVersion,
      details: entry.details,
      recorded_at: entry.at,
    });
    const row = deployments.get(entry.deploymentName);
    deployments.insert(toRow(applyDeploymentEntry(row ? fromRow(row) : undefined, entry)));
  }
  await history.flush(trx);
  await deployments.flush(trx);
}

function toRow(state: DeploymentState): Record<string, unknown> {
  return {
    deployment_name: state.deploymentName,
    status: state.status,
    environment: state.environment,
    model_name: state.modelName,
    active_version: state.activeVersion,
    previous_version: state.previousVersion,
    requested_version: state.requestedVersion,
    endpoint: state.endpoint,
    degradation_count: state.degradationCount,
    rollback_count: state.rollbackCount,
    last_degradation: state.lastDegradation,
    created_at: state.createdAt,
    updated_at: state.updatedAt,
  };
}

function fromRow(row: Record<string, unknown>): DeploymentState {
  return {
    deploymentName: row['deployment_name'] as string,
    status: row['status'] as DeploymentState['status'],
    environment: row['environment'] as string | null,
    modelName: row['model_name'] as string | null,
    activeVersion: row['active_version'] as number | null,
    previousVersion: row['previous_version'] as number | null,
    requestedVersion: row['requested_version'] as number | null,
    endpoint: row['endpoint'] as string | null,
    degradationCount: Number(row['degradation_count']),
    rollbackCount: Number(row['rollback_count']),
    lastDegradation: row['last_degradation'] as DeploymentState['lastDegradation'],
    createdAt: row['created_at'] as string,
    updatedAt: row['updated_at'] as string,
  };
}
