import { sql, type Kysely } from 'kysely';
import { BREAK, Kind, parse, visit, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import type { Viewer } from './auth/viewer.js';

/**
 * Root query fields whose answers depend only on the read models that projections write (and on
 * the caller's roles, part of the key): nothing else writes their tables, and none of the types
 * they reach reads the event log, job leases, artifacts or the clock. `asOf` arguments (folded
 * from the log) make a document uncacheable. Jobs are not here: the job queue writes leases and
 * claims into the jobs table outside the projections. `auditReport` (by model and version only)
 * reads the lineage read model and the involved streams, which its resolver declares through the
 * request's CacheScope (their row fingerprints are checked again before every hit).
 */
export const projectionOnlyQueryFields: ReadonlySet<string> = new Set([
  'auditReport',
  '__typename',
  'datasets',
  'dataset',
  'runs',
  'run',
  'evaluations',
  'evaluation',
  'models',
  'model',
  'deployments',
  'deployment',
  'interactions',
  'interaction',
  'preferencePrompts',
  'lineage',
]);

/** One stored answer: the exact HTTP body and headers, for the read-model state it was computed at. */
export interface CachedResponse {
  readonly body: string;
  readonly headers: readonly (readonly [string, string])[];
}

/** Something besides the projections an answer was computed from, checked again before each hit. */
export interface CacheDependency {
  /** What `current()` gave when the answer was computed (or before). */
  readonly expected: string;
  current(): Promise<string>;
}

/**
 * What the resolvers of one cacheable request tell the cache: further dependencies of the answer,
 * or that it must not be stored at all.
 */
export class CacheScope {
  readonly dependencies: CacheDependency[] = [];
  private forbidden = false;

  depend(dependency: CacheDependency): void {
    this.dependencies.push(dependency);
  }

  /** The answer must not be stored (e.g. its inputs cannot be checked again cheaply). */
  forbid(): void {
    this.forbidden = true;
  }

  get storable(): boolean {
    return !this.forbidden;
  }
}

/** An answer as executed: its HTTP status and body. */
export interface ComputedResponse {
  readonly status: number;
  readonly response: CachedResponse;
}

interface Entry extends CachedResponse {
  readonly version: string;
  readonly dependencies: readonly CacheDependency[];
}

export interface ResponseCacheOptions {
  /** Upper bound on the bytes of stored bodies; least recently used answers go first. Default 32 MiB. */
  readonly maxBytes?: number;
}

export interface ResponseCacheStats {
  readonly hits: number;
  readonly misses: number;
  readonly entries: number;
  readonly bytes: number;
}

/**
 * A response cache for read-model queries that is correct by construction: an answer is keyed by
 * the document, operation name, variables, the Accept header and the caller's actor and roles, and
 * is stored with the version of every projection (name, version, checkpoint, events applied,
 * updated_at) read BEFORE it was computed. It is served only while a version read after the
 * request arrived is the same, that is while no projection has committed a batch (or been rebuilt)
 * since: the stored answer is then exactly what executing the query again would return. This
 * holds whichever process runs the projections, since the version comes from the database.
 * Read-your-writes holds too: a mutation returns once its events are projected, which changes the
 * version. Only answers without errors are stored.
 */
export class ResponseCache {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;
  private hits = 0;
  private misses = 0;
  private readonly maxBytes: number;
  private readonly documents = new Map<string, boolean>();
  private readonly versions = new FreshRead(() => this.readVersion());
  private readonly computing = new Map<string, Promise<ComputedResponse | null>>();

  constructor(
    private readonly db: Kysely<unknown>,
    options: ResponseCacheOptions = {},
  ) {
    this.maxBytes = options.maxBytes ?? 32 * 1024 * 1024;
  }

  /** The cache key of a POSTed GraphQL request, or null when its answer must not be cached. */
  keyFor(body: unknown, viewer: Viewer, accept: string | undefined): string | null {
    if (typeof body !== 'object' || body === null) return null;
    const { query, operationName, variables } = body as Record<string, unknown>;
    if (typeof query !== 'string' || query.length > 20_000) return null;
    if (operationName !== undefined && operationName !== null && typeof operationName !== 'string')
      return null;
    if (!this.cacheableDocument(query, operationName ?? undefined)) return null;
    return JSON.stringify([
      query,
      operationName ?? null,
      variables ?? null,
      accept ?? '',
      viewer.actor,
      [...viewer.roles].sort(),
    ]);
  }

  /**
   * The projections' version, read after this call: concurrent callers share one read, but never
   * one that started before they called.
   */
  version(): Promise<string> {
    return this.versions.get();
  }

  /**
   * The stored answer for `key` at `version`, or the one `compute` gives (stored when it is a
   * success: status 200 and no errors). Identical requests at the same version share one
   * computation. null when `compute` streamed its answer itself.
   */
  async answer(
    key: string,
    version: string,
    compute: (scope: CacheScope) => Promise<ComputedResponse | null>,
  ): Promise<(ComputedResponse & { readonly hit: boolean }) | null> {
    const entry = this.entries.get(key);
    if (entry && entry.version === version && (await unchanged(entry.dependencies))) {
      this.hits++;
      // Least recently used first out: move it to the end.
      this.entries.delete(key);
      this.entries.set(key, entry);
      return { status: 200, response: entry, hit: true };
    }
    this.misses++;
    const flightKey = `${version}\u0000${key}`;
    const shared = this.computing.get(flightKey);
    if (shared) {
      const answer = await shared;
      // A streamed answer cannot be shared: compute this one.
      return answer ? { ...answer, hit: false } : this.answer(key, version, compute);
    }
    const scope = new CacheScope();
    const pending = compute(scope).finally(() => this.computing.delete(flightKey));
    this.computing.set(flightKey, pending);
    const answer = await pending;
    // Apollo writes `errors` before `data`: a success without errors starts with data.
    if (answer && scope.storable && answer.status === 200 && answer.response.body.startsWith('{"data"')) {
      // Concurrent hits on this entry share each dependency's check (one that started after they came).
      const dependencies = scope.dependencies.map((dependency) => {
        const fresh = new FreshRead(() => dependency.current());
        return { expected: dependency.expected, current: () => fresh.get() };
      });
      this.store(key, { ...answer.response, version, dependencies });
    }
    return answer ? { ...answer, hit: false } : null;
  }

  stats(): ResponseCacheStats {
    return { hits: this.hits, misses: this.misses, entries: this.entries.size, bytes: this.bytes };
  }

  private async readVersion(): Promise<string> {
    const { rows } = await sql<{ version: string | null }>`
      SELECT string_agg(
        name || ':' || version || ':' || checkpoint || ':' || events_applied || ':' || updated_at::text,
        ';' ORDER BY name) AS version
      FROM projection_checkpoints`.execute(this.db);
    return rows[0]?.version ?? '';
  }

  private store(key: string, entry: Entry): void {
    const size = entry.body.length + key.length;
    if (size > this.maxBytes / 4) return;
    const old = this.entries.get(key);
    if (old) {
      this.bytes -= old.body.length + key.length;
      this.entries.delete(key);
    }
    while (this.bytes + size > this.maxBytes && this.entries.size > 0) {
      const [oldestKey, oldest] = this.entries.entries().next().value!;
      this.entries.delete(oldestKey);
      this.bytes -= oldest.body.length + oldestKey.length;
    }
    this.entries.set(key, entry);
    this.bytes += size;
  }

  /** A query operation whose root fields all read projections only, with no asOf anywhere. */
  private cacheableDocument(query: string, operationName: string | undefined): boolean {
    const memoKey = `${operationName ?? ''}\u0000${query}`;
    const known = this.documents.get(memoKey);
    if (known !== undefined) return known;
    let document: DocumentNode | null = null;
    try {
      document = parse(query, { noLocation: true });
    } catch {
      // Not cached; Apollo answers with the syntax error.
    }
    const verdict = document !== null && isCacheable(document, operationName);
    if (this.documents.size >= 1000) this.documents.delete(this.documents.keys().next().value!);
    this.documents.set(memoKey, verdict);
    return verdict;
  }
}

/**
 * A read shared by concurrent callers, each getting the result of a read that STARTED after it
 * called: while one read is in flight, later callers wait for the next one, which starts when it
 * ends. So nobody sees a state older than their own arrival, and N concurrent callers cost about
 * two reads instead of N.
 */
export class FreshRead<T> {
  private inFlight: Promise<T> | null = null;
  private next: Promise<T> | null = null;

  constructor(private readonly read: () => Promise<T>) {}

  get(): Promise<T> {
    if (this.next) return this.next;
    if (!this.inFlight) return this.start();
    const settled = this.inFlight.then(
      () => undefined,
      () => undefined,
    );
    this.next = settled.then(() => {
      this.next = null;
      return this.start();
    });
    return this.next;
  }

  private start(): Promise<T> {
    const read = this.read();
    this.inFlight = read;
    const clear = () => {
      if (this.inFlight === read) this.inFlight = null;
    };
    read.then(clear, clear);
    return read;
  }
}

async function unchanged(dependencies: readonly CacheDependency[]): Promise<boolean> {
  if (dependencies.length === 0) return true;
  const now = await Promise.all(dependencies.map((dependency) => dependency.current()));
  return now.every((value, index) => value === dependencies[index]!.expected);
}

function isCacheable(document: DocumentNode, operationName: string | undefined): boolean {
  const operations = document.definitions.filter(
    (definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION,
  );
  const operation =
    operationName === undefined
      ? operations.length === 1
        ? operations[0]
        : undefined
      : operations.find((candidate) => candidate.name?.value === operationName);
  if (!operation || operation.operation !== 'query') return false;
  // Root selections must be plain fields on the list (no fragments, whose fields are not checked here).
  for (const selection of operation.selectionSet.selections) {
    if (selection.kind !== Kind.FIELD || !projectionOnlyQueryFields.has(selection.name.value)) return false;
    // An audit report of a deployment folds the deployment (and the world) as of a moment from the log.
    if (
      selection.name.value === 'auditReport' &&
      selection.arguments?.some((argument) => argument.name.value === 'deployment')
    )
      return false;
  }
  // No asOf argument anywhere in the document: those answers are folded from the log.
  let foldedFromLog = false;
  visit(document, {
    Argument(node) {
      if (node.name.value !== 'asOf') return undefined;
      foldedFromLog = true;
      return BREAK;
    },
  });
  return !foldedFromLog;
}
