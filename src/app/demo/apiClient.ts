import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { userErrorsOf } from '../../client/userErrors.js';

interface GraphqlError {
  readonly message: string;
  readonly extensions?: { readonly code?: string } & Record<string, unknown>;
}

/** A GraphQL error answer, with the codes the API puts in extensions. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly what: string,
    readonly errors: readonly GraphqlError[],
  ) {
    super(
      `${what}: ${errors.map((e) => `${e.message}${e.extensions?.code ? ` (${e.extensions.code})` : ''}`).join('; ')}`,
    );
  }

  /** The schema has no such field or argument: that part of the API is not built (yet). */
  get notInSchema(): boolean {
    return this.errors.some(
      (e) =>
        e.extensions?.code === 'GRAPHQL_VALIDATION_FAILED' ||
        /Cannot query field|Unknown argument|Unknown type/.test(e.message),
    );
  }
}

/** The demo's user: GraphQL over HTTP and graphql-ws with a bearer token, as any client would. */
export class ApiClient {
  private ws: Client | undefined;

  constructor(
    readonly url: string,
    private readonly token: string,
  ) {}

  async request<T>(what: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const response = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.token}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data?: T; errors?: GraphqlError[] };
    if (body.errors?.length) throw new ApiError(what, body.errors);
    if (!body.data) throw new ApiError(what, [{ message: `HTTP ${response.status} without data` }]);
    // A mutation a domain rule refused: its payload's userErrors, reported as errors with their domain code.
    const refusals = userErrorsOf(body.data);
    if (refusals.length > 0) {
      throw new ApiError(
        what,
        refusals.map((e) => ({ message: e.message, extensions: { code: e.code, domainCode: e.code } })),
      );
    }
    return body.data;
  }

  /** Calls `onNext` for each result until the server completes the subscription. */
  subscribe<T>(
    what: string,
    query: string,
    variables: Record<string, unknown>,
    onNext: (data: T) => void,
  ): Promise<void> {
    this.ws ??= createClient({
      url: this.url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { Authorization: `Bearer ${this.token}` },
      retryAttempts: 0,
      lazy: true,
    });
    const client = this.ws;
    return new Promise<void>((resolve, reject) => {
      client.subscribe<T>(
        { query, variables },
        {
          next: (result) => {
            if (result.errors?.length) reject(new ApiError(what, result.errors as GraphqlError[]));
            else if (result.data) onNext(result.data as T);
          },
          error: (error: unknown) =>
            reject(
              Array.isArray(error)
                ? new ApiError(what, error as GraphqlError[])
                : new Error(`${what}: ${error instanceof Error ? error.message : String(error)}`),
            ),
          complete: resolve,
        },
      );
    });
  }

  async close(): Promise<void> {
    await this.ws?.dispose();
  }
}
