import { sql, type SelectQueryBuilder } from 'kysely';
import type { ReadModelDatabase } from './schema.js';

/** A page of a read model, ordered by a stable key; `nextCursor` is null on the last page. */
export interface Page<T> {
  readonly items: readonly T[];
  readonly nextCursor: string | null;
  /** How many items the whole list has (every page together), counted only when called. */
  readonly count?: () => Promise<number>;
}

export interface PageArgs {
  /** At most this many items (1-500, default 50). */
  readonly first?: number;
  /** The `nextCursor` of the previous page. */
  readonly after?: string | null;
}

export const MAX_PAGE_SIZE = 500;

type Key = string | number;

function encodeCursor(key: readonly Key[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

function decodeCursor(cursor: string): Key[] {
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(key) && key.every((part) => typeof part === 'string' || typeof part === 'number')) {
      return key as Key[];
    }
  } catch {
    // fall through to the error below
  }
  throw new Error(
    `cursor "${cursor}" is not one this API returned; pass the nextCursor of the previous page`,
  );
}

export function pageSize(args: PageArgs): number {
  const first = args.first ?? 50;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
    throw new Error(`first must be an integer from 1 to ${MAX_PAGE_SIZE}, got ${first}`);
  }
  return first;
}

/**
 * Keyset pagination over (columns...) ascending: stable under concurrent inserts, no OFFSET scans.
 * `keyOf` reads the key back from a row (timestamps as ISO strings).
 */
export async function paginate<Table extends keyof ReadModelDatabase, Row>(
  query: SelectQueryBuilder<ReadModelDatabase, Table, Row>,
  columns: readonly string[],
  keyOf: (row: Row) => readonly Key[],
  args: PageArgs,
): Promise<Page<Row>> {
  const first = pageSize(args);
  let q = query;
  if (args.after) {
    const key = decodeCursor(args.after);
    if (key.length !== columns.length) throw new Error(`cursor "${args.after}" belongs to another list`);
    const left = sql.join(columns.map((column) => sql.ref(column)));
    const right = sql.join(key.map((part) => sql`${part}`));
    q = q.where(sql<boolean>`(${left}) > (${right})`);
  }
  for (const column of columns) q = q.orderBy(sql.ref(column), 'asc');
  const rows = await q.limit(first + 1).execute();
  const items = rows.slice(0, first);
  const last = items[items.length - 1];
  const count = async () => {
    const { n } = await query
      .clearSelect()
      .select(sql<string>`count(*)`.as('n'))
      .executeTakeFirstOrThrow();
    return Number(n);
  };
  return { items, nextCursor: rows.length > first && last ? encodeCursor(keyOf(last)) : null, count };
}
