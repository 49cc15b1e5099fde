import { assertNever } from '../domain/index.js';
import { defineProjection, json } from './projection.js';

/** Datasets and their revisions (hashes, sizes, transforms, PII and quality reports). */
export const datasetsProjection = defineProjection({
  name: 'datasets',
  version: 1,
  handles: ['DatasetRegistered', 'DatasetRevisionAdded', 'DatasetArchived'],
  tables: ['datasets', 'dataset_revisions'],
  async apply(trx, event) {
    switch (event.type) {
      case 'DatasetRegistered': {
        const data = event.data;
        await trx
          .insertInto('datasets')
          .values({
            dataset_id: data.datasetId,
            name: data.name,
            domain: data.domain,
            description: data.description,
            format: data.format,
            latest_revision: null,
            revision_count: 0,
            archived: false,
            archived_reason: null,
            registered_at: data.registeredAt,
            updated_at: data.registeredAt,
          })
          .execute();
        return;
      }
      case 'DatasetRevisionAdded': {
        const data = event.data;
        await trx
          .insertInto('dataset_revisions')
          .values({
            dataset_id: data.datasetId,
            revision: data.revision,
            content_hash: data.contentHash,
            record_count: data.recordCount,
            byte_size: data.byteSize,
            splits: json(data.splits),
            parent_revision: data.parentRevision ?? null,
            transform_kind: data.transform.kind,
            transform: json(data.transform),
            pii_report: json(data.piiReport),
            quality_report: json(data.qualityReport),
            source_interaction_count: data.sourceInteractions?.length ?? 0,
            event_id: event.eventId,
            added_at: data.addedAt,
          })
          .execute();
        await trx
          .updateTable('datasets')
          .set((eb) => ({
            latest_revision: data.revision,
            revision_count: eb('revision_count', '+', 1),
            updated_at: data.addedAt,
          }))
          .where('dataset_id', '=', data.datasetId)
          .execute();
        return;
      }
      case 'DatasetArchived': {
        const data = event.data;
        await trx
          .updateTable('datasets')
          .set({ archived: true, archived_reason: data.reason, updated_at: data.archivedAt })
          .where('dataset_id', '=', data.datasetId)
          .execute();
        return;
      }
      default:
        return assertNever(event);
    }
  },
});
