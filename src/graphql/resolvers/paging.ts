import { checkTimeRange, type TimeRange } from '../../projections/index.js';
import { badInput } from '../errors.js';

export const maxPageSize = 500;

/** Checks a page size before it reaches a query, so the client hears what to change. */
export function checkFirst(first: number): number {
  if (!Number.isInteger(first) || first < 1 || first > maxPageSize) {
    throw badInput(`first must be an integer from 1 to ${maxPageSize}, got ${first}`);
  }
  return first;
}

/** Runs a read-model page query; a cursor it cannot read is the client's mistake, not ours. */
export async function readPage<T>(query: () => Promise<T>): Promise<T> {
  try {
    return await query();
  } catch (error) {
    if (error instanceof Error && /^cursor "/.test(error.message)) throw badInput(error.message);
    throw error;
  }
}

/** A list's time window from its `...After` / `...Before` arguments; an empty window is BAD_USER_INPUT. */
export function timeRange(
  after: Date | undefined,
  before: Date | undefined,
  what: string,
): TimeRange | undefined {
  if (after === undefined && before === undefined) return undefined;
  const range = { after, before };
  try {
    checkTimeRange(range, what);
  } catch (error) {
    throw badInput((error as Error).message);
  }
  return range;
}
