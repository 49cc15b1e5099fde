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

/**
 * Where to send the bytes: one PUT of the whole artifact to `url`, with `headers`, before it expires
 * (`kind: 'single'`); or, above the store's multipart threshold, one PUT per part (`kind: 'multipart'`),
 * each of the bytes [offset, offset + byteSize) to its own URL, whose answers' ETag headers the client
 * hands back when it completes.
 */
export type DirectUpload =
  | {
      readonly kind: 'single';
      readonly uploadId: string;
      readonly url: string;
      readonly method: 'PUT';
      readonly headers: Readonly<Record<string, string>>;
      readonly expiresInSeconds: number;
    }
  | {
      readonly kind: 'multipart';
      readonly uploadId: string;
      readonly parts: readonly UploadPart[];
      readonly expiresInSeconds: number;
    };

/** One part of a multipart direct upload: PUT these bytes of the artifact to `url`. */
export interface UploadPart {
  readonly partNumber: number;
  readonly offset: number;
  readonly byteSize: number;
  readonly url: string;
  readonly method: 'PUT';
  readonly headers: Readonly<Record<string, string>>;
}

/** What the client tells `complete` of a multipart upload: each part's number and the ETag its PUT answered. */
export interface UploadedPart {
  readonly partNumber: number;
  readonly etag: string;
}

export interface DirectUploads {
  /** The largest artifact a direct upload may carry; a larger one goes through the API's streamed upload. */
  readonly maxBytes: number;
  begin(request: DirectUploadRequest): Promise<DirectUpload>;
  /**
   * Verifies the uploaded bytes and places them under their hash; `parts` (a multipart upload's) are the
   * ETags its part PUTs answered. Throws ArtifactHashMismatchError (nothing placed, the staged bytes
   * deleted), DirectUploadNotFoundError (no bytes staged under this upload for this uploader) or
   * DirectUploadPartsError (the parts named are not the ones uploaded: the upload stays open to retry).
   */
  complete(
    hash: string,
    uploadId: string,
    uploader: string,
    parts?: readonly UploadedPart[],
  ): Promise<ArtifactRef>;
  /** Gives up an upload: its parts (multipart) or staged bytes are deleted. Nothing to abort is no error. */
  abort(hash: string, uploadId: string, uploader: string): Promise<void>;
}

/** A multipart upload completed with parts that are missing, out of order, or whose ETags do not match. */
export class DirectUploadPartsError extends Error {
  constructor(
    readonly uploadId: string,
    detail: string,
  ) {
    super(
      `upload ${uploadId} cannot be completed with these parts (${detail}): send every part's number and the ETag its PUT answered, in order`,
    );
    this.name = 'DirectUploadPartsError';
  }
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
