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
import { afterArg, beforeArg, lastArg, pageArgs } from './paging.js';
import { DatasetRecordConnection, type DatasetRecordType } from '../types/datasetRecord.type.js';
import { DatasetRevisionType, DatasetType, toDatasetRevision } from '../types/dataset.type.js';
import { getDatasetRevision } from '../../projections/index.js';

/** The most records one page holds (each is read from the artifact and redacted on the way out). */
export const maxRecordsPage = 100;

/** The index a cursor of this connection names (the keyset `[index]`). */
function cursorIndex(after: string): number {
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
    description: `The revision's records, in order, read from its artifact (redacted text only: see DatasetRecord). At most first records (1 to ${maxRecordsPage}) after the cursor after, or last records before the cursor before; every page reads the artifact from its start.`,
  })
  async records(
    @Root() revision: DatasetRevisionType,
    @Ctx() context: ApiContext,
    @Arg('first', () => Int, {
      nullable: true,
      description: `At most this many records from the start (after \`after\`): 1 to ${maxRecordsPage}; 20 when neither first nor last is given. Not with last.`,
    })
    first: number | undefined,
    @Arg('after', () => String, afterArg) after: string | undefined,
    @Arg('last', () => Int, lastArg) last: number | undefined,
    @Arg('before', () => String, beforeArg) before: string | undefined,
  ): Promise<Connection<DatasetRecordType>> {
    requireAction(context, 'read', 'read dataset records');
    for (const [name, count] of [
      ['first', first],
      ['last', last],
    ] as const) {
      if (count != null && (!Number.isInteger(count) || count < 1 || count > maxRecordsPage)) {
        throw badInput(`${name} must be an integer from 1 to ${maxRecordsPage}, got ${count}`);
      }
    }
    const page = pageArgs({ first, after, last, before }, 20);
    const size = page.first ?? page.last!;
    const from = after == null ? 0 : cursorIndex(after) + 1;
    const end = before == null ? Infinity : cursorIndex(before);
    const fromEnd = page.last !== undefined;
    const artifacts = context.deps.artifacts;
    const where = `revision ${revision.revision} of dataset ${revision.datasetId}`;
    if (!artifacts)
      throw notFound(`this server has no artifact store, so the records of ${where} cannot be read`);
    // Counted from the start: stop one record past the page. From the end: keep the last `size` records before
    // `end` (redacting only those), knowing whether one came before them.
    const kept: { record: DatasetRecord; index: number }[] = [];
    let more = false;
    let index = 0;
    try {
      for await (const record of readCanonicalRecords(artifacts, revision.contentHash)) {
        if (index >= end) break;
        if (index >= from) {
          if (kept.length === size) {
            more = true;
            if (!fromEnd) break;
            kept.shift();
          }
          kept.push({ record, index });
        }
        index++;
      }
    } catch (error) {
      if (error instanceof ArtifactNotFoundError) {
        throw notFound(`the artifact ${revision.contentHash} of ${where} is not in the artifact store`);
      }
      throw error;
    }
    const edges = kept.map(({ record, index: at }) => {
      const node = readable(record, at);
      return { cursor: keyCursor([node.index]), node };
    });
    return {
      edges,
      pageInfo: {
        hasNextPage: fromEnd ? end !== Infinity && edges.length > 0 : more,
        hasPreviousPage: fromEnd ? more : from > 0,
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
