import { z } from 'zod';
import { defineEvent, type EventOf, type EventUnionOf } from '../shared/eventRegistry.js';
import {
  exactKey,
  freeString,
  id,
  isoTimestamp,
  nonEmptyFreeText,
  nonNegativeInt,
  positiveInt,
  sha256,
} from '../shared/schemas.js';
import { freeText } from '../shared/textKinds.js';

export const datasetFormat = z.enum(['alpaca', 'sharegpt', 'openai-messages', 'preference']);
export type DatasetFormat = z.infer<typeof datasetFormat>;

export const transformKind = z.enum(['ingest', 'augment', 'redact', 'merge', 'flywheel', 'split']);
export type TransformKind = z.infer<typeof transformKind>;

/** The domain a dataset belongs to (medicine, law, finance...); 'general' when not said. */
export const DEFAULT_DATASET_DOMAIN = 'general';

const datasetRegisteredV2 = z.object({
  datasetId: id,
  name: nonEmptyFreeText,
  domain: nonEmptyFreeText,
  description: freeString,
  format: datasetFormat,
  tags: z.array(freeString).default([]),
  registeredAt: isoTimestamp,
});

/**
 * v1 of DatasetRegistered had no `domain`; v2 reads it as the general domain. This is the
 * project's worked example of an upcaster: stored v1 events stay as written.
 */
export const DatasetRegistered = defineEvent('DatasetRegistered', datasetRegisteredV2, {
  schemaVersion: 2,
  upcasters: { 1: (v1) => ({ ...v1, domain: DEFAULT_DATASET_DOMAIN }) },
});

const splitInfo = z.object({ hash: sha256, recordCount: nonNegativeInt, byteSize: nonNegativeInt });

export const DatasetRevisionAdded = defineEvent(
  'DatasetRevisionAdded',
  z.object({
    datasetId: id,
    revision: positiveInt,
    contentHash: sha256,
    recordCount: nonNegativeInt,
    byteSize: nonNegativeInt,
    splits: z.object({ train: splitInfo, eval: splitInfo.optional() }),
    parentRevision: positiveInt.optional(),
    /** Extra parents of a merge. */
    mergedRevisions: z.array(positiveInt).optional(),
    transform: z.object({
      kind: transformKind,
      params: z.record(exactKey, freeText(z.unknown())).default({}),
    }),
    piiReport: z
      .object({
        counts: z.record(exactKey, nonNegativeInt),
        /** The action applied to each kind of PII at ingest (absent on events written before policies). */
        policy: z.record(exactKey, z.enum(['redact', 'keep', 'pseudonymise'])).optional(),
      })
      .default({ counts: {} }),
    qualityReport: z
      .object({
        rejected: z.array(z.object({ line: positiveInt, reason: freeString })),
        instructionQuality: z.object({ mean: z.number(), min: z.number(), max: z.number() }).optional(),
      })
      .default({ rejected: [] }),
    /** Interactions that fed a flywheel revision. */
    sourceInteractions: z.array(id).optional(),
    addedAt: isoTimestamp,
  }),
);

export const AugmentationRequested = defineEvent(
  'AugmentationRequested',
  z.object({
    datasetId: id,
    augmentationId: id,
    baseRevision: positiveInt,
    templates: z.array(nonEmptyFreeText).min(1),
    lexiconHash: sha256.optional(),
    seed: z.int(),
    variantsPerRecord: positiveInt.default(1),
    /** At most this many generated records (absent: every template x term pair). */
    count: positiveInt.optional(),
    requestedAt: isoTimestamp,
  }),
);

export const AugmentationCompleted = defineEvent(
  'AugmentationCompleted',
  z.object({
    datasetId: id,
    augmentationId: id,
    baseRevision: positiveInt,
    resultingRevision: positiveInt,
    recordsAdded: nonNegativeInt,
    completedAt: isoTimestamp,
  }),
);

export const AugmentationFailed = defineEvent(
  'AugmentationFailed',
  z.object({ datasetId: id, augmentationId: id, reason: nonEmptyFreeText, failedAt: isoTimestamp }),
);

export const DatasetArchived = defineEvent(
  'DatasetArchived',
  z.object({ datasetId: id, reason: nonEmptyFreeText, archivedAt: isoTimestamp }),
);

export const datasetEventDefinitions = [
  DatasetRegistered,
  DatasetRevisionAdded,
  AugmentationRequested,
  AugmentationCompleted,
  AugmentationFailed,
  DatasetArchived,
] as const;

export type DatasetRegistered = EventOf<typeof DatasetRegistered>;
export type DatasetRevisionAdded = EventOf<typeof DatasetRevisionAdded>;
export type AugmentationRequested = EventOf<typeof AugmentationRequested>;
export type AugmentationCompleted = EventOf<typeof AugmentationCompleted>;
export type AugmentationFailed = EventOf<typeof AugmentationFailed>;
export type DatasetArchived = EventOf<typeof DatasetArchived>;

/** Every dataset event: derived from the definitions, so a new one is added in one place. */
export type DatasetEvent = EventUnionOf<typeof datasetEventDefinitions>;
