import { describe, expect, it } from 'vitest';
import {
  datasetDecider,
  eventRegistry,
  toLifecycleEvent,
  type DatasetEvent,
  type DatasetRevisionAdded,
} from '../../src/domain/index.js';
import { at, hash, specFor } from './support.js';

const spec = specFor(datasetDecider);

const registered: DatasetEvent = {
  type: 'DatasetRegistered',
  data: {
    datasetId: 'med',
    name: 'Medical QA',
    domain: 'medicine',
    description: 'Doctor-reviewed answers',
    format: 'alpaca',
    tags: [],
    registeredAt: at(0),
  },
};

const revisionFields = (seed: string, recordCount = 100) => ({
  contentHash: hash(seed),
  recordCount,
  byteSize: recordCount * 50,
  splits: { train: { hash: hash(`${seed}t`), recordCount: recordCount - 10, byteSize: 4500 } },
  transform: { kind: 'ingest' as const, params: {} },
  piiReport: { counts: {} },
  qualityReport: { rejected: [] },
});

const revision = (
  number: number,
  seed: string,
  extra: Partial<DatasetRevisionAdded['data']> = {},
): DatasetRevisionAdded => ({
  type: 'DatasetRevisionAdded',
  data: { datasetId: 'med', revision: number, ...revisionFields(seed), addedAt: at(number), ...extra },
});

describe('dataset decider', () => {
  it('registers a dataset, the domain defaulting to general', () => {
    spec
      .given([])
      .when({ type: 'RegisterDataset', datasetId: 'med', name: 'Medical QA', format: 'alpaca', at: at(0) })
      .then([
        {
          type: 'DatasetRegistered',
          data: {
            datasetId: 'med',
            name: 'Medical QA',
            domain: 'general',
            description: '',
            format: 'alpaca',
            tags: [],
            registeredAt: at(0),
          },
        },
      ]);
  });

  it('refuses to register the same dataset twice', () => {
    spec
      .given([registered])
      .when({ type: 'RegisterDataset', datasetId: 'med', name: 'Again', format: 'alpaca', at: at(1) })
      .thenThrows('DATASET_ALREADY_REGISTERED');
  });

  it('numbers revisions 1, 2, 3 in order', () => {
    spec
      .given([registered])
      .when({ type: 'AddDatasetRevision', datasetId: 'med', ...revisionFields('a'), at: at(1) })
      .then([revision(1, 'a')]);
    spec
      .given([registered, revision(1, 'a')])
      .when({
        type: 'AddDatasetRevision',
        datasetId: 'med',
        revision: 2,
        ...revisionFields('b'),
        parentRevision: 1,
        at: at(2),
      })
      .then([revision(2, 'b', { parentRevision: 1 })]);
  });

  it('remembers what a derived revision inherits: the eval split artifact and the split options', () => {
    const withEval = revision(2, 'b', {
      splits: {
        train: { hash: hash('bt'), recordCount: 90, byteSize: 4500 },
        eval: { hash: hash('be'), recordCount: 10, byteSize: 500 },
      },
      transform: { kind: 'augment', params: { split: { evalFraction: 0.2, seed: 7 } } },
    });
    const badOptions = revision(3, 'c', {
      transform: { kind: 'ingest', params: { split: { evalFraction: 2 } } },
    });
    const state = [registered, revision(1, 'a'), withEval, badOptions].reduce(
      datasetDecider.evolve,
      datasetDecider.initialState(),
    );
    expect(state.revisions.get(1)).toEqual({
      contentHash: hash('a'),
      recordCount: 100,
      trainRecordCount: 90,
      evalSplitHash: null,
    });
    expect(state.revisions.get(2)).toEqual({
      contentHash: hash('b'),
      recordCount: 100,
      trainRecordCount: 90,
      evalSplitHash: hash('be'),
      split: { evalFraction: 0.2, seed: 7 },
    });
    expect(state.revisions.get(3)).not.toHaveProperty('split');
  });

  it('refuses a revision number that is not the next one', () => {
    spec
      .given([registered, revision(1, 'a')])
      .when({ type: 'AddDatasetRevision', datasetId: 'med', revision: 3, ...revisionFields('c'), at: at(2) })
      .thenThrows('REVISION_OUT_OF_ORDER');
  });

  it('refuses a parent revision that does not exist', () => {
    spec
      .given([registered, revision(1, 'a')])
      .when({
        type: 'AddDatasetRevision',
        datasetId: 'med',
        ...revisionFields('b'),
        parentRevision: 2,
        at: at(2),
      })
      .thenThrows('DATASET_REVISION_NOT_FOUND');
  });

  it('refuses revisions on an unregistered dataset', () => {
    spec
      .given([])
      .when({ type: 'AddDatasetRevision', datasetId: 'med', ...revisionFields('a'), at: at(1) })
      .thenThrows('DATASET_NOT_FOUND');
  });

  it('archives a dataset, after which it takes no new revisions', () => {
    const archived: DatasetEvent = {
      type: 'DatasetArchived',
      data: { datasetId: 'med', reason: 'superseded', archivedAt: at(3) },
    };
    spec
      .given([registered, revision(1, 'a')])
      .when({ type: 'ArchiveDataset', datasetId: 'med', reason: 'superseded', at: at(3) })
      .then([archived]);
    spec
      .given([registered, revision(1, 'a'), archived])
      .when({ type: 'AddDatasetRevision', datasetId: 'med', ...revisionFields('b'), at: at(4) })
      .thenThrows('DATASET_ARCHIVED');
    spec
      .given([registered, archived])
      .when({ type: 'ArchiveDataset', datasetId: 'med', reason: 'again', at: at(4) })
      .thenThrows('DATASET_ARCHIVED');
  });

  describe('augmentation', () => {
    const requested: DatasetEvent = {
      type: 'AugmentationRequested',
      data: {
        datasetId: 'med',
        augmentationId: 'aug-1',
        baseRevision: 1,
        templates: ['rephrase'],
        seed: 7,
        variantsPerRecord: 1,
        requestedAt: at(2),
      },
    };

    it('is requested on an existing revision', () => {
      spec
        .given([registered, revision(1, 'a')])
        .when({
          type: 'RequestAugmentation',
          datasetId: 'med',
          augmentationId: 'aug-1',
          baseRevision: 1,
          templates: ['rephrase'],
          seed: 7,
          at: at(2),
        })
        .then([requested]);
    });

    it('refuses a base revision that does not exist and a reused id', () => {
      const command = {
        type: 'RequestAugmentation' as const,
        datasetId: 'med',
        augmentationId: 'aug-1',
        baseRevision: 2,
        templates: ['rephrase'],
        seed: 7,
        at: at(2),
      };
      spec
        .given([registered, revision(1, 'a')])
        .when(command)
        .thenThrows('DATASET_REVISION_NOT_FOUND');
      spec
        .given([registered, revision(1, 'a'), requested])
        .when({ ...command, baseRevision: 1 })
        .thenThrows('AUGMENTATION_ALREADY_REQUESTED');
    });

    it('completes with a new revision whose parent is the base', () => {
      spec
        .given([registered, revision(1, 'a'), requested])
        .when({
          type: 'CompleteAugmentation',
          datasetId: 'med',
          augmentationId: 'aug-1',
          ...revisionFields('b', 250),
          at: at(3),
        })
        .then([
          {
            type: 'DatasetRevisionAdded',
            data: {
              datasetId: 'med',
              revision: 2,
              ...revisionFields('b', 250),
              parentRevision: 1,
              transform: { kind: 'augment', params: { augmentationId: 'aug-1' } },
              addedAt: at(3),
            },
          },
          {
            type: 'AugmentationCompleted',
            data: {
              datasetId: 'med',
              augmentationId: 'aug-1',
              baseRevision: 1,
              resultingRevision: 2,
              recordsAdded: 150,
              completedAt: at(3),
            },
          },
        ]);
    });

    it('refuses to complete or fail an unknown or finished augmentation', () => {
      const failed: DatasetEvent = {
        type: 'AugmentationFailed',
        data: { datasetId: 'med', augmentationId: 'aug-1', reason: 'template error', failedAt: at(3) },
      };
      spec
        .given([registered, revision(1, 'a'), requested])
        .when({
          type: 'FailAugmentation',
          datasetId: 'med',
          augmentationId: 'aug-1',
          reason: 'template error',
          at: at(3),
        })
        .then([failed]);
      spec
        .given([registered, revision(1, 'a')])
        .when({ type: 'FailAugmentation', datasetId: 'med', augmentationId: 'aug-9', reason: 'x', at: at(3) })
        .thenThrows('AUGMENTATION_NOT_FOUND');
      spec
        .given([registered, revision(1, 'a'), requested, failed])
        .when({
          type: 'CompleteAugmentation',
          datasetId: 'med',
          augmentationId: 'aug-1',
          ...revisionFields('b'),
          at: at(4),
        })
        .thenThrows('AUGMENTATION_ALREADY_FINISHED');
    });
  });
});

describe('dataset decider: fields, boundaries and refusals', () => {
  const requested: DatasetEvent = {
    type: 'AugmentationRequested',
    data: {
      datasetId: 'med',
      augmentationId: 'aug-1',
      baseRevision: 1,
      templates: ['rephrase'],
      seed: 7,
      variantsPerRecord: 3,
      requestedAt: at(2),
    },
  };
  const complete = {
    type: 'CompleteAugmentation' as const,
    datasetId: 'med',
    augmentationId: 'aug-1',
    ...revisionFields('b', 80),
    at: at(3),
  };
  const archived: DatasetEvent = {
    type: 'DatasetArchived',
    data: { datasetId: 'med', reason: 'superseded', archivedAt: at(3) },
  };

  it('registers the domain, description and tags given', () => {
    spec
      .given([])
      .when({
        type: 'RegisterDataset',
        datasetId: 'med',
        name: 'Medical QA',
        domain: 'medicine',
        description: 'Doctor-reviewed answers',
        format: 'alpaca',
        tags: ['qa'],
        at: at(0),
      })
      .then([{ ...registered, data: { ...registered.data, tags: ['qa'] } } as DatasetEvent]);
  });

  it('requires every merged revision to exist', () => {
    spec
      .given([registered, revision(1, 'a'), revision(2, 'b')])
      .when({
        type: 'AddDatasetRevision',
        datasetId: 'med',
        ...revisionFields('c'),
        mergedRevisions: [1, 2],
        at: at(3),
      })
      .then([revision(3, 'c', { mergedRevisions: [1, 2] })]);
    const missing = spec
      .given([registered, revision(1, 'a')])
      .when({
        type: 'AddDatasetRevision',
        datasetId: 'med',
        ...revisionFields('c'),
        mergedRevisions: [1, 5],
        at: at(3),
      })
      .thenThrows('DATASET_REVISION_NOT_FOUND');
    expect(missing.details).toEqual({ datasetId: 'med', revision: 5 });
    expect(missing.message).toContain('Merged revision 5 of dataset "med" does not exist (latest is 1)');
  });

  it('keeps the variants asked, the transform parameters, and never counts records removed', () => {
    spec
      .given([registered, revision(1, 'a')])
      .when({
        type: 'RequestAugmentation',
        datasetId: 'med',
        augmentationId: 'aug-1',
        baseRevision: 1,
        templates: ['rephrase'],
        seed: 7,
        variantsPerRecord: 3,
        at: at(2),
      })
      .then([requested]);
    const [added, completed] = spec
      .given([registered, revision(1, 'a'), requested])
      .when({ ...complete, transformParams: { model: 'tiny' } })
      .then([
        {
          type: 'DatasetRevisionAdded',
          data: {
            datasetId: 'med',
            revision: 2,
            ...revisionFields('b', 80),
            parentRevision: 1,
            transform: { kind: 'augment', params: { augmentationId: 'aug-1', model: 'tiny' } },
            addedAt: at(3),
          },
        },
        {
          type: 'AugmentationCompleted',
          data: {
            datasetId: 'med',
            augmentationId: 'aug-1',
            baseRevision: 1,
            resultingRevision: 2,
            recordsAdded: 0,
            completedAt: at(3),
          },
        },
      ]);
    const again = spec
      .given([registered, revision(1, 'a'), requested, added!, completed!])
      .when({ ...complete, at: at(4) })
      .thenThrows('AUGMENTATION_ALREADY_FINISHED');
    expect(again.details).toEqual({ augmentationId: 'aug-1', status: 'completed' });
    expect(again.message).toContain('already completed');
  });

  it('takes no augmentation on an archived or unknown dataset', () => {
    spec
      .given([registered, revision(1, 'a'), requested, archived])
      .when(complete)
      .thenThrows('DATASET_ARCHIVED');
    spec
      .given([])
      .when({ ...complete, type: 'CompleteAugmentation' })
      .thenThrows('DATASET_NOT_FOUND');
  });

  it('keeps split options with a fraction from 0 to 1 and an integer seed, nothing else', () => {
    const splitOf = (split: unknown) => {
      const state = [
        registered,
        revision(1, 'a', { transform: { kind: 'ingest', params: { split } } }),
      ].reduce(datasetDecider.evolve, datasetDecider.initialState());
      return state.revisions.get(1)?.split;
    };
    expect(splitOf({ evalFraction: 0, seed: 1 })).toEqual({ evalFraction: 0, seed: 1 });
    expect(splitOf({ evalFraction: 1, seed: 1 })).toEqual({ evalFraction: 1, seed: 1 });
    expect(splitOf({ evalFraction: -0.1, seed: 1 })).toBeUndefined();
    expect(splitOf({ evalFraction: 1.1, seed: 1 })).toBeUndefined();
    expect(splitOf({ evalFraction: '0.2', seed: 1 })).toBeUndefined();
    expect(splitOf({ evalFraction: 0.2, seed: 1.5 })).toBeUndefined();
    expect(splitOf({ evalFraction: 0.2, seed: '1' })).toBeUndefined();
    expect(splitOf({ evalFraction: 0.2 })).toBeUndefined();
    expect(splitOf(null)).toBeUndefined();
  });

  // A refusal's details become the GraphQL error's extensions: a client reads the ids from them.
  it('names the dataset, revision or augmentation in its refusals', () => {
    const again = spec
      .given([registered])
      .when({ type: 'RegisterDataset', datasetId: 'med', name: 'Again', format: 'alpaca', at: at(1) })
      .thenThrows('DATASET_ALREADY_REGISTERED');
    expect(again.details).toEqual({ datasetId: 'med' });
    expect(again.message).toContain('already registered as "Medical QA"');
    expect(
      spec
        .given([])
        .when({ type: 'AddDatasetRevision', datasetId: 'med', ...revisionFields('a'), at: at(1) })
        .thenThrows('DATASET_NOT_FOUND').details,
    ).toEqual({ datasetId: 'med' });
    expect(
      spec
        .given([registered, archived])
        .when({ type: 'ArchiveDataset', datasetId: 'med', reason: 'again', at: at(4) })
        .thenThrows('DATASET_ARCHIVED').details,
    ).toEqual({ datasetId: 'med' });
    const outOfOrder = spec
      .given([registered, revision(1, 'a')])
      .when({ type: 'AddDatasetRevision', datasetId: 'med', revision: 3, ...revisionFields('c'), at: at(2) })
      .thenThrows('REVISION_OUT_OF_ORDER');
    expect(outOfOrder.details).toEqual({ datasetId: 'med', expected: 2, got: 3 });
    expect(outOfOrder.message).toContain('is at revision 1, so the next revision is 2, not 3');
    const noBase = spec
      .given([registered])
      .when({
        type: 'RequestAugmentation',
        datasetId: 'med',
        augmentationId: 'aug-1',
        baseRevision: 1,
        templates: ['rephrase'],
        seed: 7,
        at: at(2),
      })
      .thenThrows('DATASET_REVISION_NOT_FOUND');
    expect(noBase.message).toContain('Base revision 1 of dataset "med" does not exist (latest is none)');
    expect(
      spec
        .given([registered, revision(1, 'a'), requested])
        .when({
          type: 'RequestAugmentation',
          datasetId: 'med',
          augmentationId: 'aug-1',
          baseRevision: 1,
          templates: ['rephrase'],
          seed: 7,
          at: at(2),
        })
        .thenThrows('AUGMENTATION_ALREADY_REQUESTED').details,
    ).toEqual({ augmentationId: 'aug-1' });
    const unknown = spec
      .given([registered, revision(1, 'a')])
      .when({ type: 'FailAugmentation', datasetId: 'med', augmentationId: 'aug-9', reason: 'x', at: at(3) })
      .thenThrows('AUGMENTATION_NOT_FOUND');
    expect(unknown.details).toEqual({ augmentationId: 'aug-9' });
    expect(unknown.message).toContain('on dataset "med"');
  });
});

describe('upcasting', () => {
  it('reads a stored DatasetRegistered v1 (no domain) as v2 in the general domain', () => {
    const storedV1 = {
      type: 'DatasetRegistered',
      schemaVersion: 1,
      data: {
        datasetId: 'old',
        name: 'Old',
        description: '',
        format: 'alpaca',
        tags: [],
        registeredAt: at(0),
      },
    };
    const event = toLifecycleEvent(storedV1);
    expect(event).toEqual({ type: 'DatasetRegistered', data: { ...storedV1.data, domain: 'general' } });
    expect(eventRegistry.currentVersion('DatasetRegistered')).toBe(2);
    // The upcast shape is a valid current event.
    expect(() => eventRegistry.validate('DatasetRegistered', event?.data)).not.toThrow();
    // The stored object is not rewritten.
    expect(storedV1.data).not.toHaveProperty('domain');
  });

  it('reads a TrainingProgressReported v1 (tokensSeen, no rate) as v2 with tokensPerSecond', () => {
    const { data } = eventRegistry.upcast('TrainingProgressReported', 1, {
      step: 10,
      elapsedMs: 2000,
      tokensSeen: 5000,
    });
    expect(data).toEqual({ step: 10, elapsedMs: 2000, tokensPerSecond: 2500 });
  });

  it('refuses an event written by a newer schema version and passes foreign types through', () => {
    expect(() => eventRegistry.upcast('DatasetRegistered', 3, {})).toThrow(/newer tuneledger/);
    expect(eventRegistry.upcast('SomethingElse', 4, { a: 1 })).toEqual({ schemaVersion: 4, data: { a: 1 } });
    expect(toLifecycleEvent({ type: 'SomethingElse', schemaVersion: 1, data: {} })).toBeUndefined();
  });

  it('names the field and the rule when a payload is invalid', () => {
    expect(() => eventRegistry.validate('DatasetRevisionAdded', { datasetId: 'x', revision: 0 })).toThrow(
      /DatasetRevisionAdded payload is invalid: revision/,
    );
  });
});
