import { sql, type SelectQueryBuilder } from 'kysely';
import type { ReadModelDatabase } from './schema.js';

/**
 * A page of a read model, in the list's order (also when counted from the end with `last`).
 * `nextCursor` (pass it as `after`) is null when no later item is known; `hasPreviousPage` says
 * whether earlier items exist (pass the first item's key as `before` to read them).
 */
export interface Page<T> {
  readonly items: readonly T[];
  readonly nextCursor: string | null;
  readonly hasPreviousPage: boolean;
  /** How many items the whole list has (every page together), counted only when called. */
  readonly count?: () => Promise<number>;
}

export interface PageArgs {
  /** At most this many items from the start of the list (1-500, default 50); not with `last`. */
  readonly first?: number;
  /** Only items after this cursor (the `nextCursor` of the previous page). */
  readonly after?: string | null;
  /** At most this many items from the end of the list (1-500); not with `first`. */
  readonly last?: number;
  /** Only items before this cursor (the `previousCursor` of the next page). */
  readonly before?: string | null;
}

/** Which end of the list a page is counted from, and how many items it holds. */
export interface PageWindow {
  readonly from: 'start' | 'end';
  readonly size: number;
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

function checkCount(name: 'first' | 'last', count: number): number {
  if (!Number.isInteger(count) || count < 1 || count > MAX_PAGE_SIZE) {
    throw new Error(`${name} must be an integer from 1 to ${MAX_PAGE_SIZE}, got ${count}`);
  }
  return count;
}

/**
 * The page a request asks for: `first` counts from the start (after `after`), `last` from the end
 * (before `before`); both at once is refused, neither is the first `defaultSize`.
 */
export function pageWindow(args: PageArgs, defaultSize = 50): PageWindow {
  if (args.first != null && args.last != null) {
    throw new Error(
      'pass first or last, not both: first pages forward from after, last backward from before',
    );
  }
  if (args.last != null) return { from: 'end', size: checkCount('last', args.last) };
  return { from: 'start', size: checkCount('first', args.first ?? defaultSize) };
}

export function pageSize(args: PageArgs): number {
  return pageWindow(args).size;
}

function cursorKey(cursor: string, columns: readonly string[]): Key[] {
  const key = decodeCursor(cursor);
  if (key.length !== columns.length) throw new Error(`cursor "${cursor}" belongs to another list`);
  return key;
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
  const window = pageWindow(args);
  const left = sql.join(columns.map((column) => sql.ref(column)));
  const bound = (cursor: string) => sql.join(cursorKey(cursor, columns).map((part) => sql`${part}`));
  let q = query;
  if (args.after) q = q.where(sql<boolean>`(${left}) > (${bound(args.after)})`);
  if (args.before) q = q.where(sql<boolean>`(${left}) < (${bound(args.before)})`);
  const direction = window.from === 'start' ? 'asc' : 'desc';
  for (const column of columns) q = q.orderBy(sql.ref(column), direction);
  const rows = await q.limit(window.size + 1).execute();
  const more = rows.length > window.size;
  const items = rows.slice(0, window.size);
  if (window.from === 'end') items.reverse();
  const lastItem = items[items.length - 1];
  // Beyond the far end of the page we looked (one row more); beyond its near end lies the cursor's item.
  const laterItems = window.from === 'start' ? more : args.before != null;
  const earlierItems = window.from === 'end' ? more : args.after != null;
  const count = async () => {
    const { n } = await query
      .clearSelect()
      .select(sql<string>`count(*)`.as('n'))
      .executeTakeFirstOrThrow();
    return Number(n);
  };
  return {
    items,
    nextCursor: laterItems && lastItem ? encodeCursor(keyOf(lastItem)) : null,
    hasPreviousPage: earlierItems,
    count,
  };
}
