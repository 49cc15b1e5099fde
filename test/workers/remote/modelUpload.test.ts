/**
 * `tuneledger model upload DIR --name NAME` (uploadModelDirectory): a Hugging Face checkpoint directory
 * becomes one tar artifact on the platform, archived and hashed as it streams, through the real artifact
 * route (which hashes it again); the archive is byte for byte what packTar gives, the format workers unpack.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalArtifactStore } from '../../../src/data/index.js';
import { PostgresEventStore } from '../../../src/eventstore/index.js';
import { createServices, systemClock, uuidIds } from '../../../src/services/index.js';
import {
  ApiClient,
  ApiRequestError,
  packTar,
  TAR_MEDIA_TYPE,
  unpackTar,
  uploadModelDirectory,
} from '../../../src/workers/index.js';
import type { Role } from '../../../src/graphql/auth/roles.js';
import { startHarness, type Harness } from '../../graphql/harness.js';
import { pgliteTarget, type TestDatabase } from '../../support/databases.js';
import { writeTinyModel } from '../support.js';

describe('model upload', () => {
  let database: TestDatabase;
  let api: Harness;
  let artifacts: LocalArtifactStore;
  let root: string;
  let modelDir: string;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'tl-model-upload-'));
    database = await pgliteTarget.open();
    const store = new PostgresEventStore(database, { pollIntervalMs: 50 });
    artifacts = new LocalArtifactStore(join(root, 'platform'));
    api = await startHarness(database, {
      services: createServices({ store, clock: systemClock, ids: uuidIds }),
      artifacts,
    });
    modelDir = await writeTinyModel(join(root, 'tiny'));
    // A download tool's cache beside the checkpoint is left out of the archive.
    mkdirSync(join(modelDir, '.cache'));
    writeFileSync(join(modelDir, '.cache', 'ref'), 'main');
  });
  afterAll(async () => {
    await api?.close();
    await database?.close();
  });

  const client = async (roles: Role[]) => {
    const { token } = await api.server.tokens.create({ actor: roles[0]!, roles, createdBy: 'test' });
    return new ApiClient({ url: new URL('/', api.server.url).href, token, retryForMs: 0 });
  };

  it('stores the checkpoint directory as the tar workers unpack, under the hash it streamed', async () => {
    const uploaded = await uploadModelDirectory(await client(['engineer']), modelDir, 'tiny-llama');
    const names = readdirSync(modelDir)
      .filter((name) => !name.startsWith('.'))
      .sort();
    expect(names).toContain('config.json');
    const expected = packTar(names.map((name) => ({ name, data: readFileSync(join(modelDir, name)) })));
    const hash = createHash('sha256').update(expected).digest('hex');
    expect(uploaded).toEqual({
      artifact: { hash, byteSize: expected.length, mediaType: TAR_MEDIA_TYPE },
      baseModel: { name: 'tiny-llama', source: { kind: 'artifact', hash } },
    });
    const stored = await artifacts.get(hash);
    const files = unpackTar(stored);
    expect([...files.keys()]).toEqual(names);
    for (const name of names) expect(files.get(name)!.equals(readFileSync(join(modelDir, name)))).toBe(true);
    // Again: the API has it already and answers the same artifact.
    expect(await uploadModelDirectory(await client(['admin']), modelDir, 'tiny-llama')).toEqual(uploaded);
  });

  it('refuses a directory that is not a checkpoint, and a token that may not upload, storing nothing', async () => {
    const notModel = join(root, 'not-a-model');
    mkdirSync(notModel);
    writeFileSync(join(notModel, 'weights.bin'), 'x');
    const engineer = await client(['engineer']);
    await expect(uploadModelDirectory(engineer, notModel, 'x')).rejects.toThrow(/has no config\.json/);
    mkdirSync(join(notModel, 'sub'));
    writeFileSync(join(notModel, 'config.json'), '{}');
    await expect(uploadModelDirectory(engineer, notModel, 'x')).rejects.toThrow(/is not a regular file/);
    await expect(uploadModelDirectory(engineer, join(root, 'missing'), 'x')).rejects.toThrow(
      /cannot read the model directory/,
    );

    const other = join(root, 'other');
    mkdirSync(other);
    writeFileSync(join(other, 'config.json'), '{"model_type": "llama"}');
    const refused = await uploadModelDirectory(await client(['viewer']), other, 'x').catch(
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(ApiRequestError);
    expect((refused as ApiRequestError).status).toBe(403);
    const tar = packTar([{ name: 'config.json', data: readFileSync(join(other, 'config.json')) }]);
    expect(await artifacts.has(createHash('sha256').update(tar).digest('hex'))).toBe(false);
  });
});
