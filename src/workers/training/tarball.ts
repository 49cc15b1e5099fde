import { createReadStream } from 'node:fs';

/**
 * Checkpoints and adapters are directories of a few files; the artifact store holds one blob per hash.
 * They travel as plain ustar archives, so a user can unpack a stored adapter with `tar xf` and hand the
 * directory to PEFT. Only regular files in one directory level are written or read.
 */
const BLOCK = 512;
const MAX_SIZE = 8 ** 11 - 1;

export interface TarEntry {
  readonly name: string;
  readonly data: Uint8Array;
}

/** The ustar header of one regular file: fixed mode, owner and time, so equal files give equal bytes. */
function tarHeader(fileName: string, size: number): Buffer {
  const name = Buffer.from(fileName, 'utf8');
  if (name.length === 0 || name.length > 100 || fileName.includes('/')) {
    throw new Error(`tar entry "${fileName}": names are 1-100 bytes without "/"`);
  }
  if (size > MAX_SIZE) {
    throw new Error(`tar entry "${fileName}" is ${size} bytes; ustar holds at most ${MAX_SIZE}`);
  }
  const header = Buffer.alloc(BLOCK);
  name.copy(header, 0);
  header.write('0000644\0', 100, 'ascii');
  header.write('0000000\0', 108, 'ascii');
  header.write('0000000\0', 116, 'ascii');
  header.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'ascii');
  header.write('00000000000\0', 136, 'ascii');
  header.write('        ', 148, 'ascii');
  header.write('0', 156, 'ascii');
  header.write('ustar\0', 257, 'ascii');
  header.write('00', 263, 'ascii');
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return header;
}

const padding = (size: number) => new Uint8Array((BLOCK - (size % BLOCK)) % BLOCK);

/** A file on disk to put in a tar stream: read when the stream reaches it. */
export interface TarFile {
  readonly name: string;
  readonly path: string;
  readonly size: number;
}

/** The archive's size in bytes: what packTar or tarStream of these entries give. */
export function tarSize(files: readonly { readonly size: number }[]): number {
  return files.reduce((total, file) => total + BLOCK + file.size + padding(file.size).length, 0) + 2 * BLOCK;
}

/**
 * The same archive as packTar, streamed from files on disk: one file's chunks at a time, so a checkpoint of
 * many gigabytes travels in flat memory. A file whose size changed since it was listed is refused.
 */
export async function* tarStream(files: readonly TarFile[]): AsyncGenerator<Uint8Array> {
  for (const file of files) {
    yield tarHeader(file.name, file.size);
    let read = 0;
    for await (const chunk of createReadStream(file.path, { highWaterMark: 1024 * 1024 })) {
      read += (chunk as Buffer).length;
      if (read > file.size) break;
      yield chunk as Buffer;
    }
    if (read !== file.size) {
      throw new Error(`${file.path} changed while it was archived (${file.size} bytes listed, ${read} read)`);
    }
    yield padding(file.size);
  }
  yield new Uint8Array(2 * BLOCK);
}

export function packTar(entries: readonly TarEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const entry of entries) {
    const header = tarHeader(entry.name, entry.data.length);
    parts.push(header, entry.data, padding(entry.data.length));
  }
  parts.push(new Uint8Array(BLOCK * 2));
  // A fresh, unpooled buffer: it may be transferred to another thread.
  return new Uint8Array(Buffer.concat(parts));
}

export function unpackTar(bytes: Uint8Array, where = 'archive'): Map<string, Buffer> {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const files = new Map<string, Buffer>();
  for (let offset = 0; offset + BLOCK <= buffer.length;) {
    const header = buffer.subarray(offset, offset + BLOCK);
    if (header.every((byte) => byte === 0)) break;
    const name = header.toString('utf8', 0, 100).replace(/\0.*$/s, '');
    const size = parseInt(header.toString('ascii', 124, 136).replace(/\0.*$/s, '').trim(), 8);
    const type = header.toString('ascii', 156, 157);
    if (!Number.isFinite(size) || offset + BLOCK + size > buffer.length) {
      throw new Error(`${where}: damaged tar header for "${name}" at byte ${offset}`);
    }
    if (type === '0' || type === '\0')
      files.set(name, buffer.subarray(offset + BLOCK, offset + BLOCK + size));
    offset += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
  }
  return files;
}
