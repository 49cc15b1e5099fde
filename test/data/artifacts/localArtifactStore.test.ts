import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { ArtifactNotFoundError, LocalArtifactStore } from '../../../src/data/index.js';
import { artifactStoreContract } from './contract.js';

const root = await mkdtemp(join(tmpdir(), 'tl-artifacts-'));
afterAll(() => rm(root, { recursive: true, force: true }));

artifactStoreContract('LocalArtifactStore', () => new LocalArtifactStore(root));

describe('LocalArtifactStore', () => {
  const store = new LocalArtifactStore(root);

  it('stores bytes under their sha256 with size and media type, in fan-out directories', async () => {
    const bytes = Buffer.from('hello, 世界\n');
    const ref = await store.put(bytes, 'text/plain');
    expect(ref.hash).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(ref.byteSize).toBe(bytes.length);
    expect(store.pathOf(ref.hash)).toBe(
      join(root, 'sha256', ref.hash.slice(0, 2), ref.hash.slice(2, 4), ref.hash),
    );
    expect(await store.has(ref.hash)).toBe(true);
    expect((await store.get(ref.hash)).equals(bytes)).toBe(true);
    expect(await store.stat(ref.hash)).toEqual(ref);
    const chunks: Buffer[] = [];
    for await (const chunk of await store.open(ref.hash)) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).equals(bytes)).toBe(true);
  });

  it('streams give the same hash as the whole buffer', async () => {
    const parts = Array.from({ length: 300 }, (_, i) => `line ${i} ${'x'.repeat(5000)}\n`);
    const whole = await store.put(parts.join(''), 'text/plain');
    const streamed = await store.put(Readable.from(parts), 'text/plain');
    expect(streamed.hash).toBe(whole.hash);
    expect(streamed.byteSize).toBe(whole.byteSize);
  });

  it('shows nothing of an aborted or failed write, and leaves no temp files', async () => {
    const writer = await store.createWriter('text/plain');
    await writer.write('half an artifact');
    const hash = createHash('sha256').update('half an artifact').digest('hex');
    expect(await store.has(hash)).toBe(false);
    await writer.abort();
    expect(await store.has(hash)).toBe(false);
    async function* failing() {
      yield 'some bytes';
      throw new Error('source broke');
    }
    await expect(store.put(failing(), 'text/plain')).rejects.toThrow('source broke');
    expect(await readdir(join(root, 'tmp'))).toEqual([]);
  });

  it('reports a missing artifact by its hash and rejects malformed hashes', async () => {
    const missing = 'a'.repeat(64);
    await expect(store.get(missing)).rejects.toBeInstanceOf(ArtifactNotFoundError);
    await expect(store.open(missing)).rejects.toBeInstanceOf(ArtifactNotFoundError);
    await expect(store.get('../../etc/passwd')).rejects.toThrow(/not an artifact hash/);
  });

  it('removes the temp files of unfinished writes, keeping those written to recently when asked to', async () => {
    const own = new LocalArtifactStore(await mkdtemp(join(tmpdir(), 'tl-unfinished-')));
    const live = await own.createWriter('text/plain');
    await live.write('still being written');
    const tmp = join(own.root, 'tmp');
    const [livePart] = await readdir(tmp);
    await writeFile(join(tmp, 'killed.part'), 'half a dataset');
    const hourAgo = new Date(Date.now() - 3_600_000);
    await utimes(join(tmp, 'killed.part'), hourAgo, hourAgo);
    await writeFile(join(tmp, 'notes.txt'), 'not ours');

    expect(await own.removeUnfinishedWrites({ notWrittenForMs: 60_000 })).toBe(1);
    expect((await readdir(tmp)).sort()).toEqual([livePart, 'notes.txt'].sort());
    await live.abort();
    await writeFile(join(tmp, 'another.part'), '');
    expect(await own.removeUnfinishedWrites()).toBe(1);
    expect(await readdir(tmp)).toEqual(['notes.txt']);
  });
});
