import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { parseS3Url, S3ArtifactStore } from '../../../src/data/index.js';
import { startS3Server } from '../../support/s3Server.js';
import { artifactStoreContract } from './contract.js';

const s3 = await startS3Server(await mkdtemp(join(tmpdir(), 'tl-s3-')));
afterAll(async () => {
  await s3.close();
  await rm(s3.directory, { recursive: true, force: true });
});

// 5 MiB parts (S3's minimum), so the contract's 12 MiB artifacts span three parts.
const store = () =>
  new S3ArtifactStore({
    client: s3.client,
    bucket: s3.bucket,
    prefix: 'team/artifacts/',
    partBytes: 5 * 1024 * 1024,
  });
artifactStoreContract('S3ArtifactStore (s3rver on loopback)', store, 12 * 1024 * 1024);

describe('S3ArtifactStore', () => {
  it('keeps artifacts under content-addressed keys below its prefix, with no temporary objects left', async () => {
    const artifacts = store();
    const ref = await artifacts.put('content addressed\n', 'text/plain');
    expect(artifacts.keyOf(ref.hash)).toBe(
      `team/artifacts/sha256/${ref.hash.slice(0, 2)}/${ref.hash.slice(2, 4)}/${ref.hash}`,
    );
    const listed = await s3.client.send(
      new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: 'team/artifacts/' }),
    );
    const keys = (listed.Contents ?? []).map((object) => object.Key!);
    expect(keys).toContain(artifacts.keyOf(ref.hash));
    expect(keys.filter((key) => key.startsWith('team/artifacts/tmp/'))).toEqual([]);
  });

  it('hands out presigned URLs that serve the bytes without credentials (s3rver itself does not check signatures)', async () => {
    const artifacts = store();
    const ref = await artifacts.put('presigned bytes', 'text/plain');
    const url = await artifacts.downloadUrl(ref.hash, 60);
    const answer = await fetch(url);
    expect(answer.status).toBe(200);
    expect(await answer.text()).toBe('presigned bytes');
  });

  it('parses s3:// URLs into a bucket and a prefix, and refuses what is not one', () => {
    expect(parseS3Url('s3://team-bucket')).toEqual({ bucket: 'team-bucket', prefix: '' });
    expect(parseS3Url('s3://team-bucket/a/b/')).toEqual({ bucket: 'team-bucket', prefix: 'a/b/' });
    expect(() => parseS3Url('https://team-bucket/a')).toThrow(/not an S3 URL/);
    expect(() => parseS3Url('s3://ab/x')).toThrow(/not an S3 bucket name/);
  });
});
