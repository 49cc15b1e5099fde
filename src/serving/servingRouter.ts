import express from 'express';
import { v7 as uuidv7 } from 'uuid';
import { isDomainError, labelOfSignal, type DomainErrorKind, type FeedbackLabel } from '../domain/index.js';
import { isDatabaseUnavailable } from '../eventstore/index.js';
import { ConcurrencyConflictError, type FeedbackService } from '../services/index.js';
import {
  GenerationRefusedError,
  QueueFullError,
  type GenerationPool,
  type GenerationResult,
} from './generationPool.js';
import type { ChatMessage, GenerationInput } from './generationProtocol.js';
import { AnswerShape, AnswerStream, usageOf, type FilteredAnswer } from './servedAnswer.js';
import { redactInput, redactionRule } from './inputFilter.js';
import type { CapturedInteraction, InteractionRecorder } from './interactionRecorder.js';
import type { DeploymentMonitor } from './deploymentMonitor.js';
import {
  chatCompletionRequest,
  completionRequest,
  describeZodError,
  feedbackRequest,
  openaiError,
  type ChatCompletionRequest,
  type CompletionRequest,
} from './openaiSchemas.js';
import type { OutputFilter } from './outputFilter.js';
import type { ServingHost } from './servingHost.js';
import type { ServingMetrics } from './servingMetrics.js';
import { redactText, type PiiCounts, type RedactOptions } from '../data/pii/index.js';

/** The caller as the platform's token check sees it (helper H's authenticate). */
export interface Caller {
  readonly actor: string;
  readonly roles: readonly string[];
  /** The API token's id (null in local single-user mode): a revocation of it empties the cache at once. */
  readonly tokenId?: string | null;
}

export interface RouterContext {
  readonly authenticate: (authorization?: string) => Promise<Caller>;
  /**
   * Word of tokens revoked in this process (TokenStore.revoke): their cached checks are dropped at once.
   * Returns the function that stops listening. Without it, a revoked token works until its cache time ends.
   */
  readonly onTokenRevoked?: (listener: (tokenId: string) => void) => () => void;
  readonly host: ServingHost;
  readonly pool: GenerationPool;
  readonly recorder: InteractionRecorder;
  readonly monitor: DeploymentMonitor;
  readonly metrics: ServingMetrics;
  readonly outputFilter: OutputFilter;
  readonly feedback: Pick<FeedbackService, 'labelFeedback'>;
  readonly defaultMaxTokens: number;
  /** The PII policy and pseudonym key prompts, corrections and logged answers are redacted with. */
  readonly piiRedaction: RedactOptions;
  readonly maxBodyBytes: number;
  /** How long a checked token is trusted without asking the database again (ms). */
  readonly authCacheMs: number;
  readonly onInternalError: (error: unknown) => void;
}

/** The express router of the endpoints; `close()` stops listening for revoked tokens. */
export type ServingRouter = express.Router & { close(): void };

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly code: string | null = null,
    readonly headers: Record<string, string> = {},
    readonly param: string | null = null,
  ) {
    super(message);
  }
}

/** Seconds a client is asked to wait before retrying a request the database could not serve. */
const DATABASE_RETRY_AFTER_SECONDS = 1;

/** The database could not be reached: nothing is wrong with the request, retry it in a moment. */
function databaseUnavailable(): HttpError {
  return new HttpError(
    503,
    'service_unavailable',
    'the database is unreachable for the moment; retry the request',
    'database_unavailable',
    { 'retry-after': String(DATABASE_RETRY_AFTER_SECONDS) },
  );
}

const INTERACTION_PREFIXES = /^(chatcmpl-|cmpl-)/;

/** How a refused domain command is answered over the OpenAI-style API. */
const statusForKind: Record<DomainErrorKind, number> = {
  invalid: 400,
  'not-found': 404,
  forbidden: 403,
  conflict: 409,
};

/**
 * A command's refusal as the HTTP error a client can act on: the domain's code in lower case, and 409 with
 * a retry hint when writers kept colliding on the stream. Anything else is not the client's to fix.
 */
function refusal(error: unknown): unknown {
  if (isDatabaseUnavailable(error)) return databaseUnavailable();
  if (isDomainError(error))
    return new HttpError(
      statusForKind[error.kind],
      'invalid_request_error',
      error.message,
      error.code.toLowerCase(),
    );
  if (error instanceof ConcurrencyConflictError) {
    return new HttpError(409, 'conflict_error', error.message, 'concurrency_conflict', {
      'retry-after': '1',
    });
  }
  return error;
}

/**
 * The OpenAI-compatible endpoints: POST /v1/chat/completions, POST /v1/completions (both with stream: true as
 * server-sent events), GET /v1/models, POST /v1/feedback, and GET /metrics.
 */
export function createServingRouter(ctx: RouterContext): ServingRouter {
  const router = express.Router();
  // A checked token is trusted for authCacheMs; in the second half of that time the first request to use it
  // starts a check in the background, so a token in steady use is never checked on a request's path.
  const authCache = new Map<string, { caller: Caller; checkedAt: number; refreshing?: Promise<unknown> }>();
  // Tokens revoked in this process: a check that was already in flight when one was revoked is not cached.
  const revoked = new Set<string>();
  const stopListening =
    ctx.onTokenRevoked?.((tokenId) => {
      revoked.add(tokenId);
      for (const [key, entry] of authCache) if (entry.caller.tokenId === tokenId) authCache.delete(key);
    }) ?? (() => {});
  const check = async (key: string, header: string | undefined): Promise<Caller> => {
    const checkedAt = Date.now();
    const caller = await ctx.authenticate(header);
    if (caller.tokenId && revoked.has(caller.tokenId)) {
      throw new Error(`token ${caller.tokenId} was revoked; ask an admin for a new one`);
    }
    if (authCache.size > 10_000) authCache.clear();
    authCache.set(key, { caller, checkedAt });
    return caller;
  };
  const authenticate = async (header: string | undefined): Promise<Caller> => {
    const key = header ?? '';
    const cached = authCache.get(key);
    const age = cached ? Date.now() - cached.checkedAt : Infinity;
    if (cached && age < ctx.authCacheMs) {
      if (age >= ctx.authCacheMs / 2 && !cached.refreshing) {
        // A token revoked meanwhile fails this check: drop it, so the next request is refused.
        cached.refreshing = check(key, header).catch(() => authCache.delete(key));
      }
      return cached.caller;
    }
    try {
      return await check(key, header);
    } catch (error) {
      authCache.delete(key);
      if (isDatabaseUnavailable(error)) throw databaseUnavailable();
      throw new HttpError(401, 'invalid_request_error', (error as Error).message, 'invalid_api_key');
    }
  };

  router.get('/metrics', async (_req, res) => {
    ctx.metrics.queueDepth.set(ctx.pool.queued());
    res.setHeader('content-type', ctx.metrics.registry.contentType);
    res.end(await ctx.metrics.registry.metrics());
  });

  const v1 = express.Router();
  v1.use(
    express.json({
      limit: ctx.maxBodyBytes,
      // The whole body is in, before it is parsed: the start of the time Server-Timing reports (waiting for the
      // client to send its body is not ours).
      verify: (_req, res) => {
        (res as express.Response).locals['arrivedAt'] = performance.now();
      },
    }),
  );

  v1.get('/models', async (req, res) => {
    await authenticate(req.headers.authorization);
    res.json({
      object: 'list',
      data: ctx.host.deployments().map((active) => ({
        id: active.deploymentName,
        object: 'model',
        created: Math.floor(Date.parse(active.since) / 1000),
        owned_by: `${active.model.name} v${active.model.version}`,
      })),
    });
  });

  v1.post('/chat/completions', async (req, res) => {
    const started = arrivedAt(res);
    const caller = await authenticate(req.headers.authorization);
    const parsed = chatCompletionRequest.safeParse(req.body);
    if (!parsed.success) throw new HttpError(400, 'invalid_request_error', describeZodError(parsed.error));
    const body = parsed.data;
    const counts: PiiCounts = {};
    const messages: ChatMessage[] = body.messages.map((m) => ({
      role: m.role as ChatMessage['role'],
      content: redactText(m.content, counts, ctx.piiRedaction),
    }));
    const loggedPrompt = messages.map((m) => `${m.role}: ${m.content}`).join('\n');
    await serve(ctx, res, {
      endpoint: 'chat',
      started,
      caller,
      body,
      maxTokens: body.max_completion_tokens ?? body.max_tokens ?? ctx.defaultMaxTokens,
      maxTokensRequested: (body.max_completion_tokens ?? body.max_tokens) != null,
      prompt: { kind: 'chat', messages },
      loggedPrompt,
      counts,
    });
  });

  v1.post('/completions', async (req, res) => {
    const started = arrivedAt(res);
    const caller = await authenticate(req.headers.authorization);
    const parsed = completionRequest.safeParse(req.body);
    if (!parsed.success) throw new HttpError(400, 'invalid_request_error', describeZodError(parsed.error));
    const body = parsed.data;
    const redacted = redactInput(body.prompt, ctx.piiRedaction);
    await serve(ctx, res, {
      endpoint: 'completions',
      started,
      caller,
      body,
      maxTokens: body.max_tokens ?? ctx.defaultMaxTokens,
      maxTokensRequested: body.max_tokens != null,
      prompt: { kind: 'text', text: redacted.text },
      loggedPrompt: redacted.text,
      counts: redacted.counts,
    });
  });

  v1.post('/feedback', async (req, res) => {
    const caller = await authenticate(req.headers.authorization);
    const parsed = feedbackRequest.safeParse(req.body);
    if (!parsed.success) throw new HttpError(400, 'invalid_request_error', describeZodError(parsed.error));
    const body = parsed.data;
    const interactionId = (body.interaction_id ?? body.id!).replace(INTERACTION_PREFIXES, '');
    const signal = labelOfSignal({
      thumbs: body.thumbs,
      rating: body.rating,
      correction: body.correction,
      errorCategory: body.error_category,
    });
    const label: FeedbackLabel =
      signal.kind === 'correction'
        ? { ...signal, text: redactText(signal.text, undefined, ctx.piiRedaction) }
        : signal;
    await ctx.recorder.whenRecorded(interactionId);
    let recorded: FeedbackLabel = label;
    try {
      const result = await ctx.feedback.labelFeedback(
        // The end user the client named (OpenAI's `user`), as on the exchange: the subject of the correction.
        { interactionId, label, ...(body.user != null ? { subjectId: body.user } : {}) },
        { actor: caller.actor, roles: caller.roles },
      );
      // The label as the log holds it: the services' gate has redacted a correction's PII.
      const event = result.events.find((e) => e.type === 'FeedbackLabeled');
      if (event) recorded = (event.data as { label: FeedbackLabel }).label;
    } catch (error) {
      // A refused correction (no labeler, engineer or admin role) is a 403 labeler_role_not_allowed.
      throw refusal(error);
    }
    res.status(201).json({ object: 'feedback', interaction_id: interactionId, label: recorded });
  });

  // OpenAI clients read a JSON error whatever the path: no HTML page for a route that does not exist.
  v1.use((req) => {
    throw new HttpError(
      404,
      'invalid_request_error',
      `unknown endpoint ${req.method} ${req.originalUrl}; this server answers POST /v1/chat/completions, POST /v1/completions, GET /v1/models and POST /v1/feedback`,
      'unknown_url',
    );
  });
  router.use('/v1', v1);
  router.use(
    '/v1',
    (error: unknown, _req: express.Request, res: express.Response, next: express.NextFunction) => {
      if (res.headersSent) return next(error);
      if (error instanceof HttpError) {
        for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
        res.status(error.status).json(openaiError(error.message, error.type, error.code, error.param));
        return;
      }
      const typed = error as { type?: string; status?: number; message?: string };
      if (typed.type === 'entity.too.large') {
        res
          .status(413)
          .json(
            openaiError(
              `request body too large: the limit is ${ctx.maxBodyBytes} bytes`,
              'invalid_request_error',
            ),
          );
        return;
      }
      if (typed.status && typed.status >= 400 && typed.status < 500) {
        res
          .status(typed.status)
          .json(openaiError(`malformed request: ${typed.message}`, 'invalid_request_error'));
        return;
      }
      ctx.onInternalError(error);
      if (isDatabaseUnavailable(error)) {
        const unavailable = databaseUnavailable();
        for (const [name, value] of Object.entries(unavailable.headers)) res.setHeader(name, value);
        res
          .status(unavailable.status)
          .json(openaiError(unavailable.message, unavailable.type, unavailable.code));
        return;
      }
      res.status(500).json(openaiError('the server failed to answer; the error is logged', 'server_error'));
    },
  );
  return Object.assign(router, { close: stopListening });
}

/** When the request's body was complete (before it was parsed); now for a request without one. */
function arrivedAt(res: express.Response): number {
  return (res.locals['arrivedAt'] as number | undefined) ?? performance.now();
}

interface ServeRequest {
  readonly endpoint: 'chat' | 'completions';
  readonly started: number;
  readonly caller: Caller;
  readonly body: ChatCompletionRequest | CompletionRequest;
  readonly maxTokens: number;
  readonly maxTokensRequested: boolean;
  readonly prompt: GenerationInput['prompt'];
  readonly loggedPrompt: string;
  readonly counts: PiiCounts;
}

async function serve(ctx: RouterContext, res: express.Response, request: ServeRequest): Promise<void> {
  const { body, endpoint } = request;
  const lease = acquireDeployment(ctx, request);
  const { active } = lease;
  const deployment = active.deploymentName;
  const interactionId = uuidv7();
  const shape = new AnswerShape(endpoint, interactionId, deployment, active.key);
  const inputRule = redactionRule(request.counts);
  if (inputRule)
    for (const kind of Object.keys(request.counts))
      ctx.metrics.filterHits.inc({ stage: 'input', rule: `pii:${kind}` });
  const stream = body.stream === true;
  let handle: ReturnType<GenerationPool['generate']>;
  const answer = new AnswerStream(res, shape, ctx.outputFilter, interactionId, () => handle.cancel());
  const handedOff = performance.now();
  try {
    handle = startGeneration(ctx, active.key, request, stream ? answer.onDelta : undefined);
  } catch (error) {
    lease.release();
    if (error instanceof HttpError)
      ctx.metrics.requests.inc({ deployment, endpoint, status: String(error.status) });
    throw error;
  }
  // The response closing before it finished means the client went away: stop generating for it.
  res.on('close', () => {
    if (!res.writableFinished) handle.cancel();
  });
  let failed = false;
  let status = 200;
  try {
    const output = await handle.result;
    const returned = performance.now();
    const filtered = await answer.settle(output);
    if (filtered.blockedRule) ctx.metrics.filterHits.inc({ stage: 'output', rule: filtered.blockedRule });
    const usage = usageOf(output);
    if (stream) answer.end(filtered, body.stream_options?.include_usage ? usage : undefined);
    else {
      const payload = JSON.stringify(shape.body(filtered.text, filtered.finishReason, usage));
      res.setHeader('x-interaction-id', interactionId);
      res.setHeader('server-timing', serverTiming(output, request.started, handedOff, returned));
      res.setHeader('content-type', 'application/json; charset=utf-8');
      res.end(payload);
    }
    recordServed(ctx, request, { interactionId, active, output, filtered, inputRule });
  } catch (error) {
    failed = true;
    if (error instanceof GenerationRefusedError && !answer.streamStarted) {
      // The client's request, not the model, is at fault: 400 as OpenAI answers it, and nothing recorded.
      status = 400;
      throw new HttpError(
        400,
        'invalid_request_error',
        error.message,
        error.refusal.code,
        {},
        endpoint === 'chat' ? 'messages' : 'prompt',
      );
    }
    status = 500;
    ctx.monitor.observe(deployment, active.model, {
      latencyMs: performance.now() - request.started,
      error: true,
      at: Date.now(),
    });
    if (stream) {
      ctx.onInternalError(error);
      answer.write(openaiError('generation failed; the error is logged', 'server_error'));
      res.end();
    } else throw error;
  } finally {
    lease.release();
    ctx.metrics.requests.inc({ deployment, endpoint, status: String(failed ? status : 200) });
  }
}

type DeploymentLease = NonNullable<ReturnType<ServingHost['acquire']>>;

/** The active deployment the request names, held until the answer is done; 404 when none is served here. */
function acquireDeployment(ctx: RouterContext, { body, endpoint }: ServeRequest): DeploymentLease {
  const lease = ctx.host.acquire(body.model);
  if (lease) return lease;
  ctx.metrics.requests.inc({ deployment: 'unknown', endpoint, status: '404' });
  throw new HttpError(
    404,
    'invalid_request_error',
    `no deployment "${body.model}" is active here; GET /v1/models lists the deployments served`,
    'model_not_found',
  );
}

/** Hands the request to a generation thread; a full queue is a 503 with Retry-After. */
function startGeneration(
  ctx: RouterContext,
  key: string,
  { body, prompt, maxTokens, maxTokensRequested }: ServeRequest,
  onDelta: ((text: string) => void) | undefined,
): ReturnType<GenerationPool['generate']> {
  try {
    return ctx.pool.generate(
      {
        key,
        prompt,
        maxTokens,
        maxTokensRequested,
        temperature: body.temperature ?? 0,
        ...(body.top_p ? { topP: body.top_p } : {}),
        ...(body.seed !== null && body.seed !== undefined ? { seed: body.seed } : {}),
        stop: body.stop,
        stream: onDelta !== undefined,
      },
      onDelta,
    );
  } catch (error) {
    if (error instanceof QueueFullError)
      throw new HttpError(503, 'server_overloaded', error.message, 'queue_full', {
        'retry-after': String(error.retryAfterSeconds),
      });
    throw error;
  }
}

/**
 * Where the time went: before the hand-off (body parsing, auth, validation, redaction), the thread round
 * trip beyond the model and the queue, after it (filters, the response body), and in all.
 */
function serverTiming(
  output: GenerationResult,
  started: number,
  handedOff: number,
  returned: number,
): string {
  const ms = (value: number) => value.toFixed(3);
  return (
    `model;dur=${ms(output.modelMs)}, queue;dur=${ms(output.queueMs)}, ` +
    `pre;dur=${ms(handedOff - started)}, ` +
    `handoff;dur=${ms(returned - handedOff - output.modelMs - output.queueMs)}, ` +
    `post;dur=${ms(performance.now() - returned)}, total;dur=${ms(performance.now() - started)}`
  );
}

/** An answered request in the metrics, the interaction log (redacted) and the deployment's monitor. */
function recordServed(
  ctx: RouterContext,
  request: ServeRequest,
  served: {
    readonly interactionId: string;
    readonly active: DeploymentLease['active'];
    readonly output: GenerationResult;
    readonly filtered: FilteredAnswer;
    readonly inputRule: string | undefined;
  },
): void {
  const { interactionId, active, output, filtered, inputRule } = served;
  const { deploymentName: deployment, model } = active;
  const latencyMs = performance.now() - request.started;
  const { metrics } = ctx;
  metrics.latency.observe({ deployment, endpoint: request.endpoint }, latencyMs / 1000);
  metrics.modelLatency.observe({ deployment }, output.modelMs / 1000);
  metrics.overhead.observe({ deployment }, Math.max(0, latencyMs - output.modelMs - output.queueMs) / 1000);
  metrics.tokens.inc({ deployment, kind: 'prompt' }, output.promptTokens);
  metrics.tokens.inc({ deployment, kind: 'completion' }, output.completionTokens);
  const blocked: CapturedInteraction['filtered'] = filtered.blockedRule
    ? { stage: 'output', rule: filtered.blockedRule }
    : inputRule
      ? { stage: 'input', rule: inputRule }
      : undefined;
  const { body } = request;
  ctx.recorder.record({
    interactionId,
    deploymentName: deployment,
    model,
    prompt: request.loggedPrompt,
    // The model never saw PII, but it may still invent some: the logged answer is redacted too.
    response: redactText(filtered.shownText, undefined, ctx.piiRedaction),
    latencyMs,
    tokens: { prompt: output.promptTokens, completion: output.completionTokens },
    ...(output.completionTokens > 0 ? { meanTokenEntropy: output.meanTokenEntropy } : {}),
    ...(blocked ? { filtered: blocked } : {}),
    actor: request.caller.actor,
    // The end user the client named (OpenAI's `user`): the data subject of the exchange, so erasure is per person.
    ...(body.user != null ? { subjectId: body.user } : {}),
  });
  if (output.finishReason !== 'cancelled' || filtered.blockedRule) {
    ctx.monitor.observe(deployment, model, {
      ...(output.completionTokens > 0 ? { entropy: output.meanTokenEntropy } : {}),
      latencyMs,
      error: false,
      at: Date.now(),
    });
  }
}
