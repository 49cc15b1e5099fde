import type { Server } from 'node:http';
import { ApolloServer } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import type { GraphQLSchema, ValidationRule } from 'graphql';
import { GraphQLError } from 'graphql';
import { compiledExecution } from '../compiledExecution.js';
import type { ApiContext } from '../context.js';
import { DATABASE_RETRY_AFTER_SECONDS, formatApiError } from '../errors.js';
import { assertComplexity, type QueryLimits } from '../limits.js';

export interface ApolloOptions {
  readonly schema: GraphQLSchema;
  readonly limits: QueryLimits;
  readonly depth: ValidationRule;
  readonly introspection: boolean;
  readonly execution: 'compiled' | 'interpreted';
  readonly httpServer: Server;
  /** Closes the subscriptions when Apollo drains. */
  readonly closeSubscriptions: () => Promise<void>;
  readonly onInternal: (error: unknown) => void;
}

/**
 * Apollo Server for queries and mutations over HTTP: compiled execution, the depth and cost limits, our
 * error format, and HTTP statuses that tell a client's error (4xx) and a database outage (503) from ours.
 */
export async function startApollo(options: ApolloOptions): Promise<ApolloServer<ApiContext>> {
  const { schema, limits, onInternal } = options;
  const apollo = new ApolloServer<ApiContext>({
    gateway: compiledExecution(schema, options.execution),
    introspection: options.introspection,
    validationRules: [options.depth],
    parseOptions: { maxTokens: limits.maxTokens },
    formatError: (formatted, error) =>
      formatApiError(formatted, unwrapResolverError(error) ?? error, onInternal),
    plugins: [
      // The default cache-control plugin hooks willResolveField, which makes Apollo wrap every
      // field resolver of the schema (a 1,000-point metric series is thousands of wrapped calls);
      // no type sets cache hints, so it only ever computed "not cacheable" (no header).
      ApolloServerPluginCacheControlDisabled(),
      ApolloServerPluginDrainHttpServer({ httpServer: options.httpServer }),
      // Our own explorer (explorer.ts) replaces Apollo's landing page, which loads from a CDN.
      ApolloServerPluginLandingPageDisabled(),
      {
        async serverWillStart() {
          return {
            async drainServer() {
              await options.closeSubscriptions();
            },
          };
        },
      },
      {
        async requestDidStart() {
          return {
            async didResolveOperation({ request, document }) {
              try {
                assertComplexity(schema, document, request.variables, request.operationName, limits);
              } catch (error) {
                // Estimating the cost coerces the variables first: a missing or mistyped one is the
                // client's error (400), which Apollo would answer with 500 from this hook.
                if (error instanceof GraphQLError && !error.extensions['http']) {
                  throw new GraphQLError(error.message, {
                    nodes: error.nodes,
                    extensions: { ...error.extensions, http: { status: 400 } },
                  });
                }
                throw error;
              }
            },
            // A request the database could not serve answers 503 with Retry-After, so that HTTP clients and
            // proxies see a retryable failure (the errors say DATABASE_UNAVAILABLE). Apollo answers 500
            // for an error raised before execution that names no HTTP status; an answer whose every
            // error is the client's (BAD_USER_INPUT...) gets the client's status instead.
            async willSendResponse({ response, contextValue }) {
              if (response.body.kind !== 'single') return;
              const warnings = contextValue.warnings ?? [];
              if (warnings.length > 0) {
                const result = response.body.singleResult;
                result.extensions = { ...result.extensions, warnings };
              }
              const errors = response.body.singleResult.errors ?? [];
              if (errors.some((error) => error.extensions?.code === 'DATABASE_UNAVAILABLE')) {
                response.http.status = 503;
                response.http.headers.set('retry-after', String(DATABASE_RETRY_AFTER_SECONDS));
                return;
              }
              if (response.http.status !== 500) return;
              const status = clientStatusFor(errors.map((error) => error.extensions?.code));
              if (status !== null) response.http.status = status;
            },
          };
        },
      },
    ],
  });
  await apollo.start();
  return apollo;
}

/** The HTTP status an answer made only of errors with these codes gets, or null when one is ours (500). */
function clientStatusFor(codes: readonly unknown[]): number | null {
  const statuses = codes.map((code) =>
    code === 'UNAUTHENTICATED'
      ? 401
      : code === 'FORBIDDEN'
        ? 403
        : code === 'DEADLINE_EXCEEDED'
          ? 504
          : code === 'BAD_USER_INPUT' ||
              code === 'GRAPHQL_VALIDATION_FAILED' ||
              code === 'GRAPHQL_PARSE_FAILED'
            ? 400
            : null,
  );
  if (statuses.length === 0 || statuses.includes(null)) return null;
  return Math.max(...(statuses as number[]));
}
