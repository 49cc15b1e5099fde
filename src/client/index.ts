/**
 * The typed GraphQL client: documents and result types generated from schema.graphql and the operations the
 * manuals show (`npm run client`), and one function that sends them. The web console and scripts import this
 * room; it imports nothing else of ours.
 */
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';

export * from './generated/graphql.js';
export { graphql } from './generated/gql.js';
export { userErrorsOf, type UserErrorAnswer } from './userErrors.js';

/** A GraphQL error as the server sends it: `extensions.code` is stable (BAD_USER_INPUT, FORBIDDEN, ...). */
export interface GraphqlError {
  readonly message: string;
  readonly path?: readonly (string | number)[];
  readonly extensions?: { readonly code?: string } & Record<string, unknown>;
}

export interface GraphqlResult<Data> {
  /** The HTTP status: 200 once the operation ran (its errors, if any, are in `errors`), 4xx when refused. */
  readonly status: number;
  readonly data?: Data | null;
  readonly errors?: readonly GraphqlError[];
}

export interface ClientOptions {
  /** The GraphQL endpoint, e.g. http://127.0.0.1:4000/graphql. */
  readonly url: string;
  /** An API token, sent as `Authorization: Bearer ...`; none in local single-user mode. */
  readonly token?: string;
}

/** Sends one query or mutation over HTTP; the result is typed by the document. */
export async function execute<Data, Variables extends Record<string, unknown>>(
  options: ClientOptions,
  document: TypedDocumentNode<Data, Variables>,
  ...[variables]: Variables extends Record<string, never> ? [] : [Variables]
): Promise<GraphqlResult<Data>> {
  const response = await fetch(options.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    },
    body: JSON.stringify({ query: print(document), variables }),
  });
  const body = (await response.json()) as Omit<GraphqlResult<Data>, 'status'>;
  return { ...body, status: response.status };
}
