import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  EMPTY_ROOT,
  MerkleFrontier,
  consistencyProof,
  inclusionProof,
  leafHash,
  merkleRoot,
  verifyConsistency,
  verifyInclusion,
} from '../../src/eventstore/merkle.js';

const sha256 = (...parts: Buffer[]) => createHash('sha256').update(Buffer.concat(parts)).digest();
const leaf = (data: string) => sha256(Buffer.from([0]), Buffer.from(data));
const node = (left: Buffer, right: Buffer) => sha256(Buffer.from([1]), left, right);
const leaves = (n: number) => Array.from({ length: n }, (_, i) => leafHash(Buffer.from(`event ${i}`)));

describe('Merkle tree (RFC 9162)', () => {
  it('hashes leaves and nodes with their domain-separation prefixes, written out by hand', () => {
    const [a, b, c, d, e] = ['a', 'b', 'c', 'd', 'e'].map(leaf) as [Buffer, Buffer, Buffer, Buffer, Buffer];
    expect(leafHash(Buffer.from('a'))).toEqual(a);
    expect(merkleRoot([])).toEqual(sha256());
    expect(EMPTY_ROOT.toString('hex')).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
    expect(merkleRoot([a])).toEqual(a);
    expect(merkleRoot([a, b])).toEqual(node(a, b));
    // Three leaves split at 2: the left subtree is perfect, the odd leaf is not hashed again.
    expect(merkleRoot([a, b, c])).toEqual(node(node(a, b), c));
    expect(merkleRoot([a, b, c, d])).toEqual(node(node(a, b), node(c, d)));
    expect(merkleRoot([a, b, c, d, e])).toEqual(node(node(node(a, b), node(c, d)), e));
    expect(inclusionProof([a, b, c], 2)).toEqual([node(a, b)]);
    expect(inclusionProof([a, b, c], 0)).toEqual([b, c]);
    expect(inclusionProof([a, b, c, d, e], 3)).toEqual([c, node(a, b), e]);
    // From 3 leaves to 5: SUBPROOF(3, D[0:4]) = c, d, MTH(a, b); then MTH(D[4:5]) = e.
    expect(consistencyProof([a, b, c, d, e], 3)).toEqual([c, d, node(a, b), e]);
    expect(consistencyProof([a, b, c, d, e], 4)).toEqual([e]);
  });

  it('proves every leaf of every tree of 1 to 40 leaves, and no leaf with a changed path, index or root', () => {
    const all = leaves(40);
    for (let size = 1; size <= all.length; size += 1) {
      const tree = all.slice(0, size);
      const root = merkleRoot(tree);
      for (let index = 0; index < size; index += 1) {
        const path = inclusionProof(tree, index);
        expect(verifyInclusion(tree[index]!, index, size, path, root)).toBe(true);
        const grown = merkleRoot([...tree, leafHash(Buffer.from('one more'))]);
        expect(verifyInclusion(tree[index]!, index, size, path, grown)).toBe(false);
        if (size > 1) {
          expect(verifyInclusion(tree[(index + 1) % size]!, index, size, path, root)).toBe(false);
          expect(verifyInclusion(tree[index]!, (index + 1) % size, size, path, root)).toBe(false);
          const bent = path.map((hash, i) => (i === path.length - 1 ? leafHash(hash) : hash));
          expect(verifyInclusion(tree[index]!, index, size, bent, root)).toBe(false);
          expect(verifyInclusion(tree[index]!, index, size, path.slice(0, -1), root)).toBe(false);
        }
      }
      expect(verifyInclusion(tree[0]!, size, size, [], root)).toBe(false);
    }
  });

  it('proves every tree of 0 to 40 leaves consistent with each of its extensions, and no altered history', () => {
    const all = leaves(40);
    for (let second = 1; second <= all.length; second += 1) {
      const tree = all.slice(0, second);
      const secondRoot = merkleRoot(tree);
      for (let first = 0; first <= second; first += 1) {
        const firstRoot = merkleRoot(tree.slice(0, first));
        const proof = consistencyProof(tree, first);
        expect(verifyConsistency(first, second, firstRoot, secondRoot, proof)).toBe(true);
        if (first > 0 && first < second) {
          // The same proof, or an honest one, for a history whose last kept leaf was different.
          const rewritten = [...tree];
          rewritten[first - 1] = leafHash(Buffer.from('rewritten'));
          const rewrittenRoot = merkleRoot(rewritten.slice(0, first));
          expect(verifyConsistency(first, second, rewrittenRoot, secondRoot, proof)).toBe(false);
          expect(
            verifyConsistency(first, second, rewrittenRoot, secondRoot, consistencyProof(rewritten, first)),
          ).toBe(false);
          expect(verifyConsistency(first, second, firstRoot, merkleRoot(rewritten), proof)).toBe(false);
          expect(verifyConsistency(first, second, firstRoot, secondRoot, proof.slice(1))).toBe(false);
        }
      }
      expect(verifyConsistency(second + 1, second, secondRoot, secondRoot, [])).toBe(false);
    }
  });

  it('resumes a frontier from its exported subtrees and reaches the same roots', () => {
    const all = leaves(37);
    for (let cut = 0; cut <= all.length; cut += 1) {
      const first = new MerkleFrontier();
      for (const hash of all.slice(0, cut)) first.push(hash);
      expect(first.root()).toEqual(merkleRoot(all.slice(0, cut)));
      const resumed = MerkleFrontier.resume(cut, first.subtrees());
      for (const hash of all.slice(cut)) resumed.push(hash);
      expect(resumed.size).toBe(all.length);
      expect(resumed.root()).toEqual(merkleRoot(all));
    }
    expect(() => MerkleFrontier.resume(5, [EMPTY_ROOT])).toThrow(/2 perfect subtrees/);
  });
});
