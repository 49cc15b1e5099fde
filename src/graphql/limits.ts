import { createRequire } from 'node:module';
import type { DocumentNode, GraphQLSchema, ValidationRule } from 'graphql';
import { GraphQLObjectType, getNullableType, isListType } from 'graphql';
import depthLimit from 'graphql-depth-limit';
import type { ComplexityEstimatorArgs } from 'graphql-query-complexity';
import { apiError } from './errors.js';

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
  /** Highest estimated cost: each field costs 1, a list field costs its children times its page size. */
  readonly maxComplexity: number;
  /** Largest request body, in bytes. */
  readonly maxBodyBytes: number;
}

export const defaultLimits: QueryLimits = { maxDepth: 12, maxComplexity: 20_000, maxBodyBytes: 1_000_000 };

/**
 * Lists cost what they can return: a connection with `first: 100` multiplies its children by 100,
 * a list without a page size by `defaultListSize`.
 */
function pageSizeEstimator(defaultListSize: number) {
  return ({ args, childComplexity, field }: ComplexityEstimatorArgs): number | void => {
    const pageSize =
      typeof args.first === 'number' ? args.first : typeof args.last === 'number' ? args.last : null;
    if (pageSize !== null) return 1 + childComplexity * Math.max(1, pageSize);
    // A connection's edges were already multiplied by the connection's page size.
    if (field.name === 'edges') return 1 + childComplexity;
    if (isListType(getNullableType(field.type))) return 1 + childComplexity * defaultListSize;
  };
}

export function depthRule(limits: QueryLimits): ValidationRule {
  return depthLimit(limits.maxDepth) as ValidationRule;
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
): number {
  let known = costs.get(query);
  if (!known) costs.set(query, (known = new Map()));
  const key = JSON.stringify([operationName ?? null, variables ?? {}]);
  const cached = known.get(key);
  if (cached && cached.schema === schema) return cached.complexity;
  const complexity = getComplexity({
    schema,
    query,
    variables: variables ?? {},
    operationName,
    estimators: [pageSizeEstimator(20), simpleEstimator({ defaultComplexity: 1 })],
  });
  if (known.size >= costsPerDocument) known.delete(known.keys().next().value!);
  known.set(key, { schema, complexity });
  return complexity;
}

/** Throws BAD_USER_INPUT when the document's estimated cost is over the limit. */
export function assertComplexity(
  schema: GraphQLSchema,
  query: DocumentNode,
  variables: Record<string, unknown> | undefined,
  operationName: string | undefined,
  limits: QueryLimits,
): number {
  const complexity = estimate(schema, query, variables, operationName);
  if (complexity > limits.maxComplexity) {
    throw apiError(
      'BAD_USER_INPUT',
      `query is too expensive: estimated cost ${complexity} exceeds the limit ${limits.maxComplexity}; ask for smaller pages (first) or fewer fields`,
      { complexity, maxComplexity: limits.maxComplexity, http: { status: 400 } },
    );
  }
  return complexity;
}
