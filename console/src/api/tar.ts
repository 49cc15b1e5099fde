/**
 * Reads the plain one-level ustar archives the platform stores (src/workers/training/tarball.ts writes them), in
 * the browser: the heatmap artifact of an evaluation is one.
 */
const BLOCK = 512;

export function readTar(bytes: Uint8Array): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  const ascii = new TextDecoder('ascii');
  const utf8 = new TextDecoder('utf-8');
  for (let at = 0; at + BLOCK <= bytes.length;) {
    const header = bytes.subarray(at, at + BLOCK);
    if (header.every((byte) => byte === 0)) break;
    const nameEnd = header.indexOf(0);
    const name = utf8.decode(header.subarray(0, nameEnd < 0 || nameEnd > 100 ? 100 : nameEnd));
    const size = parseInt(ascii.decode(header.subarray(124, 136)).replace(/\0/g, '').trim() || '0', 8);
    if (!Number.isFinite(size) || at + BLOCK + size > bytes.length) {
      throw new Error(`the archive is damaged at "${name}"`);
    }
    files.set(name, bytes.subarray(at + BLOCK, at + BLOCK + size));
    at += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
  }
  return files;
}
