const utf8 = new TextEncoder();

/**
 * For each UTF-8 byte of `text`, the [start, end) UTF-16 span of the character it belongs to. Lets tokenizers
 * that work on bytes report character offsets.
 */
export function byteToCharSpans(text: string): { starts: Int32Array; ends: Int32Array } {
  const total = utf8.encode(text).length;
  const starts = new Int32Array(total);
  const ends = new Int32Array(total);
  let byte = 0;
  let unit = 0;
  for (const ch of text) {
    const n = utf8.encode(ch).length;
    for (let k = 0; k < n; k++) {
      starts[byte + k] = unit;
      ends[byte + k] = unit + ch.length;
    }
    byte += n;
    unit += ch.length;
  }
  return { starts, ends };
}

/**
 * Character spans of tokens given how many bytes of `text` each token covers, in order. `prefixBytes` bytes
 * the tokenizer added in front of the text (SentencePiece's leading space) map to an empty span at 0.
 */
export function offsetsFromByteLengths(
  text: string,
  tokenByteLengths: readonly number[],
  prefixBytes = 0,
  base = 0,
): Array<readonly [number, number]> {
  const { starts, ends } = byteToCharSpans(text);
  const offsets: Array<readonly [number, number]> = [];
  let pos = -prefixBytes;
  for (const len of tokenByteLengths) {
    const first = Math.max(pos, 0);
    const last = Math.min(pos + len, starts.length) - 1;
    if (len === 0 || last < first) {
      const at = first < starts.length ? starts[first] : text.length;
      offsets.push([base + at, base + at]);
    } else {
      offsets.push([base + starts[first], base + ends[last]]);
    }
    pos += len;
  }
  return offsets;
}
