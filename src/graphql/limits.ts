import { createRequire } from 'node:module';
import type { DocumentNode, GraphQLField, GraphQLSchema } from 'graphql';
import { GraphQLError, GraphQLObjectType, getNullableType, isListType } from 'graphql';
import type { ComplexityEstimatorArgs } from 'graphql-query-complexity';
import { apiError } from './errors.js';
import { fieldCosts, schemaIntrospectionCost, totalCountCost } from './fieldCosts.js';

type ComplexityLibrary = typeof import('graphql-query-complexity');
const require = createRequire(import.meta.url);
/**
 * graphql-query-complexity walks the schema with its own copy of graphql, which must be the copy
 * the schema was built with: the ESM one under node, the CommonJS one under vitest's alias.
 */
const complexityLibrary: ComplexityLibrary =
  (require('graphql') as { GraphQLObjectType: unknown }).GraphQLObjectType === GraphQLObjectType
    ? (require('graphql-query-complexity') as ComplexityLibrary)
    : await import('graphql-query-complexity');
const { getComplexity, simpleEstimator } = complexityLibrary;

export interface QueryLimits {
  /** Deepest selection nesting a document may have. */
  readonly maxDepth: number;
  /**
   * Highest estimated cost: a field costs 1, a list field its children times its page size, an
   * expensive field its price (fieldCosts.ts: `asOf` folds, audit reports), introspection what it reads.
   */
  readonly maxComplexity: number;
  /** Most selections (fields and fragments, each alias one, fragments counted where spread) a document may have. */
  readonly maxSelections: number;
  /** Most lexical tokens a document may have (graphql-js stops parsing beyond). */
  readonly maxTokens: number;
  /** Largest request body, in bytes. */
  readonly maxBodyBytes: number;
  /** Deepest nesting of objects and lists in a request's variables. */
  readonly maxInputDepth: number;
  /** How long a query may run before it stops with DEADLINE_EXCEEDED (HTTP 504), in ms. */
  readonly deadlineMs: number;
  /**
   * Most graphql-ws subscriptions one caller (API token, or address in local mode) may hold open at once,
   * over all its connections: each one runs its selection for every event it is sent.
   */
  readonly maxSubscriptions: number;
}

export const defaultLimits: QueryLimits = {
  maxDepth: 12,
  maxComplexity: 20_000,
  maxSelections: 10_000,
  maxTokens: 10_000,
  maxBodyBytes: 1_000_000,
  maxInputDepth: 32,
  deadlineMs: 10_000,
  maxSubscriptions: 200,
};

/** A paged connection's page when neither `first` nor `last` is given (its `defaultPageSize` extension). */
function defaultPageSizeOf(field: GraphQLField<unknown, unknown>, fallback: number): number {
  const size = field.extensions?.defaultPageSize;
  return typeof size === 'number' ? size : fallback;
}

/**
 * Lists cost what they can return: a connection with `first: 100` multiplies its children by 100,
 * a list without a page size by `defaultListSize`.
 */
function pageSizeEstimator(defaultListSize: number) {
  return ({ args, childComplexity, field }: ComplexityEstimatorArgs): number | void => {
    const pageSize =
      typeof args.first === 'number'
        ? args.first
        : typeof args.last === 'number'
          ? args.last
          : field.args.some((arg) => arg.name === 'last')
            ? defaultPageSizeOf(field, defaultListSize)
            : null;
    if (pageSize !== null) return 1 + childComplexity * Math.max(1, pageSize);
    // A connection's edges were already multiplied by the connection's page size.
    if (field.name === 'edges') return 1 + childComplexity;
    if (isListType(getNullableType(field.type))) return 1 + childComplexity * defaultListSize;
  };
}

/** Fields priced by what they read (fieldCosts), plus their children. */
function fieldCostEstimator({ args, childComplexity, field, type }: ComplexityEstimatorArgs): number | void {
  const price = fieldCosts.get(`${type.name}.${field.name}`);
  if (price) return price(args) + childComplexity;
  if (field.name === 'totalCount' && type.name.endsWith('Connection')) return totalCountCost;
}

/**
 * Introspection priced on its own: `__schema` costs what it reads (the schema's size), and the
 * fields of the introspection types 1 each, never multiplied by list sizes (a list of types is as
 * long as the schema, which `__schema` already paid for).
 */
function introspectionEstimator(schema: GraphQLSchema) {
  return ({ childComplexity, field, type }: ComplexityEstimatorArgs): number | void => {
    if (field.name === '__schema') return schemaIntrospectionCost(schema) + childComplexity;
    if (field.name === '__type' || type.name.startsWith('__')) return 1 + childComplexity;
  };
}

/**
 * Estimated costs by document (Apollo hands the same parsed document for the same query text) and
 * then by schema, operation name and variables: repeated queries skip the walk over the document.
 */
const costs = new WeakMap<DocumentNode, Map<string, { schema: GraphQLSchema; complexity: number }>>();
const costsPerDocument = 64;

function estimate(
  schema: GraphQLSchema,
  query: DocumentNode,
  variables: Record<string, unknown> | undefined,
  operationName: string | undefined,
  maxSelections: number,
): number {
  let known = costs.get(query);
  if (!known) costs.set(query, (known = new Map()));
  const key = JSON.stringify([operationName ?? null, maxSelections, variables ?? {}]);
  const cached = known.get(key);
  if (cached && cached.schema === schema) return cached.complexity;
  const complexity = getComplexity({
    schema,
    query,
    variables: variables ?? {},
    operationName,
    // Counted while estimating, fragments expanded where spread; refused below as too many selections.
    maxQueryNodes: maxSelections + 1,
    estimators: [
      introspectionEstimator(schema),
      fieldCostEstimator,
      pageSizeEstimator(20),
      simpleEstimator({ defaultComplexity: 1 }),
    ],
  });
  if (known.size >= costsPerDocument) known.delete(known.keys().next().value!);
  known.set(key, { schema, complexity });
  return complexity;
}

/**
 * Throws BAD_USER_INPUT (HTTP 400) when the document's estimated cost is over the limit, when it has
 * more selections than the limit, or when its variables do not fit the operation (the estimator
 * reads them).
 */
export function assertComplexity(
  schema: GraphQLSchema,
  query: DocumentNode,
  variables: Record<string, unknown> | undefined,
  operationName: string | undefined,
  limits: QueryLimits,
): number {
  let complexity: number;
  try {
    complexity = estimate(schema, query, variables, operationName, limits.maxSelections);
  } catch (error) {
    if (!(error instanceof GraphQLError)) throw error;
    // The estimator's own errors carry no code, and Apollo answers an uncoded error thrown at this
    // stage with HTTP 500: every one of them is about the request.
    const tooMany = /maximum allowed number of nodes/.test(error.message);
    throw apiError(
      'BAD_USER_INPUT',
      tooMany
        ? `query has too many selections: the limit is ${limits.maxSelections} (each alias counts, fragments count where spread); ask for fewer fields`
        : error.message,
      { ...(tooMany ? { maxSelections: limits.maxSelections } : {}), http: { status: 400 } },
    );
  }
  if (complexity > limits.maxComplexity) {
    throw apiError(
      'BAD_USER_INPUT',
      `query is too expensive: estimated cost ${complexity} exceeds the limit ${limits.maxComplexity}; ask for smaller pages (first), fewer fields or fewer asOf answers and audit reports`,
      { complexity, maxComplexity: limits.maxComplexity, http: { status: 400 } },
    );
  }
  return complexity;
}

/**
 * Throws BAD_USER_INPUT (HTTP 400) when `value` nests objects and lists deeper than `maxDepth`.
 * Walked without recursion: the point is to refuse values deep enough to overflow the stack of
 * whatever recursive code (JSON.stringify, scalar parsing, zod) would meet them later.
 */
export function assertInputDepth(value: unknown, maxDepth: number, what = 'variables'): void {
  const pending: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  while (pending.length > 0) {
    const next = pending.pop()!;
    if (next.value === null || typeof next.value !== 'object') continue;
    if (next.depth >= maxDepth) {
      throw apiError(
        'BAD_USER_INPUT',
        `${what} nest deeper than the limit of ${maxDepth} levels of objects and lists`,
        { maxInputDepth: maxDepth, http: { status: 400 } },
      );
    }
    for (const child of Object.values(next.value)) pending.push({ value: child, depth: next.depth + 1 });
  }
}
