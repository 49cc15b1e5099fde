import type { Kysely } from 'kysely';
import { inclusionProofRanges, nodeHash, leafHashOfHex, type LeafRange } from '../merkle.js';
import { readCheckpointEvents, readLeaves } from './ledgerLog.js';
import { CHECKPOINT_EVENT_TYPE, checkpointEventData } from './ledgerStream.js';
import type { SignedCheckpoint } from './signedCheckpoint.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the event store's tables are reached through raw SQL
type Db = Kysely<any>;

/** RFC 9162 2.1.3: that an event is leaf `leafIndex` of the tree of `treeSize` leaves a signed checkpoint covers. */
export interface InclusionProof {
  readonly leafIndex: number;
  readonly treeSize: number;
  /** The subtree hashes (hex), leaf side first, that fold the event's leaf hash up to the checkpoint's root. */
  readonly auditPath: readonly string[];
}

export interface LedgerInclusion {
  /** The latest recorded checkpoint, the one the proofs lead to; undefined while none was recorded. */
  readonly checkpoint?: SignedCheckpoint;
  /** Whether the log's first treeSize events (as this process read them) hash to the checkpoint's root. */
  readonly rootMatches: boolean;
  /** By event hash: the proofs of the events the checkpoint covers (an event recorded after it has none). */
  readonly proofs: ReadonlyMap<string, InclusionProof>;
}

/**
 * Inclusion proofs of events (given by their stored hashes) against the latest recorded checkpoint. The tree's
 * perfect subtrees are kept per database and extended by the leaves appended since, so a report reads only the
 * new part of the log; the leaf of each proven event is found among them.
 */
export async function ledgerInclusion(db: Db, eventHashes: readonly string[]): Promise<LedgerInclusion> {
  const [row] = await readCheckpointEvents(db, { newestFirst: true, limit: 1 });
  const data = row?.type === CHECKPOINT_EVENT_TYPE ? checkpointEventData(row.data) : undefined;
  if (!data) return { rootMatches: false, proofs: new Map() };
  const { treeSize, rootHash, timestamp, keyId, signature } = data;
  const checkpoint: SignedCheckpoint = { treeSize, rootHash, timestamp, keyId, signature };
  const tree = treeOf(db);
  await tree.extendTo(db, treeSize);
  const rootMatches =
    tree.size >= treeSize && tree.rangeHash({ start: 0, end: treeSize }).toString('hex') === rootHash;
  const proofs = new Map<string, InclusionProof>();
  if (tree.size < treeSize) return { checkpoint, rootMatches, proofs };
  for (const [hash, leafIndex] of tree.leafIndexes(eventHashes, treeSize)) {
    proofs.set(hash, {
      leafIndex,
      treeSize,
      auditPath: inclusionProofRanges(leafIndex, treeSize).map((range) =>
        tree.rangeHash(range).toString('hex'),
      ),
    });
  }
  return { checkpoint, rootMatches, proofs };
}

const trees = new WeakMap<object, PerfectSubtrees>();

function treeOf(db: Db): PerfectSubtrees {
  let tree = trees.get(db);
  if (!tree) {
    tree = new PerfectSubtrees();
    trees.set(db, tree);
  }
  return tree;
}

const HASH = 32;

/**
 * Every perfect, aligned subtree of the leaves read so far: level L holds the hashes of leaves
 * [i * 2^L, (i + 1) * 2^L), one Buffer per level. Any subtree an RFC 9162 proof names folds from them.
 */
class PerfectSubtrees {
  private readonly levels: Buffer[] = [Buffer.alloc(HASH * 1024)];
  private readonly counts: number[] = [0];
  /** The store checkpoint of the last leaf read. */
  private after = '';
  private extending: Promise<void> = Promise.resolve();

  get size(): number {
    return this.counts[0]!;
  }

  /** Reads the log's leaves after the last one read until there are at least `size` (or the log ends). */
  extendTo(db: Db, size: number): Promise<void> {
    const next = this.extending.then(async () => {
      while (this.size < size) {
        const leaves = await readLeaves(db, this.after, 10_000);
        if (leaves.length === 0) return;
        for (const leaf of leaves) this.push(leafHashOfHex(leaf.hash));
        this.after = leaves[leaves.length - 1]!.checkpoint;
      }
    });
    this.extending = next.catch(() => undefined);
    return next;
  }

  private push(hash: Buffer): void {
    let level = 0;
    let node = hash;
    for (;;) {
      this.store(level, node);
      const count = this.counts[level]!;
      if (count % 2 === 1) return;
      node = nodeHash(this.at(level, count - 2), this.at(level, count - 1));
      level += 1;
    }
  }

  private store(level: number, hash: Buffer): void {
    if (level === this.levels.length) {
      this.levels.push(Buffer.alloc(HASH * 1024));
      this.counts.push(0);
    }
    const count = this.counts[level]!;
    let buffer = this.levels[level]!;
    if ((count + 1) * HASH > buffer.length) {
      const grown = Buffer.alloc(buffer.length * 2);
      buffer.copy(grown);
      this.levels[level] = buffer = grown;
    }
    hash.copy(buffer, count * HASH);
    this.counts[level] = count + 1;
  }

  private at(level: number, index: number): Buffer {
    return this.levels[level]!.subarray(index * HASH, (index + 1) * HASH);
  }

  /** MTH of leaves [start, end) (RFC 9162 2.1.1), from the stored perfect subtrees. */
  rangeHash({ start, end }: LeafRange): Buffer {
    const n = end - start;
    if ((n & (n - 1)) === 0 && start % n === 0) {
      const level = Math.log2(n);
      return Buffer.from(this.at(level, start / n));
    }
    let k = 1;
    while (k * 2 < n) k *= 2;
    return nodeHash(this.rangeHash({ start, end: start + k }), this.rangeHash({ start: start + k, end }));
  }

  /** The leaf index, below `size`, of each event hash found there. */
  leafIndexes(eventHashes: readonly string[], size: number): Map<string, number> {
    const wanted = new Map<string, string>();
    for (const hash of eventHashes) wanted.set(leafHashOfHex(hash).toString('hex'), hash);
    const found = new Map<string, number>();
    const leaves = this.levels[0]!;
    const prefixes = new Set([...wanted.keys()].map((leaf) => Buffer.from(leaf, 'hex').readUInt32BE(0)));
    for (let index = 0; index < size && found.size < wanted.size; index += 1) {
      if (!prefixes.has(leaves.readUInt32BE(index * HASH))) continue;
      const hash = wanted.get(this.at(0, index).toString('hex'));
      if (hash !== undefined && !found.has(hash)) found.set(hash, index);
    }
    return found;
  }
}
