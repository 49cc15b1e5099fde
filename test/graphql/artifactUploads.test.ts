/**
 * Direct uploads (`POST /artifacts/<sha256>/uploads`, then `.../complete`) through real HTTP: with an S3 store
 * (s3rver on loopback, the real AWS SDK) the bytes go to a presigned URL of the bucket and the API keeps them
 * only once their sha256 is verified; with a local store the API says to PUT them to it. Workers may upload
 * only while they hold a job, and only the token that began an upload may complete it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalArtifactStore, S3ArtifactStore, type ArtifactStore } from '../../src/data/index.js';
import { PostgresEventStore } from '../../src/eventstore/index.js';
import { allProjections, ProjectionRunner } from '../../src/projections/index.js';
import { createServices, systemClock, uuidIds, type Services } from '../../src/services/index.js';
import { ApiClient, ApiRequestError, uploadArtifact } from '../../src/workers/index.js';
import { pgliteTarget, type TestDatabase } from '../support/databases.js';
import { datasetWithRevision, requestRun } from '../support/lifecycle.js';
import { startS3Server, type S3TestServer } from '../support/s3Server.js';
import { startHarness, type Harness } from './harness.js';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const ana = { actor: 'ana', roles: ['admin'] };
const PREFIX = 'uploads-test/';

let s3: S3TestServer;
let localRoot: string;
let database: TestDatabase;
let runner: ProjectionRunner;
let services: Services;
beforeAll(async () => {
  localRoot = await mkdtemp(join(tmpdir(), 'tl-artifact-uploads-'));
  s3 = await startS3Server(await mkdtemp(join(tmpdir(), 'tl-artifact-uploads-s3-')));
  database = await pgliteTarget.open();
  const store = new PostgresEventStore(database, { pollIntervalMs: 50 });
  services = createServices({ store, clock: systemClock, ids: uuidIds, baseModelCheck: async () => true });
  runner = new ProjectionRunner({ db: database.db, store, projections: allProjections });
  runner.start();
  await datasetWithRevision(services, 'qa', ana);
});
afterAll(async () => {
  await runner?.stop();
  await database?.close();
  await s3.close();
  await rm(s3.directory, { recursive: true, force: true });
  await rm(localRoot, { recursive: true, force: true });
});

interface Plan {
  how: string;
  url?: string;
  uploadId?: string;
  headers?: Record<string, string>;
  completeUrl?: string;
}

async function serve(artifacts: ArtifactStore): Promise<{
  api: Harness;
  tokenOf: (actor: string) => string;
  begin: (actor: string, hash: string, byteSize: number) => Promise<Response>;
  complete: (actor: string, hash: string, uploadId: string) => Promise<Response>;
  claim: (actor: string, runId: string, leaseMs: number) => Promise<void>;
  client: (actor: string) => ApiClient;
}> {
  const api = await startHarness(database, { services, projections: runner, artifacts });
  const tokens: Record<string, string> = {};
  for (const [actor, role] of [
    ['vic', 'viewer'],
    ['eve', 'engineer'],
    ['gpu-1', 'worker'],
    ['gpu-2', 'worker'],
    ['gpu-3', 'worker'],
  ] as const) {
    tokens[actor] = (await api.server.tokens.create({ actor, roles: [role], createdBy: 'test' })).token;
  }
  const tokenOf = (actor: string) => tokens[actor]!;
  const post = (actor: string, path: string, body?: unknown) =>
    fetch(new URL(path, api.server.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${tokenOf(actor)}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  return {
    api,
    tokenOf,
    begin: (actor, hash, byteSize) =>
      post(actor, `/artifacts/${hash}/uploads`, { byteSize, mediaType: 'application/octet-stream' }),
    complete: (actor, hash, uploadId) => post(actor, `/artifacts/${hash}/uploads/${uploadId}/complete`),
    claim: async (actor, runId, leaseMs) => {
      await requestRun(services, runId, 'qa', ana);
      const claimed = await api.request(
        `mutation { claimTrainingRun(runId: "${runId}", backend: "cpu", leaseMs: ${leaseMs}) { id } }`,
        {},
        tokenOf(actor),
      );
      expect(claimed.errors, JSON.stringify(claimed.errors)).toBeUndefined();
      // The jobs projection records the claim a moment later.
      await expect
        .poll(
          async () =>
            (await post(actor, `/artifacts/${sha256(Buffer.from(runId))}/uploads`, { byteSize: 1 })).status,
        )
        .not.toBe(403);
    },
    client: (actor) =>
      new ApiClient({ url: new URL('/', api.server.url).href, token: tokenOf(actor), retryForMs: 0 }),
  };
}

describe('direct uploads to an S3 store (s3rver)', () => {
  let artifacts: S3ArtifactStore;
  let env: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    artifacts = new S3ArtifactStore({ client: s3.client, bucket: s3.bucket, prefix: PREFIX });
    env = await serve(artifacts);
  });
  afterAll(async () => env?.api.close());

  const keysUnder = async (prefix: string) =>
    (
      (await s3.client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: prefix }))).Contents ?? []
    ).map((object) => object.Key!);
  const putTo = (plan: Plan, body: Buffer) =>
    fetch(plan.url!, { method: 'PUT', headers: plan.headers, body });

  it('sends the bytes straight to the bucket and keeps them once their sha256 is verified', async () => {
    const bytes = randomBytes(300_000);
    const hash = sha256(bytes);
    const ref = await uploadArtifact(
      env.client('eve'),
      { hash, byteSize: bytes.length, mediaType: 'application/x-tar' },
      () => Readable.from([bytes]),
    );
    expect(ref).toEqual({ hash, byteSize: bytes.length, mediaType: 'application/x-tar' });
    expect((await artifacts.get(hash)).equals(bytes)).toBe(true);
    expect((await artifacts.stat(hash)).mediaType).toBe('application/x-tar');
    expect(await keysUnder(`${PREFIX}uploads/`)).toEqual([]);
    expect(await keysUnder(`${PREFIX}verifying/`)).toEqual([]);

    // The plan pointed at the bucket, not at the API.
    const again = await env.begin('eve', hash, bytes.length);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ how: 'already_stored', artifact: ref });
    const other = randomBytes(10);
    const plan = (await (await env.begin('eve', sha256(other), other.length)).json()) as Plan;
    expect(plan.how).toBe('put_to_url');
    expect(plan.url!.startsWith(s3.endpoint)).toBe(true);
    expect(plan.url).toContain('X-Amz-Signature=');
  });

  it('stores nothing for bytes that hash to something else, and says so', async () => {
    const bytes = randomBytes(5000);
    const hash = sha256(bytes);
    const begun = await env.begin('eve', hash, bytes.length);
    expect(begun.status).toBe(201);
    const plan = (await begun.json()) as Plan;
    const tampered = Buffer.from(bytes);
    tampered[0] = tampered[0]! ^ 0xff;
    expect((await putTo(plan, tampered)).status).toBe(200);
    const completed = await env.complete('eve', hash, plan.uploadId!);
    expect(completed.status).toBe(400);
    const body = (await completed.json()) as { code: string; error: string };
    expect(body.code).toBe('hash_mismatch');
    expect(body.error).toContain(sha256(tampered));
    expect(await artifacts.has(hash)).toBe(false);
    expect(await keysUnder(`${PREFIX}uploads/`)).toEqual([]);
    expect(await keysUnder(`${PREFIX}verifying/`)).toEqual([]);
    // Completed once: a second completion finds nothing staged.
    expect((await env.complete('eve', hash, plan.uploadId!)).status).toBe(404);
  });

  it('lets a worker upload only while it holds a job, and complete only its own upload', async () => {
    const bytes = randomBytes(2000);
    const hash = sha256(bytes);
    const idle = await env.begin('gpu-1', hash, bytes.length);
    expect(idle.status).toBe(403);
    expect(((await idle.json()) as { error: string }).error).toMatch(/holds no job/);

    await env.claim('gpu-1', 'r-own', 600_000);
    const plan = (await (await env.begin('gpu-1', hash, bytes.length)).json()) as Plan;
    expect(plan.how).toBe('put_to_url');
    expect((await putTo(plan, bytes)).status).toBe(200);
    // A worker holding no job is refused; one holding another job cannot complete this worker's upload.
    expect((await env.complete('gpu-2', hash, plan.uploadId!)).status).toBe(403);
    await env.claim('gpu-2', 'r-foreign', 600_000);
    const foreign = await env.complete('gpu-2', hash, plan.uploadId!);
    expect(foreign.status).toBe(404);
    expect(await foreign.json()).toMatchObject({ code: 'upload_not_found' });
    expect(await artifacts.has(hash)).toBe(false);
    const own = await env.complete('gpu-1', hash, plan.uploadId!);
    expect(own.status).toBe(201);
    expect((await artifacts.get(hash)).equals(bytes)).toBe(true);
  });

  it('refuses to complete an upload once the worker lease has run out', async () => {
    const bytes = randomBytes(2000);
    const hash = sha256(bytes);
    await env.claim('gpu-3', 'r-short', 4000);
    const begun = await env.begin('gpu-3', hash, bytes.length);
    expect(begun.status).toBe(201);
    const plan = (await begun.json()) as Plan;
    expect((await putTo(plan, bytes)).status).toBe(200);
    await expect
      .poll(async () => (await env.begin('gpu-3', hash, bytes.length)).status, {
        timeout: 15_000,
        interval: 500,
      })
      .toBe(403);
    const expired = await env.complete('gpu-3', hash, plan.uploadId!);
    expect(expired.status).toBe(403);
    expect(((await expired.json()) as { error: string }).error).toMatch(/holds no job/);
    expect(await artifacts.has(hash)).toBe(false);
  });

  it('refuses viewers, and requests that are not an upload', async () => {
    const bytes = randomBytes(100);
    const hash = sha256(bytes);
    const viewer = await env.begin('vic', hash, bytes.length);
    expect(viewer.status).toBe(403);
    expect(((await viewer.json()) as { error: string }).error).toMatch(/may not upload artifacts/);
    const refused = await uploadArtifact(
      env.client('vic'),
      { hash, byteSize: 100, mediaType: 'text/plain' },
      () => Readable.from([bytes]),
    ).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ApiRequestError);
    expect((refused as ApiRequestError).status).toBe(403);
    const plan = (await (await env.begin('eve', hash, bytes.length)).json()) as Plan;
    expect((await putTo(plan, bytes)).status).toBe(200);
    expect((await env.complete('vic', hash, plan.uploadId!)).status).toBe(403);
    expect(await artifacts.has(hash)).toBe(false);

    const withParameters = await fetch(new URL(`/artifacts/${hash}/uploads`, env.api.server.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${env.tokenOf('eve')}` },
      body: JSON.stringify({ byteSize: 100, mediaType: 'application/x-ndjson; profile=x' }),
    });
    expect(withParameters.status).toBe(201);
    expect(((await withParameters.json()) as Plan).headers).toMatchObject({
      'content-type': 'application/x-ndjson',
    });
    const notJson = await fetch(new URL(`/artifacts/${hash}/uploads`, env.api.server.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${env.tokenOf('eve')}` },
      body: '{byteSize',
    });
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toMatchObject({ code: 'bad_request' });
    const negative = await env.begin('eve', hash, -1);
    expect(negative.status).toBe(400);
    expect(await negative.json()).toMatchObject({ code: 'bad_request' });
    expect((await env.begin('eve', 'not-a-hash', 1)).status).toBe(400);
    expect((await env.complete('eve', hash, 'not-an-upload')).status).toBe(404);
  });
});

describe('multipart direct uploads to an S3 store (s3rver), above a small threshold', () => {
  const MULTI_PREFIX = 'multipart-test/';
  let artifacts: S3ArtifactStore;
  let env: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    artifacts = new S3ArtifactStore({
      client: s3.client,
      bucket: s3.bucket,
      prefix: MULTI_PREFIX,
      // Small, so that a test file is split: real S3 needs parts of at least 5 MiB (s3rver takes any size).
      directMultipart: { thresholdBytes: 64 * 1024, partBytes: 24 * 1024 },
    });
    env = await serve(artifacts);
  });
  afterAll(async () => env?.api.close());

  interface PartsPlan {
    how: string;
    uploadId: string;
    parts: {
      partNumber: number;
      offset: number;
      byteSize: number;
      url: string;
      headers: Record<string, string>;
    }[];
    completeUrl: string;
    abortUrl: string;
  }
  const keysUnder = async (prefix: string) =>
    (
      (await s3.client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: prefix }))).Contents ?? []
    ).map((object) => object.Key!);
  const planFor = async (bytes: Buffer) => {
    const begun = await env.begin('eve', sha256(bytes), bytes.length);
    expect(begun.status).toBe(201);
    return (await begun.json()) as PartsPlan;
  };
  /** PUTs each part of `bytes` to its URL; the ETags the bucket answered. */
  const putParts = async (plan: PartsPlan, bytes: Buffer) => {
    const etags = [];
    for (const part of plan.parts) {
      const sent = await fetch(part.url, {
        method: 'PUT',
        headers: part.headers,
        body: bytes.subarray(part.offset, part.offset + part.byteSize),
      });
      expect(sent.status).toBe(200);
      etags.push({ partNumber: part.partNumber, etag: sent.headers.get('etag')! });
    }
    return etags;
  };
  const completeWith = (hash: string, plan: PartsPlan, parts: unknown) =>
    fetch(new URL(plan.completeUrl, env.api.server.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${env.tokenOf('eve')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ parts }),
    });

  it('splits a file above the threshold into presigned part PUTs, and keeps it once its sha256 is verified', async () => {
    const bytes = randomBytes(100_000);
    const hash = sha256(bytes);
    const plan = await planFor(bytes);
    expect(plan.how).toBe('put_parts');
    expect(plan.parts.map((part) => [part.partNumber, part.offset, part.byteSize])).toEqual([
      [1, 0, 24_576],
      [2, 24_576, 24_576],
      [3, 49_152, 24_576],
      [4, 73_728, 24_576],
      [5, 98_304, 1_696],
    ]);
    for (const part of plan.parts) {
      expect(part.url.startsWith(s3.endpoint)).toBe(true);
      expect(part.url).toMatch(/uploadId=.*X-Amz-Signature=|X-Amz-Signature=.*uploadId=/);
    }
    expect(await artifacts.has(hash)).toBe(false);

    // The client of the workers and the CLI does all of it on its own: plan, parts, completion.
    const ref = await uploadArtifact(
      env.client('eve'),
      { hash, byteSize: bytes.length, mediaType: 'application/x-tar' },
      // In uneven chunks, so that parts are cut across them.
      () => Readable.from([bytes.subarray(0, 7_000), bytes.subarray(7_000, 60_001), bytes.subarray(60_001)]),
    );
    expect(ref).toEqual({ hash, byteSize: bytes.length, mediaType: 'application/x-tar' });
    expect((await artifacts.get(hash)).equals(bytes)).toBe(true);
    expect((await artifacts.stat(hash)).mediaType).toBe('application/x-tar');
    // The plan begun by hand above was never sent: an open multipart upload is no object (a bucket lifecycle
    // rule aborts it).
    expect(await keysUnder(`${MULTI_PREFIX}uploads/`)).toEqual([]);
    expect(await keysUnder(`${MULTI_PREFIX}verifying/`)).toEqual([]);

    // At or under the threshold: one PUT, as before.
    const small = randomBytes(64 * 1024);
    expect((await planFor(small)).how).toBe('put_to_url');
  });

  it('stores nothing when the assembled parts hash to something else', async () => {
    const bytes = randomBytes(70_000);
    const hash = sha256(bytes);
    const plan = await planFor(bytes);
    const tampered = Buffer.from(bytes);
    tampered[50_000] = tampered[50_000]! ^ 0xff;
    const parts = await putParts(plan, tampered);
    const completed = await completeWith(hash, plan, parts);
    expect(completed.status).toBe(400);
    const body = (await completed.json()) as { code: string; error: string };
    expect(body.code).toBe('hash_mismatch');
    expect(body.error).toContain(sha256(tampered));
    expect(await artifacts.has(hash)).toBe(false);
    expect(await keysUnder(`${MULTI_PREFIX}uploads/`)).toEqual([]);
    expect(await keysUnder(`${MULTI_PREFIX}verifying/`)).toEqual([]);
  });

  it('refuses a completion whose parts are missing or out of order, and completes once they are right', async () => {
    const bytes = randomBytes(80_000);
    const hash = sha256(bytes);
    const plan = await planFor(bytes);
    const parts = await putParts(plan, bytes);
    for (const wrong of [[], [...parts].reverse(), parts.slice(1), [{ partNumber: 1 }], 'all of them']) {
      const refused = await completeWith(hash, plan, wrong);
      expect(refused.status, JSON.stringify(wrong)).toBe(400);
      expect(['bad_parts', 'bad_request']).toContain(((await refused.json()) as { code: string }).code);
      expect(await artifacts.has(hash)).toBe(false);
    }
    const completed = await completeWith(hash, plan, parts);
    expect(completed.status).toBe(201);
    expect((await artifacts.get(hash)).equals(bytes)).toBe(true);
  });

  it('gives up an upload on DELETE: what was staged is deleted and it can no longer be completed', async () => {
    const bytes = randomBytes(1000);
    const hash = sha256(bytes);
    const plan = (await (await env.begin('eve', hash, bytes.length)).json()) as {
      uploadId: string;
      url: string;
      headers: Record<string, string>;
    };
    expect((await fetch(plan.url, { method: 'PUT', headers: plan.headers, body: bytes })).status).toBe(200);
    expect(await keysUnder(`${MULTI_PREFIX}uploads/`)).toHaveLength(1);
    const abort = (token: string) =>
      fetch(new URL(`/artifacts/${hash}/uploads/${plan.uploadId}`, env.api.server.url), {
        method: 'DELETE',
        headers: { authorization: `Bearer ${token}` },
      });
    expect((await abort(env.tokenOf('vic'))).status).toBe(403);
    expect(await keysUnder(`${MULTI_PREFIX}uploads/`)).toHaveLength(1);
    expect((await abort(env.tokenOf('eve'))).status).toBe(204);
    expect(await keysUnder(`${MULTI_PREFIX}uploads/`)).toEqual([]);
    expect((await env.complete('eve', hash, plan.uploadId)).status).toBe(404);
    expect(await artifacts.has(hash)).toBe(false);
  });

  it('refuses a multipart upload id that was never handed out', async () => {
    const bytes = randomBytes(70_000);
    const hash = sha256(bytes);
    for (const uploadId of ['not-an-upload', `${'0'.repeat(8)}-0000-0000-0000-${'0'.repeat(12)}.%%%`]) {
      const completed = await env.complete('eve', hash, encodeURIComponent(uploadId));
      expect(completed.status).toBe(404);
      expect(((await completed.json()) as { code: string }).code).toBe('upload_not_found');
    }
  });
});

describe('direct uploads to a local store', () => {
  let artifacts: LocalArtifactStore;
  let env: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    artifacts = new LocalArtifactStore(localRoot);
    env = await serve(artifacts);
  });
  afterAll(async () => env?.api.close());

  it('answers to PUT the bytes to the API, which the client then does', async () => {
    const bytes = randomBytes(4000);
    const hash = sha256(bytes);
    const plan = await env.begin('eve', hash, bytes.length);
    expect(plan.status).toBe(200);
    expect(await plan.json()).toEqual({ how: 'put_to_api', url: `/artifacts/${hash}` });
    const ref = await uploadArtifact(
      env.client('eve'),
      { hash, byteSize: bytes.length, mediaType: 'text/plain' },
      () => Readable.from([bytes]),
    );
    expect(ref.hash).toBe(hash);
    expect((await artifacts.get(hash)).equals(bytes)).toBe(true);
    expect((await env.complete('eve', hash, '00000000-0000-0000-0000-000000000000')).status).toBe(404);
  });
});
