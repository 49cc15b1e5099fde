import { sql, type Kysely } from 'kysely';
import { BREAK, Kind, parse, visit, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import { allProjections } from '../projections/index.js';
import type { Viewer } from './auth/viewer.js';
import { TableReads } from './tableReads.js';

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

/** What the cache gives a request: a stored answer (hit) or the one just computed. */
export interface CacheAnswer {
  readonly status: number;
  readonly response: CachedResponse;
  readonly hit: boolean;
}

/**
 * One answer: the exact HTTP body and headers. Stored answers keep their body encoded (UTF-8), so a
 * hit writes bytes without encoding or measuring a string again.
 */
export interface CachedResponse {
  readonly body: string | Buffer;
  readonly headers: readonly (readonly [string, string])[];
}

/** Something besides the projections an answer was computed from, checked again before each hit. */
export interface CacheDependency {
  /** What `current()` gave when the answer was computed (or before). */
  readonly expected: string;
  current(): Promise<string>;
}

/**
 * What one cacheable request's answer was computed from: the tables its resolvers read through the
 * database `track` gives them, further dependencies they declare, or that it must not be stored.
 */
export class CacheScope {
  readonly dependencies: CacheDependency[] = [];
  readonly reads = new TableReads();
  private forbidden = false;

  /** The database for this request's resolvers: every table they read through it is recorded. */
  track<Db>(db: Kysely<Db>): Kysely<Db> {
    return this.reads.track(db);
  }

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
  readonly response: CachedResponse & { readonly body: string };
}

/** Each projection's `version:data_version`, and all of them as one string. */
interface ReadModelVersions {
  readonly key: string;
  readonly stamps: ReadonlyMap<string, string>;
}

interface Entry extends CachedResponse {
  readonly body: Buffer;
  /** The stamps, when it was computed, of the projections whose tables the answer read. */
  readonly reads: readonly (readonly [projection: string, stamp: string])[];
  readonly dependencies: readonly CacheDependency[];
}

/** Which projection writes each read-model table. The jobs table is also written by the job queue. */
const projectionOfTable: ReadonlyMap<string, string> = new Map(
  allProjections.flatMap((projection) =>
    projection.tables.filter((table) => table !== 'jobs').map((table) => [table, projection.name] as const),
  ),
);
const notCacheableTables: ReadonlySet<string> = new Set(['jobs', 'job_retries', 'api_tokens']);

export interface ResponseCacheOptions {
  /** Upper bound on the bytes of stored bodies; least recently used answers go first. Default 32 MiB. */
  readonly maxBytes?: number;
}

export interface ResponseCacheStats {
  readonly hits: number;
  /** Requests not answered from a stored entry (computed, or waiting for an identical computation). */
  readonly misses: number;
  /** Computations started: misses that waited for an identical one in flight are not among them. */
  readonly executions: number;
  readonly entries: number;
  readonly bytes: number;
}

/**
 * A response cache for read-model queries that is correct by construction: an answer is keyed by
 * the document, operation name, variables, the Accept header and the caller's actor and roles, and
 * is stored with the data version (projection_checkpoints.data_version: commits that changed its
 * tables, rebuilds included) of each projection whose tables it read, as read BEFORE it was
 * computed. It is served only while the versions read after the request arrived are the same,
 * that is while none of those projections has committed a change since: the stored answer is then
 * exactly what executing the query again would return. So production traffic, which moves the
 * feedback projection all the time, leaves cached runs, models and datasets valid. This holds
 * whichever process runs the projections, since the versions come from the database. The tables
 * come from the request's own SQL (CacheScope.track); SQL whose tables cannot be named, or that
 * names a table no projection owns, makes the answer depend on every projection; one that reads
 * the job queue's tables is not stored. Read-your-writes holds too: a mutation returns once its
 * events are projected, which changes the versions. Only answers without errors are stored.
 */
export class ResponseCache {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;
  private hits = 0;
  private misses = 0;
  private executions = 0;
  private readonly maxBytes: number;
  private readonly documents = new Map<string, boolean>();
  private readonly versions = new FreshRead(() => this.readVersions());
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
   * The stored answer for `key`, or the one `compute` gives (stored when it is a success: status
   * 200 and no errors). The projections' versions are read after this call (concurrent callers
   * share one read, but never one that started before they called). Identical requests at the same
   * versions share one computation. null when `compute` streamed its answer itself.
   */
  async answer(
    key: string,
    compute: (scope: CacheScope) => Promise<ComputedResponse | null>,
  ): Promise<CacheAnswer | null> {
    return this.answerAt(key, await this.versions.get(), compute);
  }

  private async answerAt(
    key: string,
    versions: ReadModelVersions,
    compute: (scope: CacheScope) => Promise<ComputedResponse | null>,
  ): Promise<CacheAnswer | null> {
    const entry = this.entries.get(key);
    if (
      entry &&
      entry.reads.every(([projection, stamp]) => (versions.stamps.get(projection) ?? '') === stamp) &&
      (await unchanged(entry.dependencies))
    ) {
      this.hits++;
      // Least recently used first out: move it to the end.
      this.entries.delete(key);
      this.entries.set(key, entry);
      return { status: 200, response: entry, hit: true };
    }
    this.misses++;
    const flightKey = `${versions.key}\u0000${key}`;
    const shared = this.computing.get(flightKey);
    if (shared) {
      const answer = await shared;
      // A streamed answer cannot be shared: compute this one.
      return answer ? { ...answer, hit: false } : this.answerAt(key, versions, compute);
    }
    const scope = new CacheScope();
    this.executions++;
    const pending = compute(scope).finally(() => this.computing.delete(flightKey));
    this.computing.set(flightKey, pending);
    const answer = await pending;
    // Apollo writes `errors` before `data`: a success without errors starts with data.
    const reads = scope.storable ? projectionsRead(scope.reads, versions) : null;
    if (answer && reads && answer.status === 200 && answer.response.body.startsWith('{"data"')) {
      // Concurrent hits on this entry share each dependency's check (one that started after they came).
      const dependencies = scope.dependencies.map((dependency) => {
        const fresh = new FreshRead(() => dependency.current());
        return { expected: dependency.expected, current: () => fresh.get() };
      });
      this.store(key, { ...answer.response, body: Buffer.from(answer.response.body), reads, dependencies });
    }
    return answer ? { ...answer, hit: false } : null;
  }

  stats(): ResponseCacheStats {
    return {
      hits: this.hits,
      misses: this.misses,
      executions: this.executions,
      entries: this.entries.size,
      bytes: this.bytes,
    };
  }

  private async readVersions(): Promise<ReadModelVersions> {
    const { rows } = await sql<{ name: string; stamp: string }>`
      SELECT name, version || ':' || data_version AS stamp FROM projection_checkpoints ORDER BY name`.execute(
      this.db,
    );
    return {
      key: rows.map((row) => `${row.name}:${row.stamp}`).join(';'),
      stamps: new Map(rows.map((row) => [row.name, row.stamp])),
    };
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

/**
 * The projections (with their stamps) an answer depends on, from the tables it read; every
 * projection when some SQL named no table or a table no projection owns; null when it read the job
 * queue's tables (written outside the projections, so never stored).
 */
function projectionsRead(
  reads: TableReads,
  versions: ReadModelVersions,
): (readonly [string, string])[] | null {
  if ([...reads.tables].some((table) => notCacheableTables.has(table))) return null;
  const everything = reads.unnamed || [...reads.tables].some((table) => !projectionOfTable.has(table));
  const projections = everything
    ? [...versions.stamps.keys()]
    : [...new Set([...reads.tables].map((table) => projectionOfTable.get(table)!))];
  return projections.map((projection) => [projection, versions.stamps.get(projection) ?? ''] as const);
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
