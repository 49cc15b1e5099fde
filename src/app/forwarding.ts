import { randomUUID } from 'node:crypto';
import { copyFileSync, linkSync, mkdirSync, rmSync } from 'node:fs';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import { userErrorsOf } from '../client/userErrors.js';
import type { Config } from './config.js';
import { dataDirHolder, type LockHolder } from './dataDirLock.js';

/**
 * A CLI command that writes, run while a server holds the embedded data directory, cannot open the database
 * there (one process per PGlite directory); where the API has a mutation for it, it sends the write to that server
 * instead. This file finds the server and talks to it.
 */

/** Where forwarded dataset files are staged: inside the server's import directory, cleared when it starts. */
const FORWARDED_DIR = '.forwarded';

function importDir(dataDir: string): string {
  return join(dataDir, 'imports');
}

/** The server that holds this configuration's embedded data directory and listens, if one does. */
export function runningServer(config: Config): (LockHolder & { readonly apiUrl: string }) | undefined {
  if (config.databaseUrl) return undefined;
  const holder = dataDirHolder(config.dataDir);
  return holder?.apiUrl !== undefined ? { ...holder, apiUrl: holder.apiUrl } : undefined;
}

/** The server refused the request (or could not be reached); `code` is the GraphQL error code when it gave one. */
export class ForwardingError extends Error {
  constructor(
    message: string,
    readonly code?: string,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ForwardingError';
  }
}

interface GraphqlResponse<T> {
  readonly data?: T | null;
  readonly errors?: ReadonlyArray<{ message: string; extensions?: Record<string, unknown> }>;
}

/** One GraphQL request to the server, as any client sends it; TUNELEDGER_TOKEN, if set, is the bearer token. */
export async function forwardRequest<T>(
  server: { readonly apiUrl: string; readonly pid: number },
  config: Config,
  query: string,
  variables: Record<string, unknown>,
): Promise<T> {
  let response: Response;
  try {
    response = await fetch(server.apiUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(config.apiToken ? { authorization: `Bearer ${config.apiToken}` } : {}),
      },
      body: JSON.stringify({ query, variables }),
    });
  } catch (error) {
    throw new ForwardingError(
      `the data directory ${config.dataDir} is held by the tuneledger server (pid ${server.pid}), but ` +
        `${server.apiUrl} does not answer (${(error as Error).message}); stop it first`,
    );
  }
  const body = (await response.json().catch(() => ({}))) as GraphqlResponse<T>;
  const [error] = body.errors ?? [];
  if (error) {
    const code = typeof error.extensions?.code === 'string' ? error.extensions.code : undefined;
    const hint =
      code === 'UNAUTHENTICATED' || code === 'FORBIDDEN'
        ? `; set TUNELEDGER_TOKEN to an API token the server at ${server.apiUrl} accepts for this`
        : '';
    throw new ForwardingError(`${error.message}${hint}`, code, error.extensions ?? {});
  }
  if (!response.ok || !body.data) {
    throw new ForwardingError(`the server at ${server.apiUrl} answered HTTP ${response.status}`);
  }
  const [refusal] = userErrorsOf(body.data);
  if (refusal) throw new ForwardingError(refusal.message, refusal.code, { domainCode: refusal.code });
  return body.data;
}

/**
 * Puts a local file where the server may read it (its import directory) and returns the path relative to that
 * directory and a function that removes the staged copy. A hard link costs nothing; across file systems it is
 * copied.
 */
export function stageImport(dataDir: string, file: string): { readonly path: string; remove(): void } {
  const root = importDir(dataDir);
  const full = resolve(file);
  const inside = relative(root, full);
  if (inside !== '' && !inside.startsWith('..') && !isAbsolute(inside)) return { path: inside, remove() {} };
  const dir = join(root, FORWARDED_DIR, randomUUID());
  mkdirSync(dir, { recursive: true });
  // The name is kept: the server detects the format from its extension.
  const staged = join(dir, basename(full));
  try {
    try {
      linkSync(full, staged);
    } catch {
      copyFileSync(full, staged);
    }
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`cannot read dataset file ${file}: ${(error as Error).message}`);
  }
  return {
    path: relative(root, staged),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Removes files staged by forwarded commands that were killed before they cleaned up (at server start). */
export function removeForwardedImports(dataDir: string): void {
  rmSync(join(importDir(dataDir), FORWARDED_DIR), { recursive: true, force: true });
}
