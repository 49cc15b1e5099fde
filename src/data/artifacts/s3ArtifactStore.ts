import { createHash, randomUUID } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import {
  ArtifactHashMismatchError,
  ArtifactNotFoundError,
  assertArtifactHash,
  type ArtifactRef,
  type ArtifactStore,
  type ArtifactWriter,
  type ByteRange,
  type WriterOptions,
} from './artifactStore.js';
import { S3DirectUploads, type MultipartSettings } from './s3DirectUploads.js';

export interface S3ArtifactStoreOptions {
  readonly client: S3Client;
  readonly bucket: string;
  /** Key prefix inside the bucket, e.g. "tuneledger/"; empty for the bucket's root. */
  readonly prefix?: string;
  /** Bytes per multipart part (S3's minimum is 5 MiB). Default 8 MiB. */
  readonly partBytes?: number;
  /** When presigned (direct) uploads are split into parts, and their size (MULTIPART_DEFAULTS otherwise). */
  readonly directMultipart?: Partial<MultipartSettings>;
}

/** S3 copies one object in one request up to 5 GiB; a larger write without a known hash is refused before the copy. */
const MAX_SINGLE_COPY_BYTES = 5 * 1024 ** 3;

/**
 * Artifacts as objects `<prefix>sha256/ab/cd/<hash>` of an S3-compatible bucket (AWS, MinIO, R2, ...),
 * with the media type as the object's Content-Type. A write streams into a multipart upload while
 * it is hashed: straight to its final key when the hash is known beforehand (the upload is aborted,
 * so nothing appears, if the bytes hash otherwise), else to `<prefix>tmp/<uuid>`, copied to its
 * content address once the hash is known and then deleted. Readers never see half an artifact: an
 * object appears only when its upload completes.
 */
export class S3ArtifactStore implements ArtifactStore {
  readonly client: S3Client;
  readonly bucket: string;
  readonly prefix: string;
  readonly partBytes: number;
  readonly directUploads: S3DirectUploads;

  constructor(options: S3ArtifactStoreOptions) {
    this.client = options.client;
    this.bucket = options.bucket;
    this.prefix = options.prefix ?? '';
    this.partBytes = options.partBytes ?? 8 * 1024 * 1024;
    this.directUploads = new S3DirectUploads(this, options.directMultipart);
  }

  keyOf(hash: string): string {
    assertArtifactHash(hash);
    return `${this.prefix}sha256/${hash.slice(0, 2)}/${hash.slice(2, 4)}/${hash}`;
  }

  async put(
    content: Uint8Array | string | Readable | AsyncIterable<Uint8Array | string>,
    mediaType: string,
  ): Promise<ArtifactRef> {
    const writer = await this.createWriter(mediaType);
    try {
      if (typeof content === 'string' || content instanceof Uint8Array) {
        await writer.write(content);
      } else {
        for await (const chunk of content as AsyncIterable<Uint8Array | string>) await writer.write(chunk);
      }
      return await writer.commit();
    } catch (error) {
      await writer.abort();
      throw error;
    }
  }

  async createWriter(mediaType: string, options: WriterOptions = {}): Promise<ArtifactWriter> {
    const expectedHash = options.expectedHash;
    if (expectedHash !== undefined) assertArtifactHash(expectedHash);
    const key =
      expectedHash !== undefined ? this.keyOf(expectedHash) : `${this.prefix}tmp/${randomUUID()}.part`;
    return new S3ArtifactWriter(this, key, mediaType, expectedHash);
  }

  async has(hash: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.keyOf(hash) }));
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  async get(hash: string): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of await this.open(hash)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  async open(hash: string, range?: ByteRange): Promise<Readable> {
    try {
      const answer = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: this.keyOf(hash),
          ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
        }),
      );
      return answer.Body as Readable;
    } catch (error) {
      if (isNotFound(error)) throw new ArtifactNotFoundError(hash);
      throw error;
    }
  }

  async stat(hash: string): Promise<ArtifactRef> {
    try {
      const head = await this.client.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: this.keyOf(hash) }),
      );
      return {
        hash,
        byteSize: head.ContentLength ?? 0,
        mediaType: head.ContentType ?? 'application/octet-stream',
      };
    } catch (error) {
      if (isNotFound(error)) throw new ArtifactNotFoundError(hash);
      throw error;
    }
  }

  async downloadUrl(hash: string, expiresInSeconds: number): Promise<string> {
    return getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.bucket, Key: this.keyOf(hash) }), {
      expiresIn: expiresInSeconds,
    });
  }

  /** @internal copies a finished temporary object to its content address and deletes it. */
  async place(tmpKey: string, ref: ArtifactRef): Promise<void> {
    try {
      if (!(await this.has(ref.hash))) {
        if (ref.byteSize > MAX_SINGLE_COPY_BYTES) {
          throw new Error(
            `an artifact of ${ref.byteSize} bytes written without its hash known beforehand is over S3's 5 GiB single copy; upload it with its hash (PUT /artifacts/<sha256>)`,
          );
        }
        await this.client.send(
          new CopyObjectCommand({
            Bucket: this.bucket,
            Key: this.keyOf(ref.hash),
            CopySource: `${this.bucket}/${encodeURIComponent(tmpKey).replace(/%2F/g, '/')}`,
            ContentType: ref.mediaType,
            MetadataDirective: 'REPLACE',
          }),
        );
      }
    } finally {
      await this.remove(tmpKey);
    }
  }

  /** @internal */
  async remove(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key })).catch(() => undefined);
  }
}

function isNotFound(error: unknown): boolean {
  if (!(error instanceof S3ServiceException)) return false;
  return error.$metadata.httpStatusCode === 404 || error.name === 'NoSuchKey' || error.name === 'NotFound';
}

class S3ArtifactWriter implements ArtifactWriter {
  private readonly hasher = createHash('sha256');
  private readonly body = new PassThrough({ highWaterMark: 1024 * 1024 });
  private readonly upload: Upload;
  private readonly uploaded: Promise<unknown>;
  private byteSize = 0;
  private done = false;
  private pendingText = '';

  constructor(
    private readonly store: S3ArtifactStore,
    private readonly key: string,
    private readonly mediaType: string,
    private readonly expectedHash?: string,
  ) {
    this.upload = new Upload({
      client: store.client,
      params: { Bucket: store.bucket, Key: key, Body: this.body, ContentType: mediaType },
      partSize: store.partBytes,
      queueSize: 2,
      leavePartsOnError: false,
    });
    this.uploaded = this.upload.done();
    // Observed here so a failed upload is never an unhandled rejection; write and commit report it.
    this.uploaded.catch(() => undefined);
  }

  async write(chunk: string | Uint8Array): Promise<void> {
    if (this.done) throw new Error('artifact writer already committed or aborted');
    if (typeof chunk === 'string') {
      this.pendingText += chunk;
      if (this.pendingText.length >= 1 << 19) await this.flush();
      return;
    }
    await this.flush();
    await this.writeBytes(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  }

  private async flush(): Promise<void> {
    if (this.pendingText.length === 0) return;
    const bytes = Buffer.from(this.pendingText, 'utf8');
    this.pendingText = '';
    await this.writeBytes(bytes);
  }

  private async writeBytes(bytes: Buffer): Promise<void> {
    this.hasher.update(bytes);
    this.byteSize += bytes.length;
    if (this.body.write(bytes)) return;
    // Back-pressure: wait for the upload to take the bytes, or for it to fail.
    await Promise.race([
      new Promise<void>((resolve) => this.body.once('drain', resolve)),
      this.uploaded.then(() => {
        throw new Error('the S3 upload ended before the artifact did');
      }),
    ]);
  }

  async commit(): Promise<ArtifactRef> {
    if (this.done) throw new Error('artifact writer already committed or aborted');
    await this.flush();
    this.done = true;
    const ref: ArtifactRef = {
      hash: this.hasher.digest('hex'),
      byteSize: this.byteSize,
      mediaType: this.mediaType,
    };
    if (this.expectedHash !== undefined && ref.hash !== this.expectedHash) {
      // The stream has not ended, so the upload is not complete: aborting it leaves no object.
      await this.cancelUpload();
      throw new ArtifactHashMismatchError(this.expectedHash, ref.hash, ref.byteSize);
    }
    this.body.end();
    try {
      await this.uploaded;
    } catch (error) {
      if (this.expectedHash === undefined) await this.store.remove(this.key);
      throw error;
    }
    if (this.expectedHash === undefined) await this.store.place(this.key, ref);
    return ref;
  }

  async abort(): Promise<void> {
    if (this.done) return;
    this.done = true;
    this.pendingText = '';
    await this.cancelUpload();
  }

  private async cancelUpload(): Promise<void> {
    await this.upload.abort().catch(() => undefined);
    this.body.destroy();
    await this.uploaded.catch(() => undefined);
  }
}
