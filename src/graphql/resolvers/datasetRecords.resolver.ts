import { Arg, Ctx, FieldResolver, Int, Resolver, Root } from 'type-graphql';
import {
  ArtifactNotFoundError,
  readCanonicalRecords,
  redactText,
  type DatasetRecord,
} from '../../data/index.js';
import { requireAction, type ApiContext } from '../context.js';
import { badInput, notFound } from '../errors.js';
import { keyCursor, type Connection } from '../types/connection.js';
import { DatasetRecordConnection, type DatasetRecordType } from '../types/datasetRecord.type.js';
import { DatasetRevisionType, DatasetType, toDatasetRevision } from '../types/dataset.type.js';
import { getDatasetRevision } from '../../projections/index.js';

/** The most records one page holds (each is read from the artifact and redacted on the way out). */
export const maxRecordsPage = 100;

/** The index an `after` cursor names (a cursor of this connection: the keyset `[index]`). */
function indexAfter(after: string | null | undefined): number {
  if (after == null) return -1;
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(after, 'base64url').toString('utf8'));
  } catch {
    key = undefined;
  }
  if (!Array.isArray(key) || key.length !== 1 || !Number.isSafeInteger(key[0]) || (key[0] as number) < 0) {
    throw badInput(
      `cursor "${after}" is not a record cursor: pass an edge's cursor from DatasetRevision.records`,
    );
  }
  return key[0] as number;
}

/** A record as a reader may see it: every text redacted with every PII kind, whatever the revision's policy. */
function readable(record: DatasetRecord, index: number): DatasetRecordType {
  return {
    index,
    messages: record.messages.map((message) => ({
      role: message.role,
      content: redactText(message.content),
    })),
    chosen: record.chosen === undefined ? null : redactText(record.chosen),
    rejected: record.rejected === undefined ? null : redactText(record.rejected),
  };
}

@Resolver(() => DatasetRevisionType)
export class DatasetRecordsResolver {
  @FieldResolver(() => DatasetRecordConnection, {
    description: `The revision's records, in order, read from its artifact (redacted text only: see DatasetRecord). At most first records (1 to ${maxRecordsPage}) after the cursor after; a later page reads the artifact from its start.`,
  })
  async records(
    @Root() revision: DatasetRevisionType,
    @Ctx() context: ApiContext,
    @Arg('first', () => Int, { defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null | undefined,
  ): Promise<Connection<DatasetRecordType>> {
    requireAction(context, 'read', 'read dataset records');
    if (!Number.isInteger(first) || first < 1 || first > maxRecordsPage) {
      throw badInput(`first must be an integer from 1 to ${maxRecordsPage}, got ${first}`);
    }
    const from = indexAfter(after) + 1;
    const artifacts = context.deps.artifacts;
    const where = `revision ${revision.revision} of dataset ${revision.datasetId}`;
    if (!artifacts)
      throw notFound(`this server has no artifact store, so the records of ${where} cannot be read`);
    const nodes: DatasetRecordType[] = [];
    let more = false;
    let index = 0;
    try {
      for await (const record of readCanonicalRecords(artifacts, revision.contentHash)) {
        if (index >= from) {
          if (nodes.length === first) {
            more = true;
            break;
          }
          nodes.push(readable(record, index));
        }
        index++;
      }
    } catch (error) {
      if (error instanceof ArtifactNotFoundError) {
        throw notFound(`the artifact ${revision.contentHash} of ${where} is not in the artifact store`);
      }
      throw error;
    }
    const edges = nodes.map((node) => ({ cursor: keyCursor([node.index]), node }));
    return {
      edges,
      pageInfo: {
        hasNextPage: more,
        hasPreviousPage: from > 0,
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges.at(-1)?.cursor ?? null,
      },
    };
  }
}

@Resolver(() => DatasetType)
export class DatasetRevisionByNumberResolver {
  @FieldResolver(() => DatasetRevisionType, {
    nullable: true,
    description:
      'One revision by its number (the record viewer reads its records); null when the dataset has none such.',
  })
  async revision(
    @Root() dataset: DatasetType,
    @Ctx() context: ApiContext,
    @Arg('revision', () => Int) revision: number,
  ): Promise<DatasetRevisionType | null> {
    requireAction(context, 'read', 'read dataset revisions');
    if (!Number.isSafeInteger(revision) || revision < 1)
      throw badInput(`revision must be 1 or more, got ${revision}`);
    const row = await getDatasetRevision(context.deps.db, dataset.datasetId, revision);
    return row ? toDatasetRevision(row) : null;
  }
}
