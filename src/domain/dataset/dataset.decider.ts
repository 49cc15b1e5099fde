import { assertNever, ensure, type Decider } from '../shared/index.js';
import type {
  AugmentationCompleted,
  AugmentationFailed,
  AugmentationRequested,
  DatasetArchived,
  DatasetEvent,
  DatasetRegistered,
  DatasetRevisionAdded,
  DatasetFormat,
} from './dataset.events.js';
import { DEFAULT_DATASET_DOMAIN } from './dataset.events.js';

type RevisionFields = Omit<DatasetRevisionAdded['data'], 'datasetId' | 'revision' | 'addedAt'>;

export type RegisterDataset = {
  readonly type: 'RegisterDataset';
  readonly datasetId: string;
  readonly name: string;
  readonly domain?: string;
  readonly description?: string;
  readonly format: DatasetFormat;
  readonly tags?: readonly string[];
  readonly at: string;
};

export type AddDatasetRevision = RevisionFields & {
  readonly type: 'AddDatasetRevision';
  readonly datasetId: string;
  /** The number the caller expects the revision to get; refused when another got there first. */
  readonly revision?: number;
  readonly at: string;
};

export type RequestAugmentation = Omit<AugmentationRequested['data'], 'requestedAt' | 'variantsPerRecord'> & {
  readonly type: 'RequestAugmentation';
  readonly variantsPerRecord?: number;
  readonly at: string;
};

/** Records the augmented revision and closes the request in one decision. */
export type CompleteAugmentation = Omit<RevisionFields, 'parentRevision' | 'transform'> & {
  readonly type: 'CompleteAugmentation';
  readonly datasetId: string;
  readonly augmentationId: string;
  readonly transformParams?: Record<string, unknown>;
  readonly at: string;
};

export type FailAugmentation = {
  readonly type: 'FailAugmentation';
  readonly datasetId: string;
  readonly augmentationId: string;
  readonly reason: string;
  readonly at: string;
};

export type ArchiveDataset = {
  readonly type: 'ArchiveDataset';
  readonly datasetId: string;
  readonly reason: string;
  readonly at: string;
};

export type DatasetCommand =
  | RegisterDataset
  | AddDatasetRevision
  | RequestAugmentation
  | CompleteAugmentation
  | FailAugmentation
  | ArchiveDataset;

/** What later revisions need to know of a revision: its content and which of its records were held out. */
export interface DatasetRevisionFacts {
  readonly contentHash: string;
  readonly recordCount: number;
  /** Records in its train split: a training run needs at least one. */
  readonly trainRecordCount: number;
  /** The artifact of its eval split; null when it has none (every record is train). */
  readonly evalSplitHash: string | null;
  /** The split options it recorded in `transform.params.split`, when it did: a derived revision keeps them. */
  readonly split?: { readonly evalFraction: number; readonly seed: number };
}

export interface DatasetState {
  readonly status: 'none' | 'active' | 'archived';
  readonly datasetId: string;
  readonly name: string;
  readonly format: DatasetFormat | undefined;
  /** Revisions are numbered 1..n with no gaps. */
  readonly revisions: ReadonlyMap<number, DatasetRevisionFacts>;
  readonly augmentations: ReadonlyMap<
    string,
    { status: 'requested' | 'completed' | 'failed'; baseRevision: number }
  >;
}

export const initialDatasetState = (): DatasetState => ({
  status: 'none',
  datasetId: '',
  name: '',
  format: undefined,
  revisions: new Map(),
  augmentations: new Map(),
});

export function evolveDataset(state: DatasetState, event: DatasetEvent): DatasetState {
  switch (event.type) {
    case 'DatasetRegistered':
      return {
        ...state,
        status: 'active',
        datasetId: event.data.datasetId,
        name: event.data.name,
        format: event.data.format,
      };
    case 'DatasetRevisionAdded':
      return {
        ...state,
        revisions: new Map(state.revisions).set(event.data.revision, {
          contentHash: event.data.contentHash,
          recordCount: event.data.recordCount,
          trainRecordCount: event.data.splits.train.recordCount,
          evalSplitHash: event.data.splits.eval?.hash ?? null,
          ...splitOptionsOf(event.data.transform.params),
        }),
      };
    case 'AugmentationRequested':
      return {
        ...state,
        augmentations: new Map(state.augmentations).set(event.data.augmentationId, {
          status: 'requested',
          baseRevision: event.data.baseRevision,
        }),
      };
    case 'AugmentationCompleted':
    case 'AugmentationFailed': {
      const previous = state.augmentations.get(event.data.augmentationId);
      const status = event.type === 'AugmentationCompleted' ? 'completed' : 'failed';
      return {
        ...state,
        augmentations: new Map(state.augmentations).set(event.data.augmentationId, {
          status,
          baseRevision: previous?.baseRevision ?? 0,
        }),
      };
    }
    case 'DatasetArchived':
      return { ...state, status: 'archived' };
    default:
      return assertNever(event);
  }
}

function requireActive(state: DatasetState, datasetId: string): void {
  ensure(
    state.status !== 'none',
    'DATASET_NOT_FOUND',
    `Dataset "${datasetId}" is not registered; register it first.`,
    { datasetId },
  );
  ensure(
    state.status !== 'archived',
    'DATASET_ARCHIVED',
    `Dataset "${datasetId}" is archived and takes no new revisions or augmentations; register a new dataset instead.`,
    { datasetId },
  );
}

function requireRevision(state: DatasetState, revision: number, what: string): void {
  ensure(
    state.revisions.has(revision),
    'DATASET_REVISION_NOT_FOUND',
    `${what} revision ${revision} of dataset "${state.datasetId}" does not exist (latest is ${state.revisions.size || 'none'}).`,
    { datasetId: state.datasetId, revision },
  );
}

export function decideDataset(command: DatasetCommand, state: DatasetState): readonly DatasetEvent[] {
  switch (command.type) {
    case 'RegisterDataset':
      return [registerDataset(command, state)];
    case 'AddDatasetRevision':
      return addDatasetRevision(command, state);
    case 'RequestAugmentation':
      return [requestAugmentation(command, state)];
    case 'CompleteAugmentation':
      return completeAugmentation(command, state);
    case 'FailAugmentation':
      return [failAugmentation(command, state)];
    case 'ArchiveDataset':
      return [archiveDataset(command, state)];
    default:
      return assertNever(command);
  }
}

function registerDataset(command: RegisterDataset, state: DatasetState): DatasetRegistered {
  ensure(
    state.status === 'none',
    'DATASET_ALREADY_REGISTERED',
    `Dataset "${command.datasetId}" is already registered as "${state.name}"; add a revision to it or pick another id.`,
    { datasetId: command.datasetId },
  );
  return {
    type: 'DatasetRegistered',
    data: {
      datasetId: command.datasetId,
      name: command.name,
      domain: command.domain ?? DEFAULT_DATASET_DOMAIN,
      description: command.description ?? '',
      format: command.format,
      tags: [...(command.tags ?? [])],
      registeredAt: command.at,
    },
  };
}

function addDatasetRevision(command: AddDatasetRevision, state: DatasetState): readonly DatasetEvent[] {
  requireActive(state, command.datasetId);
  const { type: _type, at, ...fields } = command;
  return [revisionAdded(state, fields, at)];
}

function requestAugmentation(command: RequestAugmentation, state: DatasetState): AugmentationRequested {
  requireActive(state, command.datasetId);
  requireRevision(state, command.baseRevision, 'Base');
  ensure(
    !state.augmentations.has(command.augmentationId),
    'AUGMENTATION_ALREADY_REQUESTED',
    `Augmentation "${command.augmentationId}" was already requested on dataset "${command.datasetId}"; use a new id.`,
    { augmentationId: command.augmentationId },
  );
  const { type: _type, at, variantsPerRecord, ...data } = command;
  return {
    type: 'AugmentationRequested',
    data: {
      ...data,
      templates: [...data.templates],
      variantsPerRecord: variantsPerRecord ?? 1,
      requestedAt: at,
    },
  };
}

function completeAugmentation(command: CompleteAugmentation, state: DatasetState): readonly DatasetEvent[] {
  requireActive(state, command.datasetId);
  const augmentation = requireOpenAugmentation(state, command.augmentationId);
  const { type: _type, augmentationId, transformParams, at, ...revisionFields } = command;
  const added = revisionAdded(
    state,
    {
      ...revisionFields,
      parentRevision: augmentation.baseRevision,
      transform: { kind: 'augment', params: { augmentationId, ...transformParams } },
    },
    at,
  );
  const baseCount = state.revisions.get(augmentation.baseRevision)?.recordCount ?? 0;
  const completed: AugmentationCompleted = {
    type: 'AugmentationCompleted',
    data: {
      datasetId: command.datasetId,
      augmentationId,
      baseRevision: augmentation.baseRevision,
      resultingRevision: added.data.revision,
      recordsAdded: Math.max(0, command.recordCount - baseCount),
      completedAt: at,
    },
  };
  return [added, completed];
}

function failAugmentation(command: FailAugmentation, state: DatasetState): AugmentationFailed {
  requireOpenAugmentation(state, command.augmentationId);
  return {
    type: 'AugmentationFailed',
    data: {
      datasetId: command.datasetId,
      augmentationId: command.augmentationId,
      reason: command.reason,
      failedAt: command.at,
    },
  };
}

function archiveDataset(command: ArchiveDataset, state: DatasetState): DatasetArchived {
  requireActive(state, command.datasetId);
  return {
    type: 'DatasetArchived',
    data: { datasetId: command.datasetId, reason: command.reason, archivedAt: command.at },
  };
}

function requireOpenAugmentation(state: DatasetState, augmentationId: string) {
  const augmentation = state.augmentations.get(augmentationId);
  ensure(
    augmentation,
    'AUGMENTATION_NOT_FOUND',
    `Augmentation "${augmentationId}" was never requested on dataset "${state.datasetId}".`,
    { augmentationId },
  );
  ensure(
    augmentation.status === 'requested',
    'AUGMENTATION_ALREADY_FINISHED',
    `Augmentation "${augmentationId}" is already ${augmentation.status}; request a new one.`,
    { augmentationId, status: augmentation.status },
  );
  return augmentation;
}

function revisionAdded(
  state: DatasetState,
  fields: RevisionFields & { readonly revision?: number; readonly datasetId?: string },
  at: string,
): DatasetRevisionAdded {
  const next = state.revisions.size + 1;
  ensure(
    fields.revision === undefined || fields.revision === next,
    'REVISION_OUT_OF_ORDER',
    `Dataset "${state.datasetId}" is at revision ${next - 1}, so the next revision is ${next}, not ${fields.revision}; re-read the dataset and retry.`,
    { datasetId: state.datasetId, expected: next, got: fields.revision },
  );
  if (fields.parentRevision !== undefined) requireRevision(state, fields.parentRevision, 'Parent');
  for (const merged of fields.mergedRevisions ?? []) requireRevision(state, merged, 'Merged');
  const { revision: _revision, datasetId: _datasetId, ...rest } = fields;
  return {
    type: 'DatasetRevisionAdded',
    data: { ...rest, datasetId: state.datasetId, revision: next, addedAt: at },
  };
}

export const datasetDecider: Decider<DatasetCommand, DatasetEvent, DatasetState> = {
  initialState: initialDatasetState,
  evolve: evolveDataset,
  decide: decideDataset,
};

/** The split options a revision recorded (`transform.params.split`), when they are well formed. */
function splitOptionsOf(params: Readonly<Record<string, unknown>>): Pick<DatasetRevisionFacts, 'split'> {
  const split = params['split'] as { evalFraction?: unknown; seed?: unknown } | null | undefined;
  const { evalFraction, seed } = split ?? {};
  if (typeof evalFraction !== 'number' || !(evalFraction >= 0 && evalFraction <= 1)) return {};
  if (typeof seed !== 'number' || !Number.isInteger(seed)) return {};
  return { split: { evalFraction, seed } };
}
