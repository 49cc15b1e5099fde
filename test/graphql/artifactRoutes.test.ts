/**
 * GET / HEAD / PUT /artifacts/:sha256 through real HTTP, on the local store and on an S3 store (s3rver on
 * loopback): who may read and write what, ranges, ETags, verified uploads, and presigned redirects.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalArtifactStore, S3ArtifactStore, type ArtifactStore } from '../../src/data/index.js';
import { PostgresEventStore } from '../../src/eventstore/index.js';
import { allProjections, ProjectionRunner } from '../../src/projections/index.js';
import { createServices, systemClock, uuidIds, type Services } from '../../src/services/index.js';
import { pgliteTarget, type TestDatabase } from '../support/databases.js';
import { requestRun } from '../support/lifecycle.js';
import { startS3Server, type S3TestServer } from '../support/s3Server.js';
import { startHarness, type Harness } from './harness.js';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const ana = { actor: 'ana', roles: ['admin'] };

let s3: S3TestServer;
let localRoot: string;
beforeAll(async () => {
  localRoot = await mkdtemp(join(tmpdir(), 'tl-artifact-routes-'));
  s3 = await startS3Server(await mkdtemp(join(tmpdir(), 'tl-artifact-routes-s3-')));
});
afterAll(async () => {
  await s3.close();
  await rm(s3.directory, { recursive: true, force: true });
  await rm(localRoot, { recursive: true, force: true });
});

const stores: { name: string; presigned: boolean; make: () => ArtifactStore }[] = [
  { name: 'local directory', presigned: false, make: () => new LocalArtifactStore(localRoot) },
  {
    name: 'S3 (s3rver)',
    presigned: true,
    make: () => new S3ArtifactStore({ client: s3.client, bucket: s3.bucket, prefix: 'routes/' }),
  },
];

for (const storeCase of stores) {
  describe(`artifact routes (${storeCase.name})`, () => {
    let database: TestDatabase;
    let api: Harness;
    let runner: ProjectionRunner;
    let services: Services;
    let artifacts: ArtifactStore;
    const tokens: Record<string, string> = {};
    const datasetBytes = Buffer.from(
      `{"instruction":"say hi","output":"hi"}\n`.repeat(50) + randomBytes(4).toString('hex'),
    );
    const datasetHash = sha256(datasetBytes);

    beforeAll(async () => {
      database = await pgliteTarget.open();
      const store = new PostgresEventStore(database, { pollIntervalMs: 50 });
      services = createServices({
        store,
        clock: systemClock,
        ids: uuidIds,
        baseModelCheck: async () => true,
      });
      runner = new ProjectionRunner({ db: database.db, store, projections: allProjections });
      runner.start();
      artifacts = storeCase.make();
      api = await startHarness(database, { services, projections: runner, artifacts });
      for (const [actor, role] of [
        ['vic', 'viewer'],
        ['eve', 'engineer'],
        ['gpu-1', 'worker'],
        ['gpu-2', 'worker'],
        ['lea', 'labeler'],
      ] as const) {
        tokens[actor] = (await api.server.tokens.create({ actor, roles: [role], createdBy: 'test' })).token;
      }
    });
    afterAll(async () => {
      await api?.close();
      await runner?.stop();
      await database?.close();
    });

    const url = (hash: string, query = '') => new URL(`/artifacts/${hash}${query}`, api.server.url).href;
    const get = (actor: string | null, hash: string, headers: Record<string, string> = {}, query = '') =>
      fetch(url(hash, query), {
        headers: { ...(actor ? { authorization: `Bearer ${tokens[actor]}` } : {}), ...headers },
        redirect: 'manual',
      });
    const put = (
      actor: string,
      hash: string,
      body: Buffer | ReadableStream,
      mediaType = 'application/jsonl',
    ) =>
      fetch(url(hash), {
        method: 'PUT',
        headers: { authorization: `Bearer ${tokens[actor]}`, 'content-type': mediaType },
        body,
        duplex: 'half',
      } as RequestInit);
    /** The bytes a GET finally serves: from the API, or from the presigned URL it redirects to. */
    const bytesOf = async (response: Response) => {
      if (response.status === 307) {
        const location = response.headers.get('location')!;
        expect(storeCase.presigned).toBe(true);
        const direct = await fetch(location);
        expect(direct.status).toBe(200);
        return Buffer.from(await direct.arrayBuffer());
      }
      expect(response.status).toBe(200);
      return Buffer.from(await response.arrayBuffer());
    };

    it('takes an upload that hashes to its URL, streamed, and stores nothing for bytes that do not', async () => {
      const wrong = await put('eve', datasetHash, Buffer.concat([datasetBytes, Buffer.from('!')]));
      expect(wrong.status).toBe(400);
      expect(await wrong.json()).toMatchObject({ code: 'hash_mismatch' });
      expect(await artifacts.has(datasetHash)).toBe(false);

      // A body sent as a stream of pieces, as a large file would be.
      const pieces = [datasetBytes.subarray(0, 100), datasetBytes.subarray(100)];
      const body = new ReadableStream({
        pull(controller) {
          const next = pieces.shift();
          if (next) controller.enqueue(next);
          else controller.close();
        },
      });
      const created = await put('eve', datasetHash, body);
      expect(created.status).toBe(201);
      expect(await created.json()).toEqual({
        hash: datasetHash,
        byteSize: datasetBytes.length,
        mediaType: 'application/jsonl',
      });
      const again = await put('eve', datasetHash, datasetBytes);
      expect(again.status).toBe(200);
      expect((await artifacts.get(datasetHash)).equals(datasetBytes)).toBe(true);

      const bad = await put('eve', 'not-a-hash', datasetBytes);
      expect(bad.status).toBe(400);
      expect(await bad.json()).toMatchObject({ code: 'bad_hash' });
    });

    it('lets readers download only what a recorded event cites, and says why not otherwise', async () => {
      const refused = await get('vic', datasetHash);
      expect(refused.status).toBe(403);
      expect(((await refused.json()) as { error: string }).error).toMatch(/not cited by any recorded event/);

      const split = { hash: datasetHash, recordCount: 50, byteSize: datasetBytes.length };
      await services.datasets.registerDataset({ datasetId: 'qa', name: 'QA', format: 'alpaca' }, ana);
      await services.datasets.addRevision(
        {
          datasetId: 'qa',
          contentHash: datasetHash,
          recordCount: 50,
          byteSize: datasetBytes.length,
          splits: { train: split, eval: split },
          transform: { kind: 'ingest', params: {} },
          piiReport: { counts: {} },
          qualityReport: { rejected: [] },
        },
        ana,
      );
      expect((await bytesOf(await get('vic', datasetHash))).equals(datasetBytes)).toBe(true);
      expect((await bytesOf(await get('lea', datasetHash))).equals(datasetBytes)).toBe(true);

      const anonymous = await get(null, datasetHash);
      expect(anonymous.status).toBe(401);
      const missing = sha256(Buffer.from('never stored'));
      expect((await get('vic', missing)).status).toBe(403);
    });

    it('gives workers what they need only while they hold a job, and lets them upload outputs', async () => {
      const checkpoint = randomBytes(1000);
      const checkpointHash = sha256(checkpoint);
      const idle = await get('gpu-1', datasetHash);
      expect(idle.status).toBe(403);
      expect(((await idle.json()) as { error: string }).error).toMatch(/holds no job/);
      const idleUpload = await put('gpu-1', checkpointHash, checkpoint, 'application/octet-stream');
      expect(idleUpload.status).toBe(403);
      expect(await artifacts.has(checkpointHash)).toBe(false);

      await requestRun(services, 'r1', 'qa', ana);
      const claim = await api.request(
        'mutation { claimTrainingRun(runId: "r1", backend: "cpu", leaseMs: 600000) { id } }',
        {},
        tokens['gpu-1'],
      );
      expect(claim.errors, JSON.stringify(claim.errors)).toBeUndefined();
      await expect
        .poll(async () => (await get('gpu-1', datasetHash)).status)
        .toBe(storeCase.presigned ? 307 : 200);
      expect((await bytesOf(await get('gpu-1', datasetHash))).equals(datasetBytes)).toBe(true);
      // The other worker holds nothing.
      expect((await get('gpu-2', datasetHash)).status).toBe(403);

      const uploaded = await put('gpu-1', checkpointHash, checkpoint, 'application/octet-stream');
      expect(uploaded.status).toBe(201);
      expect((await artifacts.get(checkpointHash)).equals(checkpoint)).toBe(true);
      // Not cited yet, so not readable; saveCheckpoint cites it.
      expect((await get('gpu-1', checkpointHash)).status).toBe(403);
      const started = await api.request(
        'mutation { startStage(runId: "r1", stageIndex: 0, steps: 4) { id } }',
        {},
        tokens['gpu-1'],
      );
      expect(started.errors, JSON.stringify(started.errors)).toBeUndefined();
      const saved = await api.request(
        `mutation { saveCheckpoint(runId: "r1", step: 0, artifactHash: "${checkpointHash}", byteSize: ${checkpoint.length}) { id } }`,
        {},
        tokens['gpu-1'],
      );
      expect(saved.errors, JSON.stringify(saved.errors)).toBeUndefined();
      expect((await bytesOf(await get('gpu-1', checkpointHash))).equals(checkpoint)).toBe(true);
    });

    it('refuses uploads from roles that neither bring data nor hold a job', async () => {
      const bytes = Buffer.from('a viewer tries');
      const refused = await put('vic', sha256(bytes), bytes);
      expect(refused.status).toBe(403);
      expect(((await refused.json()) as { error: string }).error).toMatch(/may not upload artifacts/);
      expect(await artifacts.has(sha256(bytes))).toBe(false);
    });

    if (storeCase.presigned) {
      it('redirects downloads to a presigned URL, or gives it as JSON with ?redirect=false', async () => {
        const redirected = await get('vic', datasetHash);
        expect(redirected.status).toBe(307);
        expect(redirected.headers.get('location')).toContain('X-Amz-Signature=');
        const asJson = await get('vic', datasetHash, {}, '?redirect=false');
        expect(asJson.status).toBe(200);
        const body = (await asJson.json()) as { url: string; byteSize: number };
        expect(body.byteSize).toBe(datasetBytes.length);
        expect(Buffer.from(await (await fetch(body.url)).arrayBuffer()).equals(datasetBytes)).toBe(true);
      });
    } else {
      it('serves ranges, ETags and 304s from the API', async () => {
        const whole = await get('vic', datasetHash);
        expect(whole.status).toBe(200);
        expect(whole.headers.get('etag')).toBe(`"${datasetHash}"`);
        expect(whole.headers.get('content-type')).toMatch(/^application\/jsonl/);
        expect(whole.headers.get('content-length')).toBe(String(datasetBytes.length));
        await whole.arrayBuffer();

        const notModified = await get('vic', datasetHash, { 'if-none-match': `"${datasetHash}"` });
        expect(notModified.status).toBe(304);
        expect((await get('vic', datasetHash, { 'if-none-match': '"other"' })).status).toBe(200);

        const part = await get('vic', datasetHash, { range: 'bytes=10-19' });
        expect(part.status).toBe(206);
        expect(part.headers.get('content-range')).toBe(`bytes 10-19/${datasetBytes.length}`);
        expect(Buffer.from(await part.arrayBuffer()).equals(datasetBytes.subarray(10, 20))).toBe(true);
        const tail = await get('vic', datasetHash, { range: 'bytes=-5' });
        expect(Buffer.from(await tail.arrayBuffer()).equals(datasetBytes.subarray(-5))).toBe(true);
        const resumed = await get('vic', datasetHash, { range: 'bytes=100-' });
        expect(Buffer.from(await resumed.arrayBuffer()).equals(datasetBytes.subarray(100))).toBe(true);
        const outside = await get('vic', datasetHash, { range: `bytes=${datasetBytes.length}-` });
        expect(outside.status).toBe(416);
        expect(outside.headers.get('content-range')).toBe(`bytes */${datasetBytes.length}`);
        // A stale If-Range gets the whole artifact, not a piece of other bytes.
        const stale = await get('vic', datasetHash, { range: 'bytes=0-1', 'if-range': '"old"' });
        expect(stale.status).toBe(200);

        const head = await fetch(url(datasetHash), {
          method: 'HEAD',
          headers: { authorization: `Bearer ${tokens.vic}` },
        });
        expect(head.status).toBe(200);
        expect(head.headers.get('content-length')).toBe(String(datasetBytes.length));
      });
    }
  });
}
