import { Kind, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';
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
