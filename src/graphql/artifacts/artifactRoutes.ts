import { pipeline } from 'node:stream/promises';
import type express from 'express';
import {
  ArtifactHashMismatchError,
  ArtifactNotFoundError,
  DirectUploadNotFoundError,
  DirectUploadPartsError,
  type ArtifactStore,
  type ByteRange,
  type UploadedPart,
} from '../../data/index.js';
import type { Viewer } from '../auth/viewer.js';
import { DATABASE_RETRY_AFTER_SECONDS, httpStatusForCode, toApiError } from '../errors.js';
import type { ArtifactAccess } from './artifactAccess.js';

export interface ArtifactRouteOptions {
  readonly artifacts: ArtifactStore;
  readonly access: ArtifactAccess;
  /** How long a presigned URL handed out by GET stays valid (stores that have them: S3). */
  readonly urlTtlSeconds: number;
  readonly authenticate: (header?: string) => Promise<Viewer>;
  readonly onInternal: (error: unknown) => void;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * The bytes of artifacts, by hash:
 *   GET  /artifacts/<sha256>   the artifact (Range: bytes=..., ETag "<sha256>", 304 on If-None-Match);
 *                              with an S3 store, 307 to a presigned URL instead (?redirect=false: JSON {url})
 *   HEAD /artifacts/<sha256>   its size and media type
 *   PUT  /artifacts/<sha256>   stores the request body streamed, hashed on the way in; bytes that hash to
 *                              anything else store nothing (400 hash_mismatch)
 *   POST /artifacts/<sha256>/uploads            {byteSize, mediaType}: how to upload it - already stored, PUT
 *                              to the API, PUT to a presigned URL of the store (S3), or (above the store's
 *                              multipart threshold) PUT each part to its presigned URL; and then complete:
 *   POST /artifacts/<sha256>/uploads/<id>/complete   ({parts: [{partNumber, etag}]} for parts) verifies the
 *                              sha256 of what was PUT, then stores it
 *   DELETE /artifacts/<sha256>/uploads/<id>     gives the upload up: its parts and staged bytes are deleted
 * Authenticated like /graphql; who may do what is ArtifactAccess's.
 */
export function mountArtifactRoutes(app: express.Express, options: ArtifactRouteOptions): void {
  const { artifacts, access } = options;
  const fail = (res: express.Response, status: number, code: string, message: string) => {
    if (!res.headersSent) res.status(status).json({ error: message, code });
    else res.destroy();
  };
  const failWith = (res: express.Response, error: unknown) => {
    if (error instanceof ArtifactNotFoundError) return fail(res, 404, 'not_found', error.message);
    if (error instanceof ArtifactHashMismatchError) return fail(res, 400, 'hash_mismatch', error.message);
    if (error instanceof DirectUploadNotFoundError) return fail(res, 404, 'upload_not_found', error.message);
    if (error instanceof DirectUploadPartsError) return fail(res, 400, 'bad_parts', error.message);
    if (error instanceof BadRequestError) return fail(res, 400, 'bad_request', error.message);
    const mapped = toApiError(error, options.onInternal);
    const status = httpStatusForCode(mapped.code);
    if (status === 503) res.setHeader('retry-after', String(DATABASE_RETRY_AFTER_SECONDS));
    fail(res, status, mapped.code.toLowerCase(), mapped.message);
  };
  const hashOf = (req: express.Request, res: express.Response): string | null => {
    const hash = String(req.params.sha256);
    if (SHA256_HEX.test(hash)) return hash;
    fail(
      res,
      400,
      'bad_hash',
      `"${hash}" is not an artifact hash: expected 64 lower-case hex digits (sha256)`,
    );
    return null;
  };
  /** The hash a write names and the caller, when the caller may write artifacts; otherwise answers the refusal. */
  const writeAccess = async (req: express.Request, res: express.Response) => {
    const hash = hashOf(req, res);
    if (!hash) return null;
    const viewer = await options.authenticate(req.headers.authorization);
    const refusal = await access.mayWrite(viewer);
    if (refusal) {
      fail(res, 403, 'forbidden', refusal);
      return null;
    }
    return { hash, viewer };
  };

  const read = async (req: express.Request, res: express.Response, withBody: boolean) => {
    try {
      const hash = hashOf(req, res);
      if (!hash) return;
      const viewer = await options.authenticate(req.headers.authorization);
      const refusal = await access.mayRead(viewer, hash);
      if (refusal) return fail(res, 403, 'forbidden', refusal);
      const ref = await artifacts.stat(hash);
      const etag = `"${hash}"`;
      res.setHeader('etag', etag);
      res.setHeader('cache-control', 'private, max-age=31536000, immutable');
      res.setHeader('accept-ranges', 'bytes');
      if (ifNoneMatchHits(req.headers['if-none-match'], etag)) {
        res.status(304).end();
        return;
      }
      if (withBody && artifacts.downloadUrl) {
        const url = await artifacts.downloadUrl(hash, options.urlTtlSeconds);
        if (url) {
          if (req.query.redirect === 'false') {
            res.json({ url, expiresInSeconds: options.urlTtlSeconds, ...ref });
          } else {
            res.redirect(307, url);
          }
          return;
        }
      }
      res.type(ref.mediaType);
      const rangeHeader = req.headers.range;
      const ifRange = req.headers['if-range'];
      const range =
        rangeHeader && (ifRange === undefined || ifRange === etag)
          ? parseRange(rangeHeader, ref.byteSize)
          : undefined;
      if (range === 'unsatisfiable') {
        res.setHeader('content-range', `bytes */${ref.byteSize}`);
        return fail(
          res,
          416,
          'range_not_satisfiable',
          `the artifact has ${ref.byteSize} bytes; ask for a range inside them`,
        );
      }
      if (range) {
        res.status(206);
        res.setHeader('content-range', `bytes ${range.start}-${range.end}/${ref.byteSize}`);
        res.setHeader('content-length', String(range.end - range.start + 1));
      } else {
        res.setHeader('content-length', String(ref.byteSize));
      }
      if (!withBody || ref.byteSize === 0) {
        res.end();
        return;
      }
      await pipeline(await artifacts.open(hash, range ?? undefined), res);
    } catch (error) {
      failWith(res, error);
    }
  };
  app.get('/artifacts/:sha256', (req, res) => read(req, res, true));
  app.head('/artifacts/:sha256', (req, res) => read(req, res, false));

  app.put('/artifacts/:sha256', async (req, res) => {
    try {
      const caller = await writeAccess(req, res);
      if (!caller) return;
      const { hash } = caller;
      if (await artifacts.has(hash)) {
        // Same hash, same bytes: nothing to store; the body is drained, not read into memory.
        req.resume();
        res.status(200).json(await artifacts.stat(hash));
        return;
      }
      const mediaType = (req.headers['content-type'] ?? 'application/octet-stream').split(';')[0]!.trim();
      const writer = await artifacts.createWriter(mediaType, { expectedHash: hash });
      try {
        for await (const chunk of req) await writer.write(chunk as Buffer);
        if (!req.complete) throw new Error('the upload was cut off before its end');
        res.status(201).json(await writer.commit());
      } catch (error) {
        await writer.abort();
        throw error;
      }
    } catch (error) {
      failWith(res, error);
    }
  });

  app.post('/artifacts/:sha256/uploads', async (req, res) => {
    try {
      const caller = await writeAccess(req, res);
      if (!caller) return;
      const { hash, viewer } = caller;
      const { byteSize, mediaType } = await uploadRequestOf(req);
      if (await artifacts.has(hash)) {
        res.json({ how: 'already_stored', artifact: await artifacts.stat(hash) });
        return;
      }
      const direct = artifacts.directUploads;
      if (!direct || byteSize > direct.maxBytes) {
        res.json({ how: 'put_to_api', url: `/artifacts/${hash}` });
        return;
      }
      const upload = await direct.begin({
        hash,
        byteSize,
        mediaType,
        uploader: viewer.actor,
        expiresInSeconds: options.urlTtlSeconds,
      });
      const completeUrl = `/artifacts/${hash}/uploads/${upload.uploadId}/complete`;
      if (upload.kind === 'single') {
        const { kind: _kind, ...single } = upload;
        res.status(201).json({ how: 'put_to_url', ...single, completeUrl });
      } else {
        const { kind: _kind, ...multipart } = upload;
        res.status(201).json({
          how: 'put_parts',
          ...multipart,
          completeUrl,
          abortUrl: `/artifacts/${hash}/uploads/${upload.uploadId}`,
        });
      }
    } catch (error) {
      failWith(res, error);
    }
  });

  app.post('/artifacts/:sha256/uploads/:uploadId/complete', async (req, res) => {
    try {
      const caller = await writeAccess(req, res);
      if (!caller) return;
      const { hash, viewer } = caller;
      const parts = await completionPartsOf(req);
      const direct = artifacts.directUploads;
      if (!direct) {
        return fail(
          res,
          404,
          'upload_not_found',
          'this store takes uploads through PUT /artifacts/<sha256> only',
        );
      }
      res.status(201).json(await direct.complete(hash, String(req.params.uploadId), viewer.actor, parts));
    } catch (error) {
      failWith(res, error);
    }
  });

  app.delete('/artifacts/:sha256/uploads/:uploadId', async (req, res) => {
    try {
      const caller = await writeAccess(req, res);
      if (!caller) return;
      req.resume();
      const direct = artifacts.directUploads;
      if (!direct) return fail(res, 404, 'upload_not_found', 'this store has no direct uploads to give up');
      await direct.abort(caller.hash, String(req.params.uploadId), caller.viewer.actor);
      res.status(204).end();
    } catch (error) {
      failWith(res, error);
    }
  });
}

/** A request body the route refuses, in words that say what to send. */
class BadRequestError extends Error {}

const MEDIA_TYPE = /^[\w.+-]+\/[\w.+-]+$/;

/** What `POST /artifacts/<sha256>/uploads` is told: the artifact's size and media type. */
async function uploadRequestOf(req: express.Request): Promise<{ byteSize: number; mediaType: string }> {
  let text = '';
  for await (const chunk of req) {
    text += (chunk as Buffer).toString('utf8');
    if (text.length > 4096)
      throw new BadRequestError('the upload request is JSON {byteSize, mediaType} of at most 4 KiB');
  }
  let body: { byteSize?: unknown; mediaType?: unknown };
  try {
    body = JSON.parse(text || '{}') as typeof body;
  } catch {
    throw new BadRequestError(
      'the upload request is not JSON: send {"byteSize": N, "mediaType": "type/subtype"}',
    );
  }
  const { byteSize, mediaType: given = 'application/octet-stream' } = body ?? {};
  if (typeof byteSize !== 'number' || !Number.isSafeInteger(byteSize) || byteSize < 0) {
    throw new BadRequestError("byteSize is the artifact's size in bytes, a whole number of at least 0");
  }
  // As PUT /artifacts/<sha256> does with Content-Type: the media type without its parameters.
  const mediaType = typeof given === 'string' ? given.split(';')[0]!.trim() : '';
  if (mediaType.length > 255 || !MEDIA_TYPE.test(mediaType)) {
    throw new BadRequestError(
      'mediaType is a media type such as application/octet-stream or application/x-tar',
    );
  }
  return { byteSize, mediaType };
}

/** The body of a completion: none for a single PUT, `{parts: [{partNumber, etag}]}` for a multipart upload. */
async function completionPartsOf(req: express.Request): Promise<readonly UploadedPart[] | undefined> {
  let text = '';
  for await (const chunk of req) {
    text += (chunk as Buffer).toString('utf8');
    // 10,000 parts of {"partNumber":N,"etag":"\"<32 hex>\""} fit well inside this.
    if (text.length > 1024 * 1024)
      throw new BadRequestError('the completion is JSON {parts} of at most 1 MiB');
  }
  if (text.trim() === '') return undefined;
  let body: { parts?: unknown };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new BadRequestError(
      'the completion is not JSON: send {"parts": [{"partNumber": 1, "etag": "..."}]}',
    );
  }
  if (body?.parts === undefined) return undefined;
  const parts = body.parts;
  if (
    !Array.isArray(parts) ||
    !parts.every(
      (part: { partNumber?: unknown; etag?: unknown }) =>
        typeof part === 'object' &&
        part !== null &&
        Number.isSafeInteger(part.partNumber) &&
        typeof part.etag === 'string' &&
        part.etag.length > 0 &&
        part.etag.length <= 256,
    )
  ) {
    throw new BadRequestError('parts is a list of {partNumber, etag}: the ETag each part PUT answered');
  }
  return parts as UploadedPart[];
}

function ifNoneMatchHits(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header
    .split(',')
    .map((tag) => tag.trim().replace(/^W\//, ''))
    .some((tag) => tag === '*' || tag === etag);
}

/**
 * One range of `bytes=a-b`, `bytes=a-` or `bytes=-n`; undefined (the whole artifact) for what is not
 * one byte range (several ranges, other units), as RFC 9110 lets a server do.
 */
export function parseRange(header: string, size: number): ByteRange | 'unsatisfiable' | undefined {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}
