import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  ArtifactHashMismatchError,
  ArtifactNotFoundError,
  type ArtifactStore,
} from '../../../src/data/index.js';

const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

async function readAll(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/**
 * The rules every ArtifactStore keeps (the local directory and S3-compatible stores run the same suite).
 * `store()` is called once per test; `bigBytes` is a size that spans several upload parts of the store.
 */
export function artifactStoreContract(
  name: string,
  store: () => ArtifactStore,
  bigBytes = 3 * 1024 * 1024,
): void {
  describe(`${name}: the artifact store contract`, () => {
    it('stores bytes under their sha256 with size and media type, and reads them back whole and streamed', async () => {
      const artifacts = store();
      const bytes = Buffer.from(`hello, 世界 ${randomBytes(8).toString('hex')}\n`);
      const ref = await artifacts.put(bytes, 'text/plain');
      expect(ref).toEqual({ hash: sha256(bytes), byteSize: bytes.length, mediaType: 'text/plain' });
      expect(await artifacts.has(ref.hash)).toBe(true);
      expect((await artifacts.get(ref.hash)).equals(bytes)).toBe(true);
      expect(await artifacts.stat(ref.hash)).toEqual(ref);
      expect((await readAll(await artifacts.open(ref.hash))).equals(bytes)).toBe(true);
    });

    it('gives a streamed write of many parts the hash of the whole, and storing the same bytes twice is harmless', async () => {
      const artifacts = store();
      const whole = randomBytes(bigBytes);
      const pieces = Array.from({ length: 7 }, (_, i) =>
        whole.subarray(Math.floor((i * whole.length) / 7), Math.floor(((i + 1) * whole.length) / 7)),
      );
      const streamed = await artifacts.put(Readable.from(pieces), 'application/octet-stream');
      expect(streamed.hash).toBe(sha256(whole));
      expect(streamed.byteSize).toBe(whole.length);
      const again = await artifacts.put(whole, 'application/octet-stream');
      expect(again).toEqual(streamed);
      expect((await artifacts.get(streamed.hash)).equals(whole)).toBe(true);
    });

    it('mixes text and byte writes in order', async () => {
      const artifacts = store();
      const writer = await artifacts.createWriter('application/jsonl');
      await writer.write('{"a":1}\n');
      await writer.write(Buffer.from('{"b":2}\n'));
      await writer.write('{"c":3}\n');
      const ref = await writer.commit();
      expect((await artifacts.get(ref.hash)).toString()).toBe('{"a":1}\n{"b":2}\n{"c":3}\n');
    });

    it('reads a byte range, both ends inclusive', async () => {
      const artifacts = store();
      const bytes = Buffer.from(`0123456789abcdef-${randomBytes(4).toString('hex')}`);
      const ref = await artifacts.put(bytes, 'text/plain');
      expect((await readAll(await artifacts.open(ref.hash, { start: 3, end: 7 }))).toString()).toBe('34567');
      expect(
        (await readAll(await artifacts.open(ref.hash, { start: 10, end: bytes.length - 1 }))).equals(
          bytes.subarray(10),
        ),
      ).toBe(true);
    });

    it('shows nothing of an aborted write or of a write whose source failed', async () => {
      const artifacts = store();
      const text = `half an artifact ${randomBytes(8).toString('hex')}`;
      const writer = await artifacts.createWriter('text/plain');
      await writer.write(text);
      expect(await artifacts.has(sha256(text))).toBe(false);
      await writer.abort();
      expect(await artifacts.has(sha256(text))).toBe(false);
      await expect(writer.write('more')).rejects.toThrow(/already committed or aborted/);
      async function* failing() {
        yield text;
        throw new Error('source broke');
      }
      await expect(artifacts.put(failing(), 'text/plain')).rejects.toThrow('source broke');
      expect(await artifacts.has(sha256(text))).toBe(false);
    });

    it('with an expected hash, stores the bytes that match it and nothing for bytes that do not', async () => {
      const artifacts = store();
      const bytes = randomBytes(bigBytes);
      const expected = sha256(bytes);
      const wrong = await artifacts.createWriter('application/octet-stream', { expectedHash: expected });
      await wrong.write(bytes.subarray(1));
      const refused = await wrong.commit().catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(ArtifactHashMismatchError);
      expect((refused as ArtifactHashMismatchError).actualHash).toBe(sha256(bytes.subarray(1)));
      expect(await artifacts.has(expected)).toBe(false);
      expect(await artifacts.has(sha256(bytes.subarray(1)))).toBe(false);

      const right = await artifacts.createWriter('application/octet-stream', { expectedHash: expected });
      await right.write(bytes);
      expect(await right.commit()).toEqual({
        hash: expected,
        byteSize: bytes.length,
        mediaType: 'application/octet-stream',
      });
      expect((await artifacts.get(expected)).equals(bytes)).toBe(true);
    });

    it('reports a missing artifact by its hash and refuses malformed hashes', async () => {
      const artifacts = store();
      const missing = sha256(randomBytes(16));
      expect(await artifacts.has(missing)).toBe(false);
      await expect(artifacts.get(missing)).rejects.toBeInstanceOf(ArtifactNotFoundError);
      await expect(artifacts.open(missing)).rejects.toBeInstanceOf(ArtifactNotFoundError);
      await expect(artifacts.stat(missing)).rejects.toBeInstanceOf(ArtifactNotFoundError);
      await expect(artifacts.get('../../etc/passwd')).rejects.toThrow(/not an artifact hash/);
      await expect(artifacts.createWriter('text/plain', { expectedHash: 'ABC' })).rejects.toThrow(
        /not an artifact hash/,
      );
    });
  });
}
