import type { ProjectedEvent } from './lifecycleEvent.js';
import type { ModelStage } from './schema.js';
import { json, jsonOrNull, defineProjection, type ReadModelTransaction } from './projection.js';
import {
  applyRegistryChange,
  registryChanges,
  registryEventTypes,
  type ModelState,
  type ModelVersionState,
  type RegistryState,
  type RegistryEventType,
} from './registry.fold.js';

/**
 * The model registry: versions, stages, retention (last 3 retained) and archive reasons. A batch
 * loads the models it touches into the very RegistryState that time travel folds, applies the pure
 * registry changes to it, and writes the touched rows back: one meaning of the events, two stores.
 */
export const registryProjection = defineProjection({
  name: 'registry',
  version: 1,
  handles: registryEventTypes,
  tables: ['models', 'model_versions'],
  async apply(trx, event) {
    await applyRegistry(trx, [event]);
  },
  async applyBatch(trx, events) {
    await applyRegistry(trx, events);
  },
});

async function applyRegistry(
  trx: ReadModelTransaction,
  events: readonly ProjectedEvent<RegistryEventType>[],
): Promise<void> {
  const changes = events.flatMap(registryChanges);
  if (changes.length === 0) return;
  const names = [...new Set(changes.map((change) => change.modelName))];
  let state: RegistryState = await loadRegistry(trx, names);
  const touched = new Set<string>();
  for (const change of changes) {
    state = applyRegistryChange(state, change);
    touched.add(`${change.modelName}\u0000${change.version}`);
  }
  const models = names.map((name) => state.get(name)).filter((m): m is ModelState => m !== undefined);
  if (models.length === 0) return;
  await trx
    .insertInto('models')
    .values(
      models.map((model) => ({
        model_name: model.modelName,
        latest_version: model.latestVersion,
        staging_version: model.stagingVersion,
        production_version: model.productionVersion,
        registered_at: model.registeredAt,
        updated_at: model.updatedAt,
      })),
    )
    .onConflict((oc) =>
      oc.column('model_name').doUpdateSet((eb) => ({
        latest_version: eb.ref('excluded.latest_version'),
        staging_version: eb.ref('excluded.staging_version'),
        production_version: eb.ref('excluded.production_version'),
        updated_at: eb.ref('excluded.updated_at'),
      })),
    )
    .execute();
  const versions = models
    .flatMap((model) => [...model.versions.values()])
    .filter((v) => touched.has(`${v.modelName}\u0000${v.version}`));
  if (versions.length === 0) return;
  await trx
    .insertInto('model_versions')
    .values(
      versions.map((v) => ({
        model_name: v.modelName,
        version: v.version,
        run_id: v.runId,
        base_model: v.baseModel,
        artifacts: json(v.artifacts),
        training_summary: jsonOrNull(v.trainingSummary),
        stage: v.stage,
        retained: v.retained,
        evidence: json(v.evidence),
        approved_by: v.approvedBy,
        archived_reason: v.archivedReason,
        registered_event_id: v.registeredEventId,
        registered_at: v.registeredAt,
        promoted_at: v.promotedAt,
        archived_at: v.archivedAt,
      })),
    )
    .onConflict((oc) =>
      oc.columns(['model_name', 'version']).doUpdateSet((eb) => ({
        stage: eb.ref('excluded.stage'),
        retained: eb.ref('excluded.retained'),
        evidence: eb.ref('excluded.evidence'),
        approved_by: eb.ref('excluded.approved_by'),
        archived_reason: eb.ref('excluded.archived_reason'),
        promoted_at: eb.ref('excluded.promoted_at'),
        archived_at: eb.ref('excluded.archived_at'),
      })),
    )
    .execute();
}

async function loadRegistry(trx: ReadModelTransaction, names: readonly string[]): Promise<RegistryState> {
  const [models, versions] = await Promise.all([
    trx.selectFrom('models').selectAll().where('model_name', 'in', names).execute(),
    trx.selectFrom('model_versions').selectAll().where('model_name', 'in', names).execute(),
  ]);
  const state = new Map<string, ModelState>();
  for (const model of models) {
    const own = new Map<number, ModelVersionState>();
    for (const v of versions.filter((row) => row.model_name === model.model_name)) {
      own.set(v.version, {
        modelName: v.model_name,
        version: v.version,
        runId: v.run_id ?? '',
        baseModel: v.base_model ?? '',
        artifacts: v.artifacts as Record<string, string | undefined>,
        stage: v.stage as ModelStage,
        retained: v.retained,
        evidence: (v.evidence as string[] | null) ?? [],
        approvedBy: v.approved_by,
        archivedReason: v.archived_reason,
        trainingSummary: v.training_summary,
        registeredEventId: v.registered_event_id,
        registeredAt: v.registered_at.toISOString(),
        promotedAt: v.promoted_at?.toISOString() ?? null,
        archivedAt: v.archived_at?.toISOString() ?? null,
      });
    }
    state.set(model.model_name, {
      modelName: model.model_name,
      latestVersion: model.latest_version,
      stagingVersion: model.staging_version,
      productionVersion: model.production_version,
      registeredAt: model.registered_at.toISOString(),
      updatedAt: model.updated_at.toISOString(),
      versions: own,
    });
  }
  return state;
}
