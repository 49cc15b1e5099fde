import type { Readable } from 'node:stream';

/** What an event records about stored bytes: never the bytes themselves. */
export interface ArtifactRef {
  /** Lower-case hex sha256 of the bytes. */
  readonly hash: string;
  readonly byteSize: number;
  readonly mediaType: string;
}

/**
 * An artifact being written piece by piece. Nothing is visible under its hash until `commit`
 * returns; `abort` discards what was written. An S3 store maps this onto a multipart upload.
 */
export interface ArtifactWriter {
  write(chunk: string | Uint8Array): Promise<void>;
  commit(): Promise<ArtifactRef>;
  abort(): Promise<void>;
}

/** What a writer is told before the first byte: with `expectedHash`, commit refuses other bytes and stores nothing. */
export interface WriterOptions {
  readonly expectedHash?: string;
}

/** Bytes `start` to `end` of an artifact, both inclusive (as in an HTTP Range header). */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/** A content-addressed store (sha256). The local directory store is the default; S3-compatible stores implement the same port. */
export interface ArtifactStore {
  put(
    content: Uint8Array | string | Readable | AsyncIterable<Uint8Array | string>,
    mediaType: string,
  ): Promise<ArtifactRef>;
  createWriter(mediaType: string, options?: WriterOptions): Promise<ArtifactWriter>;
  has(hash: string): Promise<boolean>;
  /** The whole artifact in memory: for small artifacts (reports, configs). */
  get(hash: string): Promise<Buffer>;
  /** A stream of the artifact's bytes, or of one range of them: for datasets and checkpoints. */
  open(hash: string, range?: ByteRange): Promise<Readable>;
  /** Size and media type of a stored artifact. */
  stat(hash: string): Promise<ArtifactRef>;
  /**
   * A URL that serves the artifact to anyone holding it until it expires, when the store has such
   * URLs (S3 presigned GET); undefined otherwise, and the bytes go through the API.
   */
  downloadUrl?(hash: string, expiresInSeconds: number): Promise<string | undefined>;
  /**
   * Direct uploads, when the store has them (S3): the client PUTs the bytes to a presigned URL of a staging
   * object, then `completeDirectUpload` verifies their sha256 and only then places them under their hash.
   */
  readonly directUploads?: DirectUploads;
}

/** Who asks for a direct upload, and what it will send. */
export interface DirectUploadRequest {
  readonly hash: string;
  readonly byteSize: number;
  readonly mediaType: string;
  /** The uploader's identity (the token's actor): only the same uploader can complete the upload. */
  readonly uploader: string;
  readonly expiresInSeconds: number;
}

/** Where to send the bytes: one PUT of the whole artifact to `url`, with `headers`, before it expires. */
export interface DirectUpload {
  readonly uploadId: string;
  readonly url: string;
  readonly method: 'PUT';
  readonly headers: Readonly<Record<string, string>>;
  readonly expiresInSeconds: number;
}

export interface DirectUploads {
  /** The largest artifact one presigned PUT may carry; a larger one goes through the API's streamed upload. */
  readonly maxBytes: number;
  begin(request: DirectUploadRequest): Promise<DirectUpload>;
  /**
   * Verifies the uploaded bytes and places them under their hash. Throws ArtifactHashMismatchError (nothing
   * placed, the staged bytes deleted) or DirectUploadNotFoundError (no bytes staged under this upload for
   * this uploader).
   */
  complete(hash: string, uploadId: string, uploader: string): Promise<ArtifactRef>;
}

/** No bytes were staged for this upload by this uploader: not begun by it, not sent yet, or already completed. */
export class DirectUploadNotFoundError extends Error {
  constructor(readonly uploadId: string) {
    super(
      `upload ${uploadId} has no bytes staged for you: PUT the file to the upload's URL first (an upload is completed once, by the token that began it)`,
    );
    this.name = 'DirectUploadNotFoundError';
  }
}

/** The bytes written are not the ones the writer was told to expect: nothing was stored. */
export class ArtifactHashMismatchError extends Error {
  constructor(
    readonly expectedHash: string,
    readonly actualHash: string,
    readonly byteSize: number,
  ) {
    super(
      `the uploaded bytes (${byteSize} bytes) hash to ${actualHash}, not ${expectedHash}: nothing was stored; send the file again`,
    );
    this.name = 'ArtifactHashMismatchError';
  }
}

export class ArtifactNotFoundError extends Error {
  constructor(readonly hash: string) {
    super(`artifact ${hash} is not in the store: check the hash, or ingest the dataset again`);
    this.name = 'ArtifactNotFoundError';
  }
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

export function assertArtifactHash(hash: string): void {
  if (!SHA256_HEX.test(hash)) {
    throw new Error(`"${hash}" is not an artifact hash: expected 64 lower-case hex digits (sha256)`);
  }
}
