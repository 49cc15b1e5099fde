/**
 * A real server on a real (PGlite, or PostgreSQL with DATABASE_URL) database for GraphQL tests,
 * reached only through real clients: fetch for queries and mutations, graphql-ws for subscriptions.
 */
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { PostgresEventStore } from '../../src/eventstore/index.js';
import {
  createGraphqlServer,
  type GraphqlServer,
  type GraphqlServerOptions,
} from '../../src/graphql/index.js';
import { pino } from 'pino';
import type { TestDatabase } from '../support/databases.js';

export interface GraphqlResponse<Data = Record<string, unknown>> {
  readonly status: number;
  readonly data?: Data | null;
  readonly errors?: readonly { message: string; extensions?: { code?: string } & Record<string, unknown> }[];
  readonly extensions?: Record<string, unknown>;
}

export interface Harness {
  readonly server: GraphqlServer;
  readonly store: PostgresEventStore;
  request<Data = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    token?: string,
  ): Promise<GraphqlResponse<Data>>;
  ws(token?: string): Client;
  close(): Promise<void>;
}

export async function startHarness(
  database: TestDatabase,
  options: Partial<GraphqlServerOptions> = {},
): Promise<Harness> {
  const store = new PostgresEventStore(database, { pollIntervalMs: 50 });
  const server = await createGraphqlServer({
    store,
    db: database.db,
    port: 0,
    logger: pino({ level: process.env.GRAPHQL_TEST_LOG ?? 'silent' }),
    // Tests send bursts from one address in local mode; the rate limit has its own tests
    // (queryLimits.test.ts), which pass one.
    rateLimit: false,
    ...options,
  });
  const clients: Client[] = [];
  return {
    server,
    store,
    async request(query, variables, token) {
      const response = await fetch(server.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as GraphqlResponse;
      return { ...body, status: response.status } as never;
    },
    ws(token) {
      const client = createClient({
        url: server.url.replace(/^http/, 'ws'),
        webSocketImpl: WebSocket,
        connectionParams: token ? { Authorization: `Bearer ${token}` } : {},
        retryAttempts: 0,
        lazy: true,
      });
      clients.push(client);
      return client;
    },
    async close() {
      await Promise.all(clients.map((client) => client.dispose()));
      await server.close();
      await store.close();
    },
  };
}

/** Collects a subscription's results until `count` arrived (or it completed), failing on error. */
export function collect<T>(
  client: Client,
  query: string,
  variables: Record<string, unknown>,
  count: number,
): {
  done: Promise<T[]>;
  ready: Promise<void>;
  stop: () => void;
  /** What has arrived so far (the same array `done` resolves with). */
  received: readonly T[];
} {
  const received: T[] = [];
  let stop: () => void = () => {};
  const done = new Promise<T[]>((resolve, reject) => {
    stop = client.subscribe<T>(
      { query, variables },
      {
        next: (value) => {
          if (value.errors) reject(new Error(JSON.stringify(value.errors)));
          received.push(value.data as T);
          if (received.length >= count) {
            stop();
            resolve(received);
          }
        },
        error: (error) => {
          const close = error as { code?: number; reason?: string };
          if (error instanceof Error) reject(error);
          else if (typeof close.code === 'number')
            reject(new Error(`socket closed ${close.code}: ${close.reason}`));
          else reject(new Error(JSON.stringify(error)));
        },
        complete: () => resolve(received),
      },
    );
  });
  return { done, ready: Promise.resolve(), stop: () => stop(), received };
}
