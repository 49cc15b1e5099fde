import { createHash, randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3ServiceException,
  UploadPartCommand,
  UploadPartCopyCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import {
  ArtifactHashMismatchError,
  assertArtifactHash,
  DirectUploadNotFoundError,
  DirectUploadPartsError,
  type ArtifactRef,
  type DirectUpload,
  type DirectUploadRequest,
  type DirectUploads,
  type UploadedPart,
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
/** S3's largest object (5 TiB), and the most parts one multipart upload may have. */
const MAX_OBJECT_BYTES = 5 * 1024 ** 4;
const MAX_PARTS = 10_000;

/** When a direct upload is split into parts, and how big they are. */
export interface MultipartSettings {
  /** Artifacts larger than this are uploaded in parts (at most MAX_SINGLE_PUT_BYTES). */
  readonly thresholdBytes: number;
  /** Bytes per part, all but the last (S3 refuses parts under 5 MiB); raised when 10,000 parts would not do. */
  readonly partBytes: number;
}

export const MULTIPART_DEFAULTS: MultipartSettings = {
  thresholdBytes: 256 * 1024 ** 2,
  partBytes: 64 * 1024 ** 2,
};

/**
 * An upload's id: a UUID (single PUT), or a UUID, a dot and S3's own upload id in base64url (multipart), so
 * that completing needs no state on the API's side; S3 binds its upload id to the staging key, which only the
 * uploader who began it can name.
 */
const UPLOAD_ID =
  /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?:\.([A-Za-z0-9_-]{1,1024}))?$/;

/**
 * Presigned uploads into an S3 store, verified before anything appears under a hash. Up to the multipart
 * threshold, one PUT:
 * 1. `begin` presigns a PUT of `<prefix>uploads/<uploader digest>/<hash>/<uploadId>` (a staging key only the
 *    same uploader can name when completing);
 * 2. the client PUTs the bytes there, straight to the bucket;
 * 3. `complete` copies the staged object to `<prefix>verifying/<uploadId>`, a key no URL was handed out for (so
 *    the bytes checked cannot change under the check: a PUT to the staging URL after this point lands in a
 *    new object that nothing reads), deletes the staged one, and takes the copy's sha256: S3's own
 *    (CopyObject with ChecksumAlgorithm SHA256 answers it) when the server computes one, else by reading the
 *    copy back. Only when it is the hash asked for is the copy copied to its content address; otherwise it is
 *    deleted and nothing is visible.
 * Above it (and past S3's 5 GiB single PUT, up to its 5 TiB object), in parts:
 * 1. `begin` creates a multipart upload of the staging key and presigns an UploadPart URL per part;
 * 2. the client PUTs each part and keeps the ETag each answers;
 * 3. `complete` completes the multipart upload with those ETags (the object is then fixed: the part URLs name
 *    a finished upload), reads it back for its sha256, copies it to its content address when it matches
 *    (UploadPartCopy in 5 GiB ranges above 5 GiB), and deletes it either way;
 * `abort` gives an upload up (AbortMultipartUpload, and the staged object deleted).
 * Staged objects and parts of uploads never completed stay until a bucket lifecycle rule on `<prefix>uploads/`
 * (expire objects, abort incomplete multipart uploads) removes them.
 */
export class S3DirectUploads implements DirectUploads {
  readonly maxBytes = MAX_OBJECT_BYTES;
  readonly multipart: MultipartSettings;

  constructor(
    private readonly store: S3Placement,
    multipart: Partial<MultipartSettings> = {},
  ) {
    this.multipart = { ...MULTIPART_DEFAULTS, ...multipart };
    const { thresholdBytes, partBytes } = this.multipart;
    if (!Number.isSafeInteger(partBytes) || partBytes < 1 || partBytes > MAX_SINGLE_PUT_BYTES)
      throw new Error(`multipart partBytes must be 1 to ${MAX_SINGLE_PUT_BYTES}, not ${partBytes}`);
    if (!Number.isSafeInteger(thresholdBytes) || thresholdBytes < 0 || thresholdBytes > MAX_SINGLE_PUT_BYTES)
      throw new Error(`multipart thresholdBytes must be 0 to ${MAX_SINGLE_PUT_BYTES}, not ${thresholdBytes}`);
  }

  async begin(request: DirectUploadRequest): Promise<DirectUpload> {
    assertArtifactHash(request.hash);
    if (!Number.isSafeInteger(request.byteSize) || request.byteSize < 0 || request.byteSize > this.maxBytes) {
      throw new Error(
        `a direct upload carries 0 to ${this.maxBytes} bytes (S3's largest object), not ${request.byteSize}`,
      );
    }
    if (request.byteSize > this.multipart.thresholdBytes) return this.beginMultipart(request);
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
      kind: 'single',
      uploadId,
      url,
      method: 'PUT',
      headers: { 'content-type': request.mediaType, 'content-length': String(request.byteSize) },
      expiresInSeconds: request.expiresInSeconds,
    };
  }

  /** A multipart upload of the staging key, and a presigned UploadPart URL for each part. */
  private async beginMultipart(request: DirectUploadRequest): Promise<DirectUpload> {
    const { client, bucket } = this.store;
    const uuid = randomUUID();
    const key = this.stagingKey(request.uploader, request.hash, uuid);
    const created = await client.send(
      new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: request.mediaType }),
    );
    const s3UploadId = created.UploadId;
    if (!s3UploadId) throw new Error('the S3 server answered CreateMultipartUpload without an UploadId');
    const partBytes = Math.max(this.multipart.partBytes, Math.ceil(request.byteSize / MAX_PARTS));
    const count = Math.max(1, Math.ceil(request.byteSize / partBytes));
    const parts = [];
    for (let index = 0; index < count; index++) {
      const offset = index * partBytes;
      const byteSize = Math.min(partBytes, request.byteSize - offset);
      const url = await getSignedUrl(
        client,
        new UploadPartCommand({
          Bucket: bucket,
          Key: key,
          UploadId: s3UploadId,
          PartNumber: index + 1,
          ContentLength: byteSize,
        }),
        { expiresIn: request.expiresInSeconds },
      );
      parts.push({
        partNumber: index + 1,
        offset,
        byteSize,
        url,
        method: 'PUT' as const,
        headers: { 'content-length': String(byteSize) },
      });
    }
    return {
      kind: 'multipart',
      uploadId: `${uuid}.${Buffer.from(s3UploadId).toString('base64url')}`,
      parts,
      expiresInSeconds: request.expiresInSeconds,
    };
  }

  async complete(
    hash: string,
    uploadId: string,
    uploader: string,
    parts?: readonly UploadedPart[],
  ): Promise<ArtifactRef> {
    assertArtifactHash(hash);
    const id = parseUploadId(uploadId);
    if (id.s3UploadId !== undefined)
      return this.completeMultipart(hash, uploadId, id.uuid, id.s3UploadId, uploader, parts);
    const { client, bucket, prefix } = this.store;
    const staged = this.stagingKey(uploader, hash, id.uuid);
    const verifying = `${prefix}verifying/${id.uuid}`;
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
      const s3Sha256 = copied.CopyObjectResult?.ChecksumSHA256;
      return await this.place(
        hash,
        verifying,
        s3Sha256 && !s3Sha256.includes('-') ? Buffer.from(s3Sha256, 'base64').toString('hex') : undefined,
      );
    } finally {
      await this.store.remove(verifying);
    }
  }

  /**
   * Completes S3's multipart upload with the parts' ETags, then verifies the assembled object where it is:
   * no URL can change it any more (its part URLs name an upload that is now complete), so it is read back
   * for its sha256 (S3's own checksum of a multipart object is one of its parts' checksums, not the file's)
   * and only then copied to its content address. It is deleted either way; the upload is aborted when S3
   * refuses the parts in a way another try cannot mend.
   */
  private async completeMultipart(
    hash: string,
    uploadId: string,
    uuid: string,
    s3UploadId: string,
    uploader: string,
    parts: readonly UploadedPart[] | undefined,
  ): Promise<ArtifactRef> {
    if (!parts || parts.length === 0) throw new DirectUploadPartsError(uploadId, 'no parts were named');
    parts.forEach((part, index) => {
      if (part.partNumber !== index + 1)
        throw new DirectUploadPartsError(uploadId, `part ${index + 1} is numbered ${part.partNumber}`);
    });
    const { client, bucket } = this.store;
    const staged = this.stagingKey(uploader, hash, uuid);
    try {
      await client.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: staged,
          UploadId: s3UploadId,
          MultipartUpload: { Parts: parts.map((part) => ({ PartNumber: part.partNumber, ETag: part.etag })) },
        }),
      );
    } catch (error) {
      if (isMissing(error) || (error instanceof S3ServiceException && error.name === 'NoSuchUpload'))
        throw new DirectUploadNotFoundError(uploadId);
      if (
        error instanceof S3ServiceException &&
        ['InvalidPart', 'InvalidPartOrder', 'EntityTooSmall'].includes(error.name)
      )
        throw new DirectUploadPartsError(uploadId, error.message);
      throw error;
    }
    try {
      return await this.place(hash, staged);
    } finally {
      await this.store.remove(staged);
    }
  }

  async abort(hash: string, uploadId: string, uploader: string): Promise<void> {
    assertArtifactHash(hash);
    const id = parseUploadId(uploadId);
    const staged = this.stagingKey(uploader, hash, id.uuid);
    if (id.s3UploadId !== undefined) {
      try {
        await this.store.client.send(
          new AbortMultipartUploadCommand({
            Bucket: this.store.bucket,
            Key: staged,
            UploadId: id.s3UploadId,
          }),
        );
      } catch (error) {
        // Already completed or aborted: nothing left to give up.
        if (!(isMissing(error) || (error instanceof S3ServiceException && error.name === 'NoSuchUpload')))
          throw error;
      }
    }
    await this.store.remove(staged);
  }

  /**
   * Checks the sha256 of the object at `key` (S3's, when given; else read back) and copies it to its
   * content address unless the store has that artifact already.
   */
  private async place(hash: string, key: string, s3Sha256?: string): Promise<ArtifactRef> {
    const { client, bucket } = this.store;
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    const byteSize = head.ContentLength ?? 0;
    const actual = s3Sha256 ?? (await this.readBackSha256(key));
    if (actual !== hash) throw new ArtifactHashMismatchError(hash, actual, byteSize);
    const ref: ArtifactRef = { hash, byteSize, mediaType: head.ContentType ?? 'application/octet-stream' };
    if (!(await this.store.has(hash))) await this.copy(key, this.store.keyOf(hash), ref);
    return ref;
  }

  /** CopyObject up to 5 GiB; a larger object is copied in 5 GiB ranges with UploadPartCopy. */
  private async copy(source: string, target: string, ref: ArtifactRef): Promise<void> {
    const { client, bucket } = this.store;
    if (ref.byteSize <= MAX_SINGLE_PUT_BYTES) {
      await client.send(
        new CopyObjectCommand({
          Bucket: bucket,
          Key: target,
          CopySource: copySource(bucket, source),
          ContentType: ref.mediaType,
          MetadataDirective: 'REPLACE',
        }),
      );
      return;
    }
    const created = await client.send(
      new CreateMultipartUploadCommand({ Bucket: bucket, Key: target, ContentType: ref.mediaType }),
    );
    const UploadId = created.UploadId!;
    try {
      const Parts = [];
      for (
        let offset = 0, PartNumber = 1;
        offset < ref.byteSize;
        offset += MAX_SINGLE_PUT_BYTES, PartNumber++
      ) {
        const end = Math.min(offset + MAX_SINGLE_PUT_BYTES, ref.byteSize) - 1;
        const part = await client.send(
          new UploadPartCopyCommand({
            Bucket: bucket,
            Key: target,
            UploadId,
            PartNumber,
            CopySource: copySource(bucket, source),
            CopySourceRange: `bytes=${offset}-${end}`,
          }),
        );
        Parts.push({ PartNumber, ETag: part.CopyPartResult?.ETag });
      }
      await client.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: target,
          UploadId,
          MultipartUpload: { Parts },
        }),
      );
    } catch (error) {
      await client
        .send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: target, UploadId }))
        .catch(() => undefined);
      throw error;
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

function parseUploadId(uploadId: string): { uuid: string; s3UploadId?: string } {
  const match = UPLOAD_ID.exec(uploadId);
  if (!match) throw new DirectUploadNotFoundError(uploadId);
  return match[2] === undefined
    ? { uuid: match[1]! }
    : { uuid: match[1]!, s3UploadId: Buffer.from(match[2], 'base64url').toString() };
}

function copySource(bucket: string, key: string): string {
  return `${bucket}/${encodeURIComponent(key).replace(/%2F/g, '/')}`;
}

function isMissing(error: unknown): boolean {
  if (!(error instanceof S3ServiceException)) return false;
  return error.$metadata.httpStatusCode === 404 || error.name === 'NoSuchKey' || error.name === 'NotFound';
}
