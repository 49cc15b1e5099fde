import type { IncomingMessage, Server } from 'node:http';
import type { ExecutionArgs, GraphQLFormattedError, GraphQLSchema, ValidationRule } from 'graphql';
import { GraphQLError, parse, specifiedRules, validate } from 'graphql';
import type { Context } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import type { WebSocket } from 'ws';
import { WebSocketServer } from 'ws';
import { authenticate } from '../auth/authenticate.js';
import type { RevocationWatch } from '../auth/revocationWatch.js';
import type { TokenStore } from '../auth/tokenStore.js';
import type { Viewer } from '../auth/viewer.js';
import type { ApiContext, GraphqlDependencies } from '../context.js';
import { apiError, badInput, formatApiError, toApiError } from '../errors.js';
import { assertComplexity, assertInputDepth, type QueryLimits } from '../limits.js';
import { rateLimitMessage, type RateLimiter } from '../rateLimiter.js';
import type { EventFeed } from '../subscriptions/eventFeed.js';

export interface SubscriptionServerOptions {
  readonly schema: GraphQLSchema;
  readonly limits: QueryLimits;
  readonly depth: ValidationRule;
  readonly deps: GraphqlDependencies;
  readonly feed: EventFeed;
  readonly tokens: TokenStore;
  readonly revocations: RevocationWatch;
  /** /graphql's buckets: each subscribe message takes one token. Null: no rate limit. */
  readonly rateLimiter: RateLimiter | null;
  readonly onInternal: (error: unknown) => void;
}

/**
 * graphql-ws at /graphql on the http server: the caller authenticates with the connection param
 * `Authorization`, and every subscription gets the depth, cost and input limits of HTTP queries and the
 * same error format. Each subscribe message takes a token from the caller's rate-limit bucket, and a caller
 * holds at most `limits.maxSubscriptions` open subscriptions over all its connections (RATE_LIMITED past
 * either). Returns the function that closes every connection.
 */
export function serveSubscriptions(
  httpServer: Server,
  options: SubscriptionServerOptions,
): () => Promise<void> {
  const { schema, limits, depth, deps, feed, tokens, revocations, rateLimiter, onInternal } = options;
  const connections = new CallerConnections();
  // noServer, with the upgrade wired here: a WebSocketServer given the http server re-emits its listen errors
  // (a port in use), which graphql-ws then prints with a stack trace before the caller can say it in one line.
  const webSockets = new WebSocketServer({ noServer: true, maxPayload: limits.maxBodyBytes });
  httpServer.on('upgrade', (request, socket, head) => {
    if (new URL(request.url ?? '/', 'http://localhost').pathname !== '/graphql') {
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      return;
    }
    webSockets.handleUpgrade(request, socket, head, (client) =>
      webSockets.emit('connection', client, request),
    );
  });

  const cleanup = useServer<Record<string, unknown>, Extra>(
    {
      schema,
      context: (ctx): ApiContext => ({ deps, viewer: ctx.extra.viewer!, feed, tokens }),
      onConnect: async (ctx) => {
        const param = ctx.connectionParams?.Authorization ?? ctx.connectionParams?.authorization;
        try {
          ctx.extra.viewer = await authenticate(typeof param === 'string' ? param : undefined, tokens);
          revocations.watch(ctx.extra.socket, ctx.extra.viewer);
          connections.add(ctx);
          return true;
        } catch (error) {
          // 4401 Unauthorized with the reason (a close reason may hold 123 bytes at most); 1013 Try Again
          // Later when the database could not be asked.
          const mapped = toApiError(error, onInternal);
          ctx.extra.socket.close(
            mapped.code === 'DATABASE_UNAVAILABLE' ? 1013 : 4401,
            Buffer.from(mapped.message)
              .subarray(0, 123)
              .toString()
              .replace(/\uFFFD$/, ''),
          );
          return false;
        }
      },
      onClose: (ctx) => connections.remove(ctx),
      onSubscribe: (ctx, _id, payload) => {
        const caller = callerKey(ctx.extra);
        const waitSeconds = rateLimiter?.take(caller) ?? 0;
        if (waitSeconds > 0)
          return [
            apiError('RATE_LIMITED', rateLimitMessage(waitSeconds), { retryAfterSeconds: waitSeconds }),
          ];
        // graphql-ws has already entered this subscription in ctx.subscriptions, so it is counted.
        const open = connections.openSubscriptions(caller);
        if (open > limits.maxSubscriptions)
          return [
            apiError(
              'RATE_LIMITED',
              `this caller already holds ${open - 1} open subscriptions, the most allowed (${limits.maxSubscriptions}); complete one first`,
              { maxSubscriptions: limits.maxSubscriptions },
            ),
          ];
        try {
          assertInputDepth(payload.variables, limits.maxInputDepth);
          const document = parse(payload.query, { maxTokens: limits.maxTokens });
          const errors = validate(schema, document, [...specifiedRules, depth]);
          if (errors.length > 0) return errors;
          assertComplexity(
            schema,
            document,
            payload.variables ?? undefined,
            payload.operationName ?? undefined,
            limits,
          );
        } catch (error) {
          if (error instanceof GraphQLError) return [error];
          // graphql-js's parser recurses: a document nested thousands deep overflows it (HTTP: Apollo
          // answers GRAPHQL_PARSE_FAILED).
          if (error instanceof RangeError)
            return [badInput(`the document could not be read: ${error.message}`)];
          throw error;
        }
        return undefined;
      },
      onNext: (_ctx, _id, _payload, _args: ExecutionArgs, result) => {
        if (!result.errors) return result;
        return {
          ...result,
          errors: result.errors.map((error) =>
            formatApiError(error.toJSON() as GraphQLFormattedError, error, onInternal),
          ),
        } as unknown as typeof result;
      },
      onError: (_ctx, _id, _payload, errors) =>
        errors.map((error) => {
          const formatted = formatApiError(error.toJSON(), error, onInternal);
          return new GraphQLError(formatted.message, { extensions: formatted.extensions });
        }),
    },
    webSockets,
  );
  return async () => {
    await cleanup.dispose();
  };
}

// A type alias, not an interface: graphql-ws wants a Record (an index signature).
type Extra = { viewer?: Viewer; readonly socket: WebSocket; readonly request: IncomingMessage };

type Connection = Context<Record<string, unknown>, Extra>;

/** The rate-limit key /graphql uses: the API token's id, or the client address in local mode. */
function callerKey(extra: Extra): string {
  return extra.viewer?.tokenId ?? `address:${extra.request.socket.remoteAddress}`;
}

/** The authenticated connections of each caller, to count the subscriptions it holds open over all of them. */
class CallerConnections {
  readonly #byCaller = new Map<string, Set<Connection>>();

  add(connection: Connection): void {
    const key = callerKey(connection.extra);
    let set = this.#byCaller.get(key);
    if (!set) this.#byCaller.set(key, (set = new Set()));
    set.add(connection);
  }

  remove(connection: Connection): void {
    if (!connection.extra.viewer) return;
    const key = callerKey(connection.extra);
    const set = this.#byCaller.get(key);
    set?.delete(connection);
    if (set?.size === 0) this.#byCaller.delete(key);
  }

  openSubscriptions(key: string): number {
    let open = 0;
    for (const connection of this.#byCaller.get(key) ?? [])
      open += Object.keys(connection.subscriptions).length;
    return open;
  }
}
