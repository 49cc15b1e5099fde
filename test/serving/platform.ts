/** A real platform for the serving tests: PGlite, event store, services, projections, GraphQL with serving mounted, workers. */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { LocalArtifactStore, redactText } from '../../src/data/index.js';
import { PostgresEventStore, type EventStore } from '../../src/eventstore/index.js';
import { createGraphqlServer, type GraphqlServer } from '../../src/graphql/index.js';
import { ShreddingEventStore, SubjectKeys } from '../../src/privacy/index.js';
import { ProjectionRunner, allProjections } from '../../src/projections/index.js';
import {
  registryModelResolver,
  startServing,
  type Serving,
  type ServingDependencies,
} from '../../src/serving/index.js';
import { createServices, systemClock, uuidIds, type Services } from '../../src/services/index.js';
import { deploymentJobHandlers } from '../../src/workers/deployment/index.js';
import { runWorker, unpackTar, type WorkerHandle } from '../../src/workers/index.js';
import { pgliteTarget, type TestDatabase } from '../support/databases.js';
import { registerVersions, writeAdapter, writeTinyBase } from './support.js';

export interface TestPlatform {
  readonly dir: string;
  readonly database: TestDatabase;
  /** The log as stored (ciphertext of personal fields when `shredding` is on). */
  readonly store: PostgresEventStore;
  /** The store the platform reads and writes through: `store`, or the shredding one wrapped around it. */
  readonly platformStore: EventStore;
  readonly subjectKeys: SubjectKeys;
  readonly services: Services;
  readonly resolverFor: (cacheDir: string) => ServingDependencies['resolver'];
  readonly serving: Serving;
  readonly graphql: GraphqlServer;
  readonly worker: WorkerHandle;
  readonly baseUrl: string;
  readonly tokens: { readonly app: string; readonly approver: string; readonly engineer: string };
  gql<T = Record<string, unknown>>(
    query: string,
    variables: Record<string, unknown>,
    token: string,
  ): Promise<{
    data?: T;
    errors?: {
      message: string;
      extensions?: { code?: string; domainCode?: string } & Record<string, unknown>;
    }[];
  }>;
  close(): Promise<void>;
}

export async function startTestPlatform(
  threadEntry: URL,
  options: {
    adapters: readonly number[];
    serving?: Partial<ServingDependencies>;
    /** false: the workers only record outcomes and the serving side follows the log (two machines' split). */
    workerServes?: boolean;
    /** The process log of serving and GraphQL (default: silent, or SERVING_TEST_LOG's level). */
    logger?: Logger;
    /** true: personal fields are encrypted per data subject, as on the platform (src/privacy). */
    shredding?: boolean;
  },
): Promise<TestPlatform> {
  const dir = mkdtempSync(join(tmpdir(), 'tuneledger-serving-'));
  const baseDir = join(dir, 'base');
  await writeTinyBase(baseDir);
  const adapterDirs = options.adapters.map((noise, index) => {
    const adapterDir = join(dir, `adapter-${index + 1}`);
    writeAdapter(adapterDir, noise);
    return adapterDir;
  });
  const database = await pgliteTarget.open();
  const store = new PostgresEventStore(database, { pollIntervalMs: 20 });
  const subjectKeys = new SubjectKeys(database.db, randomBytes(32));
  const platformStore: EventStore = options.shredding ? new ShreddingEventStore(store, subjectKeys) : store;
  // As the platform does: the redaction gate follows the serving PII policy.
  const piiRedaction = options.serving?.piiRedaction;
  const services = createServices({
    store: platformStore,
    clock: systemClock,
    ids: uuidIds,
    redact: (text) => redactText(text, undefined, piiRedaction),
    // forgetSubject works as on the platform (the log is encrypted only with `shredding`).
    subjectKeys,
  });
  const artifacts = new LocalArtifactStore(join(dir, 'artifacts'));
  const projections = new ProjectionRunner({
    db: database.db,
    store: platformStore,
    projections: allProjections,
    pollIntervalMs: 20,
  });
  projections.start();
  const logger = options.logger ?? pino({ level: process.env.SERVING_TEST_LOG ?? 'silent' });
  const serving = await startServing({
    store: platformStore,
    services,
    resolver: registryModelResolver({
      store: platformStore,
      artifacts,
      untar: unpackTar,
      cacheDir: join(dir, 'cache'),
    }),
    pool: { threads: 1, maxQueue: 64, threadEntry },
    logger,
    ...options.serving,
  });
  const graphql = await createGraphqlServer({
    store: platformStore,
    db: database.db,
    services,
    projections,
    interactionCapture: serving.recorder,
    artifacts,
    port: 0,
    logger,
    // Property tests send bursts of requests from one token; the rate limit has its own tests
    // (test/graphql/queryLimits.test.ts).
    rateLimit: false,
    routes: (app, api) => serving.mount(app, api),
  });
  const admin = { actor: 'ops', roles: ['admin'] as const };
  const created = async (actor: string, role: 'viewer' | 'approver' | 'engineer') =>
    (await graphql.tokens.create({ actor, roles: [role], createdBy: admin.actor })).token;
  const tokens = {
    app: await created('chat-app', 'viewer'),
    approver: await created('rita', 'approver'),
    engineer: await created('eli', 'engineer'),
  };
  await registerVersions(
    services,
    artifacts,
    { actor: 'eli', roles: ['engineer'] },
    {
      modelName: 'assistant',
      baseDir,
      adapters: adapterDirs,
      datasetHash: 'a'.repeat(64),
    },
  );
  const worker = runWorker({
    kinds: ['deploy', 'rollback'],
    handlers: deploymentJobHandlers({
      services,
      ...(options.workerServes === false ? {} : { serving: serving.host }),
    }),
    db: database.db,
    pollMs: 25,
    leaseMs: 10_000,
  });
  const baseUrl = graphql.url.replace(/\/graphql$/, '');
  return {
    dir,
    database,
    store,
    platformStore,
    subjectKeys,
    services,
    resolverFor: (cacheDir) =>
      registryModelResolver({ store: platformStore, artifacts, untar: unpackTar, cacheDir }),
    serving,
    graphql,
    worker,
    baseUrl,
    tokens,
    async gql(query, variables, token) {
      const response = await fetch(graphql.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables }),
      });
      return (await response.json()) as never;
    },
    async close() {
      await worker.stop();
      await graphql.close();
      await serving.close();
      await projections.stop();
      await store.close();
      await database.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const DEPLOY = `mutation($name: String!, $model: String!, $version: Int!) {
  requestDeployment(deploymentName: $name, modelName: $model, version: $version, environment: "production", reason: "test") { id version }
}`;

/** Polls until `check` returns a value (not undefined), or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => T | undefined | Promise<T | undefined>,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
