import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import {
  ArtifactNotFoundError,
  assertArtifactHash,
  LocalArtifactStore,
  type ArtifactRef,
  type ArtifactStore,
  type ArtifactWriter,
  type ByteRange,
  type WriterOptions,
} from '../../data/index.js';
import { ApiClient, ApiRequestError } from './apiClient.js';

/**
 * The artifact store of a worker with no shared disk: a local cache keyed by sha256 (a LocalArtifactStore
 * in the worker's own data directory) in front of the API's artifact routes. Reads download once, into the
 * cache, with the hash checked as the bytes are written (a download that hashes to anything else is
 * refused and nothing is kept); writes land in the cache first, then are uploaded (`uploadArtifact`: straight
 * to the bucket through a presigned URL when the API offers one, else `PUT /artifacts/<sha256>`), and the API
 * checks the hash again before it keeps them.
 */
export class ApiArtifactStore implements ArtifactStore {
  readonly cache: LocalArtifactStore;

  constructor(
    private readonly client: ApiClient,
    cacheDir: string,
  ) {
    this.cache = new LocalArtifactStore(cacheDir);
  }

  async put(
    content: Uint8Array | string | Readable | AsyncIterable<Uint8Array | string>,
    mediaType: string,
  ): Promise<ArtifactRef> {
    const ref = await this.cache.put(content, mediaType);
    await this.upload(ref);
    return ref;
  }

  async createWriter(mediaType: string, options: WriterOptions = {}): Promise<ArtifactWriter> {
    const local = await this.cache.createWriter(mediaType, options);
    return {
      write: (chunk) => local.write(chunk),
      abort: () => local.abort(),
      commit: async () => {
        const ref = await local.commit();
        await this.upload(ref);
        return ref;
      },
    };
  }

  async has(hash: string): Promise<boolean> {
    assertArtifactHash(hash);
    if (await this.cache.has(hash)) return true;
    const response = await this.client.http(`HEAD artifact ${hash}`, `artifacts/${hash}`, () => ({
      method: 'HEAD',
    }));
    if (response.status === 404) return false;
    if (response.ok) return true;
    throw refusal(`HEAD /artifacts/${hash}`, response.status, '');
  }

  async get(hash: string): Promise<Buffer> {
    await this.fetchToCache(hash);
    return this.cache.get(hash);
  }

  async open(hash: string, range?: ByteRange): Promise<Readable> {
    await this.fetchToCache(hash);
    return this.cache.open(hash, range);
  }

  async stat(hash: string): Promise<ArtifactRef> {
    await this.fetchToCache(hash);
    return this.cache.stat(hash);
  }

  /** Downloads an artifact into the cache unless it is there; the cache's writer checks the hash. */
  private async fetchToCache(hash: string): Promise<void> {
    assertArtifactHash(hash);
    if (await this.cache.has(hash)) return;
    const response = await this.client.http(`GET artifact ${hash}`, `artifacts/${hash}`, () => ({
      method: 'GET',
      redirect: 'follow',
    }));
    if (response.status === 404) {
      await response.body?.cancel();
      throw new ArtifactNotFoundError(hash);
    }
    if (!response.ok || !response.body) {
      throw refusal(`GET /artifacts/${hash}`, response.status, await response.text());
    }
    const mediaType = response.headers.get('content-type') ?? 'application/octet-stream';
    const writer = await this.cache.createWriter(mediaType.split(';')[0]!.trim(), { expectedHash: hash });
    try {
      for await (const chunk of Readable.fromWeb(response.body as WebReadableStream<Uint8Array>)) {
        await writer.write(chunk as Uint8Array);
      }
      await writer.commit();
    } catch (error) {
      await writer.abort().catch(() => {});
      throw error;
    }
  }

  /** Uploads a cached artifact (streamed from the cache file). */
  private async upload(ref: ArtifactRef): Promise<void> {
    const path = this.cache.pathOf(ref.hash);
    await uploadArtifact(this.client, ref, () => createReadStream(path));
  }
}

/** The API's answer to `POST /artifacts/<sha256>/uploads`: how to send the bytes. */
type UploadPlan =
  | { readonly how: 'already_stored'; readonly artifact: ArtifactRef }
  | { readonly how: 'put_to_api' }
  | {
      readonly how: 'put_to_url';
      readonly url: string;
      readonly headers: Readonly<Record<string, string>>;
      readonly completeUrl: string;
    }
  | {
      readonly how: 'put_parts';
      readonly parts: readonly PlannedPart[];
      readonly completeUrl: string;
      readonly abortUrl: string;
    };

/** One part of a multipart upload: these bytes of the artifact, PUT to `url`. */
interface PlannedPart {
  readonly partNumber: number;
  readonly offset: number;
  readonly byteSize: number;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * Uploads an artifact the way the API says (`POST /artifacts/<sha256>/uploads`): nothing when it has the
 * artifact already; with an S3 store, one PUT of the bytes straight to a presigned URL of the bucket (or,
 * above the store's multipart threshold, one PUT per part, `uploadParts`), then `POST .../complete`, after
 * which the API has checked the sha256 and holds the artifact; otherwise (a local store, or an API older
 * than the route) `PUT /artifacts/<sha256>`.
 * `open` gives the bytes, and is called again for a retry. Refusals are ApiRequestErrors with the API's code
 * (`forbidden`, `hash_mismatch`, ...).
 */
export async function uploadArtifact(
  client: ApiClient,
  ref: ArtifactRef,
  open: () => Readable,
): Promise<ArtifactRef> {
  const plan = await planUpload(client, ref);
  if (plan.how === 'already_stored') return plan.artifact;
  if (plan.how === 'put_to_api') return putArtifact(client, ref, open);
  if (plan.how === 'put_parts') return uploadParts(client, ref, plan, open());
  const sent = await client.handedOut(`PUT artifact ${ref.hash} to the store`, plan.url, () => ({
    method: 'PUT',
    headers: { ...plan.headers },
    body: ReadableStream.from(open()) as ReadableStream<Uint8Array>,
    duplex: 'half',
  }));
  const sentText = await sent.text();
  if (!sent.ok) throw refusal(`PUT to the presigned URL of ${ref.hash}`, sent.status, sentText);
  const completed = await client.http(`complete upload ${ref.hash}`, plan.completeUrl, () => ({
    method: 'POST',
  }));
  const text = await completed.text();
  if (completed.status !== 201) throw refusal(`POST ${plan.completeUrl}`, completed.status, text);
  return JSON.parse(text) as ArtifactRef;
}

/**
 * A multipart upload: the bytes read once, in order, one part at a time (a part is held in memory so that
 * a retry can send it again), each PUT to its presigned URL; then `POST .../complete` with each part's
 * ETag. When a part cannot be sent, or the completion is refused, the upload is given up
 * (`DELETE` abortUrl, its parts deleted) and the error thrown.
 */
async function uploadParts(
  client: ApiClient,
  ref: ArtifactRef,
  plan: Extract<UploadPlan, { how: 'put_parts' }>,
  bytes: Readable,
): Promise<ArtifactRef> {
  const uploaded: { partNumber: number; etag: string }[] = [];
  try {
    const reader = partReader(bytes);
    for (const part of plan.parts) {
      const body = await reader.next(part.byteSize);
      const what = `PUT part ${part.partNumber} of ${plan.parts.length} of artifact ${ref.hash}`;
      const sent = await client.handedOut(what, part.url, () => ({
        method: 'PUT',
        headers: { ...part.headers },
        body,
      }));
      const sentText = await sent.text();
      if (!sent.ok) throw refusal(what, sent.status, sentText);
      const etag = sent.headers.get('etag');
      if (!etag) throw new Error(`${what}: the store answered no ETag`);
      uploaded.push({ partNumber: part.partNumber, etag });
    }
    bytes.destroy();
    const completed = await client.http(`complete upload ${ref.hash}`, plan.completeUrl, () => ({
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ parts: uploaded }),
    }));
    const text = await completed.text();
    if (completed.status !== 201) throw refusal(`POST ${plan.completeUrl}`, completed.status, text);
    return JSON.parse(text) as ArtifactRef;
  } catch (error) {
    bytes.destroy();
    await client
      .http(`abort upload ${ref.hash}`, plan.abortUrl, () => ({ method: 'DELETE' }))
      .then((response) => response.body?.cancel())
      .catch(() => undefined);
    throw error;
  }
}

/** Reads a stream in pieces of exactly the sizes asked for; a stream that ends inside a piece is an error. */
function partReader(bytes: Readable) {
  const chunks = bytes[Symbol.asyncIterator]();
  let pending: Buffer = Buffer.alloc(0);
  return {
    async next(byteSize: number): Promise<Buffer> {
      const pieces: Buffer[] = [];
      let have = 0;
      while (have < byteSize) {
        if (pending.length === 0) {
          const chunk = await chunks.next();
          if (chunk.done) throw new Error(`the artifact ended ${byteSize - have} bytes short of its parts`);
          pending = Buffer.isBuffer(chunk.value) ? chunk.value : Buffer.from(chunk.value as Uint8Array);
        }
        const take = pending.subarray(0, byteSize - have);
        pending = pending.subarray(take.length);
        pieces.push(take);
        have += take.length;
      }
      return Buffer.concat(pieces, byteSize);
    },
  };
}

async function planUpload(client: ApiClient, ref: ArtifactRef): Promise<UploadPlan> {
  const path = `artifacts/${ref.hash}/uploads`;
  const response = await client.http(`plan upload ${ref.hash}`, path, () => ({
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ byteSize: ref.byteSize, mediaType: ref.mediaType }),
  }));
  const text = await response.text();
  // An API older than the route answers 404 to it: it takes PUT /artifacts/<sha256>.
  if (response.status === 404) return { how: 'put_to_api' };
  if (response.status !== 200 && response.status !== 201)
    throw refusal(`POST /${path}`, response.status, text);
  return JSON.parse(text) as UploadPlan;
}

/**
 * `PUT /artifacts/<sha256>`: streams the bytes `open` gives (opened again for a retry); the API hashes them
 * on the way in and stores nothing that hashes otherwise. 200 (it had them) or 201 (stored) both mean the
 * API holds the artifact; anything else is an ApiRequestError with the API's code.
 */
export async function putArtifact(
  client: ApiClient,
  ref: ArtifactRef,
  open: () => Readable,
): Promise<ArtifactRef> {
  const response = await client.http(`PUT artifact ${ref.hash}`, `artifacts/${ref.hash}`, () => ({
    method: 'PUT',
    headers: { 'content-type': ref.mediaType, 'content-length': String(ref.byteSize) },
    // Pulled on demand: Node 20's Readable.toWeb reads ahead without limit, holding a large file in memory.
    body: ReadableStream.from(open()) as ReadableStream<Uint8Array>,
    duplex: 'half',
  }));
  const text = await response.text();
  if (response.status !== 200 && response.status !== 201) {
    throw refusal(`PUT /artifacts/${ref.hash}`, response.status, text);
  }
  return JSON.parse(text) as ArtifactRef;
}

function refusal(what: string, status: number, body: string): ApiRequestError {
  let message = body.slice(0, 500);
  let code = `HTTP_${status}`;
  try {
    const parsed = JSON.parse(body) as { error?: string; code?: string };
    message = parsed.error ?? message;
    code = parsed.code ?? code;
  } catch {
    // Not JSON: the text as it came.
  }
  return new ApiRequestError(`${what} answered ${status}: ${message}`, code, status);
}
