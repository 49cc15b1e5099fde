import * as crypto from 'node:crypto';

/**
 * The Merkle tree of RFC 9162 (Certificate Transparency 2.0), section 2.1, over SHA-256:
 *
 *   MTH({})      = SHA-256()
 *   MTH({d0})    = SHA-256(0x00 || d0)                         (a leaf)
 *   MTH(D[0:n])  = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))  (k: the largest power of 2 below n)
 *
 * with inclusion proofs (2.1.3) and consistency proofs (2.1.4). Pure: hashes in, hashes out. The event
 * ledger (src/eventstore/ledger) feeds it one leaf per event, in global order.
 */

/**
 * SHA-256 in one call (crypto.hash, Node 20.12+: no Hash object per digest), or through createHash before it.
 * The digest comes as a 'binary' (latin1) string (one character per byte) made into a Buffer in JavaScript: several times
 * faster than crypto.hash's own 'buffer' output, which makes each 32-byte Buffer in C++.
 */
export const sha256: (data: Uint8Array) => Buffer =
  typeof crypto.hash === 'function'
    ? (data) => Buffer.from(crypto.hash('sha256', data, 'binary'), 'binary')
    : (data) => crypto.createHash('sha256').update(data).digest();

/** SHA-256 of nothing: the root of the empty tree. */
export const EMPTY_ROOT: Buffer = sha256(new Uint8Array(0));

// Scratch space for the prefixed inputs: hashing is synchronous, so one buffer of each size serves every call.
const leafInput = Buffer.alloc(1 + 32);
const nodeInput = Buffer.alloc(1 + 32 + 32);
nodeInput[0] = 0x01;

export function leafHash(leafData: Uint8Array): Buffer {
  if (leafData.length === 32) {
    leafInput.set(leafData, 1);
    return sha256(leafInput);
  }
  return sha256(Buffer.concat([leafInput.subarray(0, 1), leafData]));
}

/** The leaf hash of an event whose stored hash is `hex` (the hex digits decoded as Buffer.from(hex, 'hex') does). */
export function leafHashOfHex(hex: string): Buffer {
  if (hex.length === 64) {
    const written = leafInput.write(hex, 1, 'hex');
    if (written === 32) return sha256(leafInput);
  }
  return leafHash(Buffer.from(hex, 'hex'));
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  if (left.length === 32 && right.length === 32) {
    nodeInput.set(left, 1);
    nodeInput.set(right, 33);
    return sha256(nodeInput);
  }
  return sha256(Buffer.concat([nodeInput.subarray(0, 1), left, right]));
}

/** The largest power of two strictly below n (n >= 2). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * A tree built leaf by leaf in constant memory per level: the roots of the perfect subtrees that make up
 * the leaves so far (sizes the binary digits of the count, largest first). Fed the leaves of any range
 * D[a:b], it gives MTH(D[a:b]).
 */
export class MerkleFrontier {
  private readonly hashes: Buffer[] = [];
  private readonly sizes: number[] = [];
  private count = 0;

  /** Continues from a frontier another tree of `size` leaves exported (`subtrees()`). */
  static resume(size: number, subtrees: readonly Buffer[]): MerkleFrontier {
    const frontier = new MerkleFrontier();
    const sizes = perfectSubtreeSizes(size);
    if (sizes.length !== subtrees.length) {
      throw new RangeError(
        `a tree of ${size} leaves has ${sizes.length} perfect subtrees, not ${subtrees.length}`,
      );
    }
    frontier.hashes.push(...subtrees);
    frontier.sizes.push(...sizes);
    frontier.count = size;
    return frontier;
  }

  get size(): number {
    return this.count;
  }

  /** Adds a leaf, given as its leaf hash (`leafHash(data)`). */
  push(leaf: Buffer): void {
    let hash = leaf;
    let size = 1;
    while (this.sizes.length > 0 && this.sizes[this.sizes.length - 1] === size) {
      hash = nodeHash(this.hashes.pop()!, hash);
      this.sizes.pop();
      size *= 2;
    }
    this.hashes.push(hash);
    this.sizes.push(size);
    this.count += 1;
  }

  root(): Buffer {
    if (this.hashes.length === 0) return EMPTY_ROOT;
    let root = this.hashes[this.hashes.length - 1]!;
    for (let index = this.hashes.length - 2; index >= 0; index -= 1)
      root = nodeHash(this.hashes[index]!, root);
    return root;
  }

  /** The perfect subtrees' roots, largest (leftmost) first: what `resume` needs. */
  subtrees(): Buffer[] {
    return [...this.hashes];
  }
}

/** The sizes of the perfect subtrees a tree of `size` leaves is made of, largest first. */
export function perfectSubtreeSizes(size: number): number[] {
  const sizes: number[] = [];
  for (let bit = 2 ** Math.floor(Math.log2(Math.max(size, 1))); bit >= 1; bit /= 2) {
    if (size >= bit && Math.floor(size / bit) % 2 === 1) sizes.push(bit);
  }
  return sizes;
}

/** MTH over leaf hashes held in memory (tests, small trees). */
export function merkleRoot(leaves: readonly Buffer[]): Buffer {
  const frontier = new MerkleFrontier();
  for (const leaf of leaves) frontier.push(leaf);
  return frontier.root();
}

/** A range of leaves [start, end) whose subtree hash is one entry of a proof. */
export interface LeafRange {
  readonly start: number;
  readonly end: number;
}

/** The subtrees, in proof order, of the inclusion proof of leaf `index` in a tree of `size` leaves (RFC 9162 2.1.3.1). */
export function inclusionProofRanges(index: number, size: number): LeafRange[] {
  checkIndex(index, size);
  const path: LeafRange[] = [];
  const walk = (m: number, start: number, end: number): void => {
    const n = end - start;
    if (n <= 1) return;
    const k = splitPoint(n);
    if (m < k) {
      walk(m, start, start + k);
      path.push({ start: start + k, end });
    } else {
      walk(m - k, start + k, end);
      path.push({ start, end: start + k });
    }
  };
  walk(index, 0, size);
  return path;
}

/** The subtrees, in proof order, of the consistency proof from a tree of `first` leaves to one of `second` (RFC 9162 2.1.4.1). */
export function consistencyProofRanges(first: number, second: number): LeafRange[] {
  if (!Number.isInteger(first) || !Number.isInteger(second) || first < 0 || first > second) {
    throw new RangeError(`no consistency proof from a tree of ${first} leaves to one of ${second}`);
  }
  if (first === 0 || first === second) return [];
  const proof: LeafRange[] = [];
  const subproof = (m: number, start: number, end: number, complete: boolean): void => {
    const n = end - start;
    if (m === n) {
      if (!complete) proof.push({ start, end });
      return;
    }
    const k = splitPoint(n);
    if (m <= k) {
      subproof(m, start, start + k, complete);
      proof.push({ start: start + k, end });
    } else {
      subproof(m - k, start + k, end, false);
      proof.push({ start, end: start + k });
    }
  };
  subproof(first, 0, second, true);
  return proof;
}

function subtreeHash(leaves: readonly Buffer[], range: LeafRange): Buffer {
  return merkleRoot(leaves.slice(range.start, range.end));
}

export function inclusionProof(leaves: readonly Buffer[], index: number): Buffer[] {
  return inclusionProofRanges(index, leaves.length).map((range) => subtreeHash(leaves, range));
}

export function consistencyProof(leaves: readonly Buffer[], first: number): Buffer[] {
  return consistencyProofRanges(first, leaves.length).map((range) => subtreeHash(leaves, range));
}

/** RFC 9162 2.1.3.2: whether `path` proves that `leaf` (a leaf hash) is leaf `index` of the tree with `root`. */
export function verifyInclusion(
  leaf: Buffer,
  index: number,
  size: number,
  path: readonly Buffer[],
  root: Buffer,
): boolean {
  if (!Number.isInteger(index) || !Number.isInteger(size) || index < 0 || index >= size) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of path) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && r.equals(root);
}

/** RFC 9162 2.1.4.2: whether `proof` shows the tree (`second`, `secondRoot`) extends (`first`, `firstRoot`). */
export function verifyConsistency(
  first: number,
  second: number,
  firstRoot: Buffer,
  secondRoot: Buffer,
  proof: readonly Buffer[],
): boolean {
  if (!Number.isInteger(first) || !Number.isInteger(second) || first < 0 || first > second) return false;
  if (first === second) return proof.length === 0 && firstRoot.equals(secondRoot);
  if (first === 0) return proof.length === 0 && firstRoot.equals(EMPTY_ROOT);
  if (proof.length === 0) return false;
  const path = isPowerOfTwo(first) ? [firstRoot, ...proof] : [...proof];
  let fn = first - 1;
  let sn = second - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return fr.equals(firstRoot) && sr.equals(secondRoot) && sn === 0;
}

function isPowerOfTwo(n: number): boolean {
  return n > 0 && Number.isInteger(Math.log2(n));
}

function checkIndex(index: number, size: number): void {
  if (!Number.isInteger(index) || !Number.isInteger(size) || index < 0 || index >= size) {
    throw new RangeError(`leaf ${index} is not in a tree of ${size} leaves`);
  }
}
