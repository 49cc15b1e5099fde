import { HeaderMap, type ApolloServer } from '@apollo/server';
import express from 'express';
import { GraphQLError } from 'graphql';
import { authenticate } from '../auth/authenticate.js';
import type { TokenStore } from '../auth/tokenStore.js';
import type { Viewer } from '../auth/viewer.js';
import type { ApiContext, GraphqlDependencies } from '../context.js';
import { Deadline } from '../deadline.js';
import { DATABASE_RETRY_AFTER_SECONDS, httpStatusForCode, toApiError, type ApiErrorCode } from '../errors.js';
import { assertInputDepth, type QueryLimits } from '../limits.js';
import { rateLimitMessage, refusedDocumentFactor, tokensFor, type RateLimiter } from '../rateLimiter.js';
import type { CacheScope, CachedResponse, ComputedResponse, ResponseCache } from '../responseCache.js';
import type { EventFeed } from '../subscriptions/eventFeed.js';

export interface GraphqlRouteOptions {
  readonly apollo: ApolloServer<ApiContext>;
  readonly limits: QueryLimits;
  readonly deps: GraphqlDependencies;
  readonly feed: EventFeed;
  readonly tokens: TokenStore;
  readonly rateLimiter: RateLimiter | null;
  readonly cache: ResponseCache | null;
  readonly onInternal: (error: unknown) => void;
}

/** Who asked, found before the body is read: the rate limit is taken first, so a refusal reads nothing. */
interface Caller {
  viewer: Viewer | null;
  authError: unknown;
  /** The rate limiter's key: the API token, or the client's address without one. */
  key: string;
  /** Tokens the request took. */
  tokens: number;
}

/**
 * POST and GET /graphql: the caller and the rate limit before the body is read, the body within its size
 * limit, the variables' depth, then Apollo, through the response cache when the answer may be cached.
 */
export function mountGraphqlRoute(app: express.Express, options: GraphqlRouteOptions): void {
  const { apollo, limits, deps, feed, tokens, rateLimiter, cache, onInternal } = options;

  const contextFor = (viewer: Viewer | null, authError: unknown, cacheScope?: CacheScope): ApiContext => {
    const deadline = new Deadline(limits.deadlineMs);
    const warnings: string[] = [];
    if (viewer)
      return cacheScope
        ? {
            deps: { ...deps, db: cacheScope.track(deps.db) },
            viewer,
            feed,
            tokens,
            cacheScope,
            deadline,
            warnings,
          }
        : { deps, viewer, feed, tokens, deadline, warnings };
    const mapped = toApiError(authError, onInternal);
    const status = httpStatusForCode(mapped.code);
    const headers = new HeaderMap(
      status === 503 ? [['retry-after', String(DATABASE_RETRY_AFTER_SECONDS)]] : [],
    );
    throw new GraphQLError(mapped.message, {
      extensions: { ...mapped.extensions, code: mapped.code, http: { status, headers } },
    });
  };

  /** Apollo's answer as one body string (streamed answers are passed through and never cached). */
  const execute = async (
    req: express.Request,
    res: express.Response,
    context: () => Promise<ApiContext>,
  ): Promise<ComputedResponse | null> => {
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    const answer = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: {
        method: req.method.toUpperCase(),
        headers,
        search: new URL(req.originalUrl, 'http://localhost').search,
        body: req.body,
      },
      context,
    });
    if (answer.body.kind === 'complete') {
      return {
        status: answer.status ?? 200,
        response: { body: answer.body.string, headers: [...answer.headers] },
      };
    }
    for (const [key, value] of answer.headers) res.setHeader(key, value);
    res.statusCode = answer.status ?? 200;
    for await (const chunk of answer.body.asyncIterator) res.write(chunk);
    res.end();
    return null;
  };

  app.use(
    '/graphql',
    async (req: express.Request, res: express.Response, next: express.NextFunction) => {
      try {
        const caller: Caller = { viewer: null, authError: null, key: '', tokens: 0 };
        try {
          caller.viewer = await authenticate(req.headers.authorization, tokens);
        } catch (error) {
          caller.authError = error;
        }
        caller.key = caller.viewer?.tokenId ?? `address:${req.ip}`;
        caller.tokens = tokensFor(Number(req.headers['content-length'] ?? 0) || 0);
        const waitSeconds = rateLimiter?.take(caller.key, caller.tokens) ?? 0;
        if (waitSeconds > 0) {
          refuse(res, 429, 'RATE_LIMITED', rateLimitMessage(waitSeconds), { retryAfterSeconds: waitSeconds });
          return;
        }
        res.locals.caller = caller;
        next();
      } catch (error) {
        next(error);
      }
    },
    express.json({ limit: limits.maxBodyBytes }),
    async (req: express.Request, res: express.Response, next: express.NextFunction) => {
      try {
        const caller = res.locals.caller as Caller;
        const { viewer, authError } = caller;
        // A document refused before it ran (HTTP 400: over a size, depth, selection or cost limit,
        // or invalid) was work for nobody: it costs its caller refusedDocumentFactor times its tokens.
        const charge = (status: number) => {
          if (status === 400) rateLimiter?.charge(caller.key, caller.tokens * (refusedDocumentFactor - 1));
        };
        const variables = requestVariables(req);
        if (variables !== undefined) {
          try {
            assertInputDepth(variables, limits.maxInputDepth);
          } catch (error) {
            refuse(res, 400, 'BAD_USER_INPUT', (error as Error).message, {
              maxInputDepth: limits.maxInputDepth,
            });
            charge(400);
            return;
          }
        }
        const context = async () => contextFor(viewer, authError);
        const key =
          cache && viewer && req.method === 'POST'
            ? cache.keyFor(req.body, viewer, req.headers.accept)
            : null;
        if (!cache || key === null) {
          const answer = await execute(req, res, context);
          if (answer) {
            charge(answer.status);
            send(res, answer.status, answer.response);
          }
          return;
        }
        const answer = await cache.answer(key, (scope) =>
          execute(req, res, async () => contextFor(viewer, authError, scope)),
        );
        if (answer) {
          charge(answer.status);
          send(res, answer.status, answer.response, answer.hit ? 'hit' : 'miss');
        }
      } catch (error) {
        next(error);
      }
    },
  );
}

/** An answer refused before Apollo sees the request, in GraphQL's error shape. */
function refuse(
  res: express.Response,
  status: number,
  code: ApiErrorCode,
  message: string,
  extensions: Record<string, unknown>,
): void {
  if (status === 429) res.setHeader('retry-after', String(extensions.retryAfterSeconds));
  res.status(status).json({ errors: [{ message, extensions: { ...extensions, code } }] });
}

function send(res: express.Response, status: number, response: CachedResponse, cacheState?: string): void {
  for (const [key, value] of response.headers) res.setHeader(key, value);
  if (cacheState) res.setHeader('x-tuneledger-cache', cacheState);
  // end(), not send(): send() would hash every body for an ETag that POST answers never use.
  res.statusCode = status;
  res.setHeader('content-length', Buffer.byteLength(response.body));
  res.end(response.body);
}

/** The variables of a POST body or a GET query string, as sent (undefined when none or not JSON). */
function requestVariables(req: express.Request): unknown {
  if (req.method !== 'GET') return (req.body as { variables?: unknown } | undefined)?.variables;
  const text = req.query.variables;
  if (typeof text !== 'string') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined; // Apollo answers 400 for it.
  }
}
