import { fmix32, murmur3 } from './stringHash.js';

/**
 * MinHash over character shingles: the share of equal signature slots estimates the Jaccard
 * similarity of two texts' shingle sets. Permutations are simulated by re-mixing one base hash per
 * shingle with a per-slot salt.
 */
export class MinHasher {
  private readonly salts: Uint32Array;

  constructor(
    readonly numHashes = 64,
    readonly shingleSize = 5,
    seed = 1,
  ) {
    this.salts = new Uint32Array(numHashes);
    for (let i = 0; i < numHashes; i++) this.salts[i] = fmix32(seed * 0x9e3779b1 + i * 0x85ebca6b);
  }

  signature(text: string): Uint32Array {
    const sig = new Uint32Array(this.numHashes).fill(0xffffffff);
    const n = this.shingleSize;
    const count = Math.max(1, text.length - n + 1);
    for (let s = 0; s < count; s++) {
      const base = murmur3(text.slice(s, s + n));
      for (let i = 0; i < this.numHashes; i++) {
        const h = fmix32(base ^ this.salts[i]!);
        if (h < sig[i]!) sig[i] = h;
      }
    }
    return sig;
  }
}

export function estimatedJaccard(a: Uint32Array, b: Uint32Array): number {
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return same / a.length;
}
