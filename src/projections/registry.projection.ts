import { json, jsonOrNull, type Projection, type ReadModelTransaction } from './projection.js';
import { registryChanges, registryEventTypes, stagePointers, type RegistryChange } from './registry.fold.js';

/** The model registry: versions, stages, retention (last 3 retained) and archive reasons. */
export const registryProjection: Projection = {
  name: 'registry',
  version: 1,
  handles: registryEventTypes,
  tables: ['models', 'model_versions'],
  async apply(trx, event) {
    for (const change of registryChanges(event)) await writeRegistryChange(trx, change);
  },
};

async function writeRegistryChange(trx: ReadModelTransaction, change: RegistryChange): Promise<void> {
  switch (change.kind) {
    case 'version-registered': {
      await trx
        .insertInto('model_versions')
        .values({
          model_name: change.modelName,
          version: change.version,
          run_id: change.runId,
          base_model: change.baseModel,
          artifacts: json(change.artifacts),
          training_summary: jsonOrNull(change.trainingSummary),
          stage: 'none',
          retained: true,
          registered_event_id: change.eventId,
          registered_at: change.at,
        })
        .execute();
      await trx
        .insertInto('models')
        .values({
          model_name: change.modelName,
          latest_version: change.version,
          registered_at: change.at,
          updated_at: change.at,
        })
        .onConflict((oc) =>
          oc.column('model_name').doUpdateSet((eb) => ({
            latest_version: eb.fn('greatest', [
              eb.ref('models.latest_version'),
              eb.ref('excluded.latest_version'),
            ]),
            updated_at: eb.ref('excluded.updated_at'),
          })),
        )
        .execute();
      return;
    }
    case 'stage-changed':
    case 'version-archived': {
      const stage = change.kind === 'stage-changed' ? change.stage : 'none';
      const updated = await trx
        .updateTable('model_versions')
        .set(
          change.kind === 'stage-changed'
            ? {
                stage,
                ...(change.promotion
                  ? {
                      evidence: json(change.promotion.evidence),
                      approved_by: change.promotion.approvedBy,
                      promoted_at: change.at,
                    }
                  : {}),
              }
            : { stage, retained: false, archived_reason: change.reason, archived_at: change.at },
        )
        .where('model_name', '=', change.modelName)
        .where('version', '=', change.version)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) === 0) return;
      const model = await trx
        .selectFrom('models')
        .select(['staging_version', 'production_version'])
        .where('model_name', '=', change.modelName)
        .executeTakeFirstOrThrow();
      const pointers = stagePointers(
        { stagingVersion: model.staging_version, productionVersion: model.production_version },
        change.version,
        stage,
      );
      await trx
        .updateTable('models')
        .set({
          staging_version: pointers.stagingVersion,
          production_version: pointers.productionVersion,
          updated_at: change.at,
        })
        .where('model_name', '=', change.modelName)
        .execute();
      return;
    }
  }
}
