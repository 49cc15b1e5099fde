import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import {
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  writeFile,
  type FileHandle,
} from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
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

/** Bytes per read of an artifact, and per write of a writer (writes are gathered up to it). */
const READ_CHUNK_BYTES = 1024 * 1024;
const WRITE_BATCH_BYTES = 1024 * 1024;

/**
 * Artifacts under `<root>/sha256/ab/cd/<hash>` (two fan-out levels keep directories small), with a
 * `<hash>.meta.json` beside each holding its media type. Writes go to `<root>/tmp` and are renamed
 * into place, which is atomic on one file system: a reader never sees half an artifact.
 */
export class LocalArtifactStore implements ArtifactStore {
  constructor(readonly root: string) {}

  pathOf(hash: string): string {
    assertArtifactHash(hash);
    return join(this.root, 'sha256', hash.slice(0, 2), hash.slice(2, 4), hash);
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
    if (options.expectedHash !== undefined) assertArtifactHash(options.expectedHash);
    const tmpDir = join(this.root, 'tmp');
    await mkdir(tmpDir, { recursive: true });
    const tmpPath = join(tmpDir, `${randomUUID()}.part`);
    const handle = await open(tmpPath, 'wx');
    return new LocalArtifactWriter(this, handle, tmpPath, mediaType, options.expectedHash);
  }

  /**
   * Deletes the temp files of writes that never finished (a process killed mid-ingest or mid-checkpoint leaves its
   * `tmp/*.part` behind for good). Only files not written to for `notWrittenForMs` go, so a store shared with
   * live writers elsewhere keeps theirs; without it every unfinished write goes, which suits a store no other process writes to. Returns how
   * many files were deleted.
   */
  async removeUnfinishedWrites(options: { readonly notWrittenForMs?: number } = {}): Promise<number> {
    const tmpDir = join(this.root, 'tmp');
    let names: string[];
    try {
      names = await readdir(tmpDir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw error;
    }
    // Without notWrittenForMs every unfinished write goes, whatever its mtime: a file
    // timestamp has sub-millisecond precision and can read later than Date.now().
    const writtenBefore =
      options.notWrittenForMs === undefined ? Infinity : Date.now() - options.notWrittenForMs;
    let removed = 0;
    for (const name of names) {
      if (!name.endsWith('.part') && !name.endsWith('.part.meta')) continue;
      const path = join(tmpDir, name);
      const info = await stat(path).catch(() => undefined);
      if (!info?.isFile() || info.mtimeMs > writtenBefore) continue;
      await rm(path, { force: true });
      removed++;
    }
    return removed;
  }

  async has(hash: string): Promise<boolean> {
    try {
      await stat(this.pathOf(hash));
      return true;
    } catch {
      return false;
    }
  }

  async get(hash: string): Promise<Buffer> {
    try {
      return await readFile(this.pathOf(hash));
    } catch (error) {
      throw notFound(hash, error);
    }
  }

  async open(hash: string, range?: ByteRange): Promise<Readable> {
    const path = this.pathOf(hash);
    if (!(await this.has(hash))) throw new ArtifactNotFoundError(hash);
    // 1 MiB reads, not the 64 KiB default: a sixteenth of the system calls and stream turns for a large artifact.
    return createReadStream(path, {
      highWaterMark: READ_CHUNK_BYTES,
      ...(range ? { start: range.start, end: range.end } : {}),
    });
  }

  async stat(hash: string): Promise<ArtifactRef> {
    try {
      const [info, meta] = await Promise.all([
        stat(this.pathOf(hash)),
        readFile(`${this.pathOf(hash)}.meta.json`, 'utf8').catch(() => '{}'),
      ]);
      const mediaType = (JSON.parse(meta) as { mediaType?: string }).mediaType ?? 'application/octet-stream';
      return { hash, byteSize: info.size, mediaType };
    } catch (error) {
      throw notFound(hash, error);
    }
  }

  /** @internal moves a finished temp file to its content address. */
  async place(tmpPath: string, ref: ArtifactRef): Promise<void> {
    const target = this.pathOf(ref.hash);
    await mkdir(join(target, '..'), { recursive: true });
    const metaTmp = `${tmpPath}.meta`;
    await writeFile(metaTmp, JSON.stringify({ mediaType: ref.mediaType }));
    await rename(metaTmp, `${target}.meta.json`);
    // Same bytes under the same name: renaming over an existing artifact is harmless.
    await rename(tmpPath, target);
  }
}

function notFound(hash: string, error: unknown): Error {
  return (error as NodeJS.ErrnoException)?.code === 'ENOENT'
    ? new ArtifactNotFoundError(hash)
    : (error as Error);
}

class LocalArtifactWriter implements ArtifactWriter {
  private readonly hasher = createHash('sha256');
  private byteSize = 0;
  private done = false;
  // Bytes hashed but not yet written, copied (a caller may reuse its buffer once write returns) into one
  // ~1 MiB write: an HTTP body comes in 64 KiB pieces, and each write is a turn through the thread pool.
  // Two batches: one is written (in the thread pool) while the next is hashed and filled (on this thread).
  private batch = Buffer.allocUnsafe(WRITE_BATCH_BYTES);
  private spare = Buffer.allocUnsafe(WRITE_BATCH_BYTES);
  private batched = 0;
  /** The write of the spare batch, when one is under way. */
  private inFlight: Promise<unknown> | undefined;
  // Small writes are batched (one UTF-8 encode, hash update and syscall per ~512 KiB, not per record).
  private pendingText = '';

  constructor(
    private readonly store: LocalArtifactStore,
    private readonly handle: FileHandle,
    private readonly tmpPath: string,
    private readonly mediaType: string,
    private readonly expectedHash?: string,
  ) {}

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
    for (let at = 0; at < bytes.length;) {
      const taken = bytes.copy(this.batch, this.batched, at);
      this.batched += taken;
      at += taken;
      if (this.batched === this.batch.length) await this.writeBatch();
    }
  }

  /** Starts writing the full batch once the previous write is done, and fills the other one meanwhile. */
  private async writeBatch(): Promise<void> {
    if (this.batched === 0) return;
    await this.inFlight;
    const full = this.batch;
    const write = this.handle.write(full, 0, this.batched);
    // Awaited by the next writeBatch, commit or abort; the rejection is not lost meanwhile.
    write.catch(() => undefined);
    this.inFlight = write;
    this.batch = this.spare;
    this.spare = full;
    this.batched = 0;
  }

  async commit(): Promise<ArtifactRef> {
    if (this.done) throw new Error('artifact writer already committed or aborted');
    await this.flush();
    await this.writeBatch();
    this.done = true;
    try {
      await this.inFlight;
    } catch (error) {
      await this.abortWrite();
      throw error;
    }
    await this.handle.sync();
    await this.handle.close();
    const ref: ArtifactRef = {
      hash: this.hasher.digest('hex'),
      byteSize: this.byteSize,
      mediaType: this.mediaType,
    };
    try {
      if (this.expectedHash !== undefined && ref.hash !== this.expectedHash) {
        throw new ArtifactHashMismatchError(this.expectedHash, ref.hash, ref.byteSize);
      }
      await this.store.place(this.tmpPath, ref);
    } catch (error) {
      await rm(this.tmpPath, { force: true });
      throw error;
    }
    return ref;
  }

  async abort(): Promise<void> {
    if (this.done) return;
    this.done = true;
    this.pendingText = '';
    this.batched = 0;
    await this.abortWrite();
  }

  private async abortWrite(): Promise<void> {
    await this.inFlight?.catch(() => undefined);
    await this.handle.close().catch(() => undefined);
    await rm(this.tmpPath, { force: true });
  }
}
