import type { DeploymentsTable } from './schema.js';
import type { Selectable } from 'kysely';
import {
  applyDeploymentEntry,
  deploymentEntry,
  deploymentEventTypes,
  type DeploymentState,
} from './deployments.fold.js';
import { json, jsonOrNull, type Projection } from './projection.js';

/** Deployments (active version, endpoint, counters) and their full history. */
export const deploymentsProjection: Projection = {
  name: 'deployments',
  version: 1,
  handles: deploymentEventTypes,
  tables: ['deployments', 'deployment_history'],
  async apply(trx, event) {
    const entry = deploymentEntry(event);
    if (!entry) return;
    await trx
      .insertInto('deployment_history')
      .values({
        event_id: event.eventId,
        deployment_name: entry.deploymentName,
        stream_version: event.streamVersion,
        kind: entry.kind,
        model_name: entry.modelName,
        version: entry.version,
        from_version: entry.fromVersion,
        details: json(entry.details),
        recorded_at: entry.at,
      })
      .execute();
    const row = await trx
      .selectFrom('deployments')
      .selectAll()
      .where('deployment_name', '=', entry.deploymentName)
      .executeTakeFirst();
    const next = applyDeploymentEntry(row ? fromRow(row) : undefined, entry);
    const values = {
      deployment_name: next.deploymentName,
      status: next.status,
      environment: next.environment,
      model_name: next.modelName,
      active_version: next.activeVersion,
      previous_version: next.previousVersion,
      requested_version: next.requestedVersion,
      endpoint: next.endpoint,
      degradation_count: next.degradationCount,
      rollback_count: next.rollbackCount,
      last_degradation: jsonOrNull(next.lastDegradation),
      created_at: next.createdAt,
      updated_at: next.updatedAt,
    };
    if (row) {
      await trx
        .updateTable('deployments')
        .set(values)
        .where('deployment_name', '=', entry.deploymentName)
        .execute();
    } else {
      await trx.insertInto('deployments').values(values).execute();
    }
  },
};

function fromRow(row: Selectable<DeploymentsTable>): DeploymentState {
  return {
    deploymentName: row.deployment_name,
    status: row.status as DeploymentState['status'],
    environment: row.environment,
    modelName: row.model_name,
    activeVersion: row.active_version,
    previousVersion: row.previous_version,
    requestedVersion: row.requested_version,
    endpoint: row.endpoint,
    degradationCount: row.degradation_count,
    rollbackCount: row.rollback_count,
    lastDegradation: row.last_degradation as DeploymentState['lastDegradation'],
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}
