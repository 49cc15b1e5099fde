import type { GatewayExecutor, GatewayInterface } from '@apollo/server-gateway-interface';
import {
  BREAK,
  execute,
  GraphQLError,
  Kind,
  OperationTypeNode,
  visit,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLSchema,
} from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import type { Deadline } from './deadline.js';

/** Compiled documents kept (least recently used first out). */
const maxCompiled = 500;

/**
 * Executes queries and mutations as JavaScript compiled once per document and operation by
 * graphql-jit, instead of interpreting the document field by field (graphql-js): a 1,000-point
 * metric series is then ~12,000 fields completed by straight-line code, and its result objects are
 * ordinary ones that JSON.stringify writes fast. Plugged into Apollo Server as its gateway
 * executor, so parsing, validation (depth limit), the cost check, context, error formatting and
 * HTTP stay Apollo's. Introspection, and any document graphql-jit declines, run on graphql-js;
 * `mode: 'interpreted'` runs everything there. Either way a query races its deadline (Deadline).
 */
export function compiledExecution(
  schema: GraphQLSchema,
  mode: 'compiled' | 'interpreted' = 'compiled',
): GatewayInterface {
  const compiled = new Map<string, CompiledQuery | null>();
  const compiledFor = (document: DocumentNode, source: string, operationName?: string) => {
    const key = `${operationName ?? ''}\u0000${source}`;
    const known = compiled.get(key);
    if (known !== undefined) {
      compiled.delete(key);
      compiled.set(key, known);
      return known;
    }
    const query =
      mode === 'interpreted' || introspects(document)
        ? null
        : compiledOrNull(schema, document, operationName);
    if (compiled.size >= maxCompiled) compiled.delete(compiled.keys().next().value!);
    compiled.set(key, query);
    return query;
  };
  const executor: GatewayExecutor = async (request) => {
    const { document, source, operationName, context } = request;
    const variables = request.request.variables ?? {};
    const query = source ? compiledFor(document, source, operationName ?? undefined) : null;
    const execution = (async (): Promise<ExecutionResult> =>
      query
        ? withGraphqlJsErrors(await query.query(undefined, context, variables))
        : await execute({
            schema,
            document,
            contextValue: context,
            variableValues: variables,
            operationName,
          }))();
    // Queries run against their deadline; mutations run to the end (see Deadline).
    const deadline = (context as { deadline?: Deadline }).deadline;
    const result =
      deadline && request.operation.operation === OperationTypeNode.QUERY
        ? await deadline.race(execution)
        : await execution;
    return result as Awaited<ReturnType<GatewayExecutor>>;
  };
  return {
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema: schema, coreSupergraphSdl: '' });
      return () => {};
    },
    async load() {
      return { executor };
    },
    async stop() {},
  };
}

/** The compiled query, or null when graphql-jit declines the document (graphql-js then runs it). */
function compiledOrNull(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | undefined,
): CompiledQuery | null {
  try {
    const result = compileQuery(schema, document, operationName);
    return isCompiledQuery(result) ? result : null;
  } catch {
    return null;
  }
}

/**
 * graphql-jit's errors as graphql-js's own (whose `extensions` is always an object, as Apollo's
 * error formatting expects), keeping message, locations, path and what the resolver threw.
 */
function withGraphqlJsErrors(result: ExecutionResult): ExecutionResult {
  if (!result.errors) return result;
  const errors = result.errors.map((error) => {
    const converted = new GraphQLError(error.message, {
      path: error.path,
      originalError: error.originalError,
      extensions: error.extensions ?? error.originalError?.['extensions' as never],
    });
    (converted as { locations?: GraphQLError['locations'] }).locations = error.locations;
    return converted;
  });
  return { ...result, errors };
}

/** Whether a document asks about the schema itself (__schema, __type), which graphql-js answers. */
function introspects(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    [Kind.FIELD](node) {
      if (node.name.value !== '__schema' && node.name.value !== '__type') return undefined;
      found = true;
      return BREAK;
    },
  });
  return found;
}
