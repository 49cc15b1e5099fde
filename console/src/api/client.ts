import { createClient, type Client } from 'graphql-ws';
import { userErrorsOf } from '../../../src/client/userErrors';
import type { TypedDocumentString } from '../gql/graphql';

/** An error the API answered with: its message, and its `extensions.code` (BAD_USER_INPUT, FORBIDDEN, ...). */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

const TOKEN_KEY = 'tuneledger.token';

/** The API token the person signed in with (none in local mode), kept in this browser only. */
export const session = {
  token: (): string | null => localStorage.getItem(TOKEN_KEY),
  signIn(token: string) {
    localStorage.setItem(TOKEN_KEY, token);
    resetSocket();
  },
  signOut() {
    localStorage.removeItem(TOKEN_KEY);
    resetSocket();
  },
};

function authorization(): Record<string, string> {
  const token = session.token();
  return token ? { authorization: `Bearer ${token}` } : {};
}

const graphqlUrl = () => new URL('/graphql', window.location.href).toString();

interface GraphqlAnswer<R> {
  data?: R | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/**
 * Sends one typed operation over HTTP; rejects with ApiError on any GraphQL error, and on a mutation a domain
 * rule refused (its payload's userErrors, with the domain's code).
 */
export async function request<R, V>(
  document: TypedDocumentString<R, V>,
  ...[variables]: V extends Record<string, never> ? [] | [V] : [V]
): Promise<R> {
  const response = await fetch(graphqlUrl(), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...authorization() },
    body: JSON.stringify({ query: document.toString(), variables: variables ?? {} }),
  });
  const answer = (await response.json()) as GraphqlAnswer<R>;
  const error = answer.errors?.[0];
  if (error) throw new ApiError(error.message, error.extensions?.code);
  if (!answer.data) throw new ApiError(`the API answered HTTP ${response.status} without data`, undefined);
  const [refusal] = userErrorsOf(answer.data);
  if (refusal) throw new ApiError(refusal.message, refusal.code);
  return answer.data;
}

let socket: Client | null = null;
function resetSocket() {
  void socket?.dispose();
  socket = null;
}
function ws(): Client {
  socket ??= createClient({
    url: graphqlUrl().replace(/^http/, 'ws'),
    connectionParams: () => {
      const token = session.token();
      return token ? { Authorization: `Bearer ${token}` } : {};
    },
    retryAttempts: 5,
  });
  return socket;
}

/** Subscribes to a typed subscription over graphql-ws; returns the function that ends it. */
export function subscribe<R, V>(
  document: TypedDocumentString<R, V>,
  variables: V,
  handlers: { next: (data: R) => void; error?: (error: Error) => void; complete?: () => void },
): () => void {
  return ws().subscribe<R>(
    { query: document.toString(), variables: variables as Record<string, unknown> },
    {
      next: (value) => {
        if (value.errors?.[0]) handlers.error?.(new ApiError(value.errors[0].message, undefined));
        else if (value.data) handlers.next(value.data);
      },
      error: (error) =>
        handlers.error?.(error instanceof Error ? error : new Error('the subscription was closed')),
      complete: () => handlers.complete?.(),
    },
  );
}

/** Reads a report or artifact route (same Authorization header as the API) as text. */
export async function fetchText(path: string): Promise<string> {
  const response = await fetch(new URL(path, window.location.href), { headers: authorization() });
  if (!response.ok) throw new ApiError(`${path}: HTTP ${response.status}`, undefined);
  return response.text();
}

/** Reads an artifact route (same Authorization header as the API) as bytes. */
export async function fetchBytes(path: string): Promise<Uint8Array> {
  const response = await fetch(new URL(path, window.location.href), { headers: authorization() });
  if (!response.ok) throw new ApiError(`${path}: HTTP ${response.status}`, undefined);
  return new Uint8Array(await response.arrayBuffer());
}

/** Downloads a report route (they need the same Authorization header as the API) as a file. */
export async function download(path: string, filename: string): Promise<void> {
  const response = await fetch(new URL(path, window.location.href), { headers: authorization() });
  if (!response.ok) throw new ApiError(`download failed: HTTP ${response.status}`, undefined);
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.click();
  URL.revokeObjectURL(url);
}
