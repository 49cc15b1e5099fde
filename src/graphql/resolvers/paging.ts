import { Kind, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';
import type { ArgOptions } from 'type-graphql';
import { checkTimeRange, pageWindow, type PageArgs, type TimeRange } from '../../projections/index.js';
import { badInput } from '../errors.js';

export const maxPageSize = 500;

/** A connection's paging arguments as the client sent them (Relay: first/after forward, last/before backward). */
export interface PageRequest {
  readonly first?: number | null;
  readonly after?: string | null;
  readonly last?: number | null;
  readonly before?: string | null;
}

/** The argument options of a connection's `first`, for a list whose page holds `defaultSize` items unless told. */
export function firstArg(defaultSize: number): ArgOptions {
  return {
    nullable: true,
    description: `At most this many items from the start of the list (after \`after\`): 1 to ${maxPageSize}; ${defaultSize} when neither first nor last is given. Not with last.`,
  };
}

export const afterArg: ArgOptions = {
  nullable: true,
  description: 'Only items after this cursor (any edge cursor of this list, e.g. pageInfo.endCursor).',
};

export const lastArg: ArgOptions = {
  nullable: true,
  description: `At most this many items from the end of the list (before \`before\`), still in the list's order: 1 to ${maxPageSize}. Not with first.`,
};

export const beforeArg: ArgOptions = {
  nullable: true,
  description: 'Only items before this cursor (any edge cursor of this list, e.g. pageInfo.startCursor).',
};

/**
 * A connection's paging arguments checked before they reach a query: \`first\` with \`last\`, or a count
 * outside 1..500, is BAD_USER_INPUT naming what to change.
 */
export function pageArgs(request: PageRequest, defaultSize: number): PageArgs {
  const args = {
    ...(request.first != null ? { first: request.first } : {}),
    ...(request.last != null ? { last: request.last } : {}),
  };
  let window;
  try {
    window = pageWindow(args, defaultSize);
  } catch (error) {
    throw badInput((error as Error).message);
  }
  return {
    ...(window.from === 'start' ? { first: window.size } : { last: window.size }),
    after: request.after ?? undefined,
    before: request.before ?? undefined,
  };
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

/** The plain fields selected in a selection set, or null when fragments make it not plain. */
function plainFields(
  selectionSet: SelectionSetNode | undefined,
): Map<string, SelectionSetNode | undefined> | null {
  const fields = new Map<string, SelectionSetNode | undefined>();
  for (const selection of selectionSet?.selections ?? []) {
    if (selection.kind !== Kind.FIELD) return null;
    if (fields.has(selection.name.value)) return null;
    fields.set(selection.name.value, selection.selectionSet);
  }
  return fields;
}

/**
 * The columns behind the fields a connection query selects under `edges { node { ... } }`, or
 * undefined (read every column) when the selection uses fragments, repeats a field, or names a
 * field the mapping does not know. Only ever narrows what is read to what the answer shows.
 */
export function selectedNodeColumns<Column extends string>(
  info: GraphQLResolveInfo,
  columnOf: Readonly<Record<string, Column>>,
): Column[] | undefined {
  const columns = new Set<Column>();
  for (const fieldNode of info.fieldNodes) {
    const connection = plainFields(fieldNode.selectionSet);
    if (!connection) return undefined;
    for (const [name, edgesSelection] of connection) {
      if (name === '__typename' || name === 'pageInfo') continue;
      if (name !== 'edges') return undefined;
      const edge = plainFields(edgesSelection);
      if (!edge) return undefined;
      for (const [edgeField, nodeSelection] of edge) {
        if (edgeField === '__typename' || edgeField === 'cursor') continue;
        if (edgeField !== 'node') return undefined;
        const node = plainFields(nodeSelection);
        if (!node) return undefined;
        for (const field of node.keys()) {
          if (field === '__typename') continue;
          const column = Object.hasOwn(columnOf, field) ? columnOf[field] : undefined;
          if (!column) return undefined;
          columns.add(column);
        }
      }
    }
  }
  return [...columns];
}
