import { createHash, randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  CopyObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3ServiceException,
  type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import {
  ArtifactHashMismatchError,
  assertArtifactHash,
  DirectUploadNotFoundError,
  type ArtifactRef,
  type DirectUpload,
  type DirectUploadRequest,
  type DirectUploads,
} from './artifactStore.js';

/** What direct uploads need of the S3 store they place artifacts in (S3ArtifactStore). */
export interface S3Placement {
  readonly client: S3Client;
  readonly bucket: string;
  readonly prefix: string;
  keyOf(hash: string): string;
  has(hash: string): Promise<boolean>;
  remove(key: string): Promise<void>;
}

/** S3 takes at most 5 GiB in one PUT, and copies at most 5 GiB in one CopyObject. */
export const MAX_SINGLE_PUT_BYTES = 5 * 1024 ** 3;

const UPLOAD_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Presigned uploads into an S3 store, verified before anything appears under a hash:
 * 1. `begin` presigns a PUT of `<prefix>uploads/<uploader digest>/<hash>/<uploadId>` (a staging key only the
 *    same uploader can name when completing);
 * 2. the client PUTs the bytes there, straight to the bucket;
 * 3. `complete` copies the staged object to `<prefix>verifying/<uploadId>`, a key no URL was handed out for (so
 *    the bytes checked cannot change under the check: a PUT to the staging URL after this point lands in a
 *    new object that nothing reads), deletes the staged one, and takes the copy's sha256: S3's own
 *    (CopyObject with ChecksumAlgorithm SHA256 answers it) when the server computes one, else by reading the
 *    copy back. Only when it is the hash asked for is the copy copied to its content address; otherwise it is
 *    deleted and nothing is visible.
 * Staged objects of uploads never completed stay until a bucket lifecycle rule on `<prefix>uploads/` expires them.
 */
export class S3DirectUploads implements DirectUploads {
  readonly maxBytes = MAX_SINGLE_PUT_BYTES;

  constructor(private readonly store: S3Placement) {}

  async begin(request: DirectUploadRequest): Promise<DirectUpload> {
    assertArtifactHash(request.hash);
    if (!Number.isSafeInteger(request.byteSize) || request.byteSize < 0 || request.byteSize > this.maxBytes) {
      throw new Error(
        `a direct upload carries 0 to ${this.maxBytes} bytes (S3's single PUT), not ${request.byteSize}`,
      );
    }
    const uploadId = randomUUID();
    const { client, bucket } = this.store;
    const url = await getSignedUrl(
      client,
      new PutObjectCommand({
        Bucket: bucket,
        Key: this.stagingKey(request.uploader, request.hash, uploadId),
        ContentType: request.mediaType,
        ContentLength: request.byteSize,
      }),
      { expiresIn: request.expiresInSeconds },
    );
    return {
      uploadId,
      url,
      method: 'PUT',
      headers: { 'content-type': request.mediaType, 'content-length': String(request.byteSize) },
      expiresInSeconds: request.expiresInSeconds,
    };
  }

  async complete(hash: string, uploadId: string, uploader: string): Promise<ArtifactRef> {
    assertArtifactHash(hash);
    if (!UPLOAD_ID.test(uploadId)) throw new DirectUploadNotFoundError(uploadId);
    const { client, bucket, prefix } = this.store;
    const staged = this.stagingKey(uploader, hash, uploadId);
    const verifying = `${prefix}verifying/${uploadId}`;
    let copied;
    try {
      copied = await client.send(
        new CopyObjectCommand({
          Bucket: bucket,
          Key: verifying,
          CopySource: copySource(bucket, staged),
          ChecksumAlgorithm: 'SHA256',
        }),
      );
    } catch (error) {
      if (isMissing(error)) throw new DirectUploadNotFoundError(uploadId);
      throw error;
    }
    await this.store.remove(staged);
    try {
      const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: verifying }));
      const byteSize = head.ContentLength ?? 0;
      const s3Sha256 = copied.CopyObjectResult?.ChecksumSHA256;
      const actual =
        s3Sha256 && !s3Sha256.includes('-')
          ? Buffer.from(s3Sha256, 'base64').toString('hex')
          : await this.readBackSha256(verifying);
      if (actual !== hash) throw new ArtifactHashMismatchError(hash, actual, byteSize);
      const ref: ArtifactRef = {
        hash,
        byteSize,
        mediaType: head.ContentType ?? 'application/octet-stream',
      };
      if (!(await this.store.has(hash))) {
        await client.send(
          new CopyObjectCommand({
            Bucket: bucket,
            Key: this.store.keyOf(hash),
            CopySource: copySource(bucket, verifying),
            ContentType: ref.mediaType,
            MetadataDirective: 'REPLACE',
          }),
        );
      }
      return ref;
    } finally {
      await this.store.remove(verifying);
    }
  }

  /** The staging key of an upload: under a digest of the uploader, so another token cannot complete it. */
  stagingKey(uploader: string, hash: string, uploadId: string): string {
    const owner = createHash('sha256').update(uploader).digest('hex').slice(0, 32);
    return `${this.store.prefix}uploads/${owner}/${hash}/${uploadId}`;
  }

  private async readBackSha256(key: string): Promise<string> {
    const object = await this.store.client.send(
      new GetObjectCommand({ Bucket: this.store.bucket, Key: key }),
    );
    const hasher = createHash('sha256');
    for await (const chunk of object.Body as Readable) hasher.update(chunk as Buffer);
    return hasher.digest('hex');
  }
}

function copySource(bucket: string, key: string): string {
  return `${bucket}/${encodeURIComponent(key).replace(/%2F/g, '/')}`;
}

function isMissing(error: unknown): boolean {
  if (!(error instanceof S3ServiceException)) return false;
  return error.$metadata.httpStatusCode === 404 || error.name === 'NoSuchKey' || error.name === 'NotFound';
}
