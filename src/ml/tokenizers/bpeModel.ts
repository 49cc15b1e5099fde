/** One initial symbol of a word (a character, or a byte-level character) with its span in the original text. */
export interface BpeSymbol {
  readonly token: string;
  readonly start: number;
  readonly end: number;
}

export interface BpeToken {
  readonly id: number;
  readonly start: number;
  readonly end: number;
}

export interface BpeOptions {
  readonly byteFallback: boolean;
  readonly unkToken: string | null;
  readonly fuseUnk: boolean;
  /** Llama 3: a word found whole in the vocabulary is one token, whatever the merges say. */
  readonly ignoreMerges: boolean;
}

interface CachedToken {
  readonly id: number;
  readonly first: number;
  readonly last: number;
}

const utf8 = new TextEncoder();
const CACHE_LIMIT = 50_000;
/** Pre-tokenized words repeat; whole unsplit texts (SentencePiece layouts) do not and are not worth keeping. */
const CACHE_WORD_LENGTH = 64;

/**
 * Byte-pair encoding as Hugging Face `tokenizers` runs it: characters missing from the vocabulary become
 * `<0xNN>` byte tokens (byte fallback) or the unknown token, then the lowest-ranked adjacent pair merges
 * first, ties going to the leftmost pair. A heap keeps long unsplit inputs (SentencePiece-style models have
 * no pre-tokenizer) at n log n.
 */
export class BpeModel {
  // left id → right id → merge index. Two small-integer levels: one combined key would exceed V8's small
  // integers for large vocabularies and make every look-up hash a heap number.
  private readonly merges = new Map<number, Map<number, number>>();
  private readonly mergedIds: Int32Array;
  private readonly cache = new Map<string, CachedToken[]>();
  private readonly unkId: number | undefined;

  constructor(
    private readonly vocab: ReadonlyMap<string, number>,
    merges: ReadonlyArray<readonly [string, string]>,
    private readonly options: BpeOptions,
  ) {
    this.mergedIds = new Int32Array(merges.length);
    merges.forEach(([a, b], rank) => {
      const left = vocab.get(a);
      const right = vocab.get(b);
      const merged = vocab.get(a + b);
      if (left === undefined || right === undefined || merged === undefined) {
        throw new Error(
          `tokenizer.json: merge #${rank} "${a} ${b}" uses a token missing from model.vocab; the file is inconsistent`,
        );
      }
      let byRight = this.merges.get(left);
      if (byRight === undefined) this.merges.set(left, (byRight = new Map()));
      if (!byRight.has(right)) byRight.set(right, rank);
      this.mergedIds[rank] = merged;
    });
    this.unkId = options.unkToken === null ? undefined : vocab.get(options.unkToken);
  }

  tokenize(symbols: readonly BpeSymbol[]): BpeToken[] {
    if (symbols.length === 0) return [];
    const key = symbols.map((s) => s.token).join('');
    let cached = this.cache.get(key);
    if (cached === undefined) {
      cached = this.tokenizeUncached(symbols, key);
      if (symbols.length <= CACHE_WORD_LENGTH) {
        if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
        this.cache.set(key, cached);
      }
    }
    return cached.map((t) => ({ id: t.id, start: symbols[t.first].start, end: symbols[t.last].end }));
  }

  private tokenizeUncached(symbols: readonly BpeSymbol[], whole: string): CachedToken[] {
    if (this.options.ignoreMerges) {
      const id = this.vocab.get(whole);
      if (id !== undefined) return [{ id, first: 0, last: symbols.length - 1 }];
    }
    // Parts of the linked list: one node per initial token, a node's [first, last] symbol range grows as it merges.
    const ids: number[] = [];
    const first: number[] = [];
    const last: number[] = [];
    symbols.forEach((s, i) => {
      const id = this.vocab.get(s.token);
      if (id !== undefined) {
        ids.push(id);
        first.push(i);
        last.push(i);
        return;
      }
      if (this.options.byteFallback) {
        const byteIds = [...utf8.encode(s.token)].map((b) => this.vocab.get(byteTokenName(b)));
        if (byteIds.every((b) => b !== undefined)) {
          for (const b of byteIds) {
            ids.push(b as number);
            first.push(i);
            last.push(i);
          }
          return;
        }
      }
      if (this.unkId === undefined) {
        throw new Error(
          `tokenizer: "${s.token}" is not in the vocabulary and the tokenizer has neither byte fallback nor an unknown token`,
        );
      }
      const n = ids.length;
      if (this.options.fuseUnk && n > 0 && ids[n - 1] === this.unkId) {
        last[n - 1] = i;
        return;
      }
      ids.push(this.unkId);
      first.push(i);
      last.push(i);
    });

    const n = ids.length;
    const next = Array.from({ length: n }, (_, i) => (i + 1 < n ? i + 1 : -1));
    const prev = Array.from({ length: n }, (_, i) => i - 1);
    const alive = new Array<boolean>(n).fill(true);
    const heap = new PairHeap();
    const pushPair = (left: number): void => {
      const right = next[left];
      if (right < 0) return;
      const rank = this.merges.get(ids[left])?.get(ids[right]);
      if (rank !== undefined) heap.push({ rank, left, leftId: ids[left], rightId: ids[right] });
    };
    for (let i = 0; i < n - 1; i++) pushPair(i);
    for (let entry = heap.pop(); entry !== undefined; entry = heap.pop()) {
      const { left, leftId, rightId } = entry;
      const right = next[left];
      if (!alive[left] || right < 0 || ids[left] !== leftId || ids[right] !== rightId) continue;
      ids[left] = this.mergedIds[entry.rank];
      last[left] = last[right];
      alive[right] = false;
      next[left] = next[right];
      if (next[right] >= 0) prev[next[right]] = left;
      if (prev[left] >= 0) pushPair(prev[left]);
      pushPair(left);
    }
    const out: CachedToken[] = [];
    for (let i = 0; i >= 0 && i < n; i = next[i]) out.push({ id: ids[i], first: first[i], last: last[i] });
    return out;
  }
}

export function byteTokenName(byte: number): string {
  return `<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`;
}

interface PairEntry {
  readonly rank: number;
  readonly left: number;
  readonly leftId: number;
  readonly rightId: number;
}

/** Min-heap on (rank, position of the left symbol). */
class PairHeap {
  private readonly items: PairEntry[] = [];

  push(item: PairEntry): void {
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(a[i], a[parent])) break;
      [a[i], a[parent]] = [a[parent], a[i]];
      i = parent;
    }
  }

  pop(): PairEntry | undefined {
    const a = this.items;
    if (a.length === 0) return undefined;
    const top = a[0];
    const end = a.pop() as PairEntry;
    if (a.length > 0) {
      a[0] = end;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let smallest = i;
        if (l < a.length && less(a[l], a[smallest])) smallest = l;
        if (r < a.length && less(a[r], a[smallest])) smallest = r;
        if (smallest === i) break;
        [a[i], a[smallest]] = [a[smallest], a[i]];
        i = smallest;
      }
    }
    return top;
  }
}

function less(x: PairEntry, y: PairEntry): boolean {
  return x.rank < y.rank || (x.rank === y.rank && x.left < y.left);
}
