import { estimatedJaccard, MinHasher } from './minHash.js';
import { normaliseText } from './normaliseText.js';
import { hash53 } from './stringHash.js';

export type DedupMode = 'none' | 'exact' | 'near';

export interface DedupOptions {
  readonly mode: DedupMode;
  /** Estimated Jaccard similarity at or above which two instructions are near-duplicates (default 0.8). */
  readonly threshold?: number;
}

export type DedupVerdict =
  { duplicate: false } | { duplicate: true; kind: 'exact' | 'near'; ofRecord: number };

/**
 * Streaming deduplication of instructions, first occurrence kept. Exact: normalised text, keyed by
 * a 53-bit hash (memory ~ 40 bytes per record). Near: MinHash (64 slots, 5-character shingles) with
 * locality-sensitive hashing (16 bands of 4 rows); candidates are confirmed by estimated Jaccard.
 * Near mode keeps every signature (256 bytes per record), so it suits up to a few million records.
 */
export class Deduplicator {
  private readonly exact = new Map<number, number>();
  private readonly hasher: MinHasher;
  private readonly bands = new Map<string, number[]>();
  private readonly signatures: Uint32Array[] = [];
  private readonly threshold: number;
  private static readonly BANDS = 16;

  constructor(readonly options: DedupOptions) {
    this.hasher = new MinHasher(64, 5);
    this.threshold = options.threshold ?? 0.8;
  }

  /** Checks an instruction; when it is new, remembers it as record `index`. */
  check(instruction: string, index: number): DedupVerdict {
    if (this.options.mode === 'none') return { duplicate: false };
    const normal = normaliseText(instruction);
    const key = hash53(normal);
    const seen = this.exact.get(key);
    if (seen !== undefined) return { duplicate: true, kind: 'exact', ofRecord: seen };
    if (this.options.mode === 'near') {
      const signature = this.hasher.signature(normal);
      const rows = signature.length / Deduplicator.BANDS;
      const bandKeys: string[] = [];
      const tried = new Set<number>();
      for (let b = 0; b < Deduplicator.BANDS; b++) {
        let bandKey = `${b}`;
        for (let r = 0; r < rows; r++) bandKey += `:${signature[b * rows + r]!}`;
        bandKeys.push(bandKey);
        for (const candidate of this.bands.get(bandKey) ?? []) {
          if (tried.has(candidate)) continue;
          tried.add(candidate);
          if (estimatedJaccard(signature, this.signatures[candidate]!) >= this.threshold) {
            return { duplicate: true, kind: 'near', ofRecord: this.signatureOwner[candidate]! };
          }
        }
      }
      const slot = this.signatures.length;
      this.signatures.push(signature);
      this.signatureOwner.push(index);
      for (const bandKey of bandKeys) {
        const list = this.bands.get(bandKey);
        if (list) list.push(slot);
        else this.bands.set(bandKey, [slot]);
      }
    }
    this.exact.set(key, index);
    return { duplicate: false };
  }

  private readonly signatureOwner: number[] = [];
}
