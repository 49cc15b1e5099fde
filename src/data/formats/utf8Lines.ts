/** The largest record a dataset file may hold on one line, in bytes (README "Limits"). */
export const MAX_RECORD_BYTES = 1024 * 1024;

/** A line the decoder dropped: not UTF-8, or longer than MAX_RECORD_BYTES. */
export interface DroppedLine {
  readonly line: number;
  readonly problem: string;
  readonly expected: string;
}

const NEWLINE = 0x0a;

/**
 * The offset of the first byte of `bytes` that does not continue a well-formed UTF-8 sequence (RFC 3629:
 * no overlong forms, no surrogates, nothing above U+10FFFF), or -1 when every byte is well formed.
 */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let length: number;
    let min = 0x80;
    let max = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) length = 2;
    else if (b >= 0xe0 && b <= 0xef) {
      length = 3;
      if (b === 0xe0) min = 0xa0;
      if (b === 0xed) max = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      length = 4;
      if (b === 0xf0) min = 0x90;
      if (b === 0xf4) max = 0x8f;
    } else return i;
    for (let k = 1; k < length; k++) {
      const c = bytes[i + k];
      // The second byte has the narrowed range; the rest are plain continuation bytes.
      const [low, high] = k === 1 ? [min, max] : [0x80, 0xbf];
      if (c === undefined || c < low || c > high) return i;
    }
    i += length;
  }
  return -1;
}

/**
 * Decodes a byte stream as UTF-8, refusing to guess: a line that is not UTF-8, or is longer than
 * `maxLineBytes`, is reported to `onDropped` (with its line number, and the byte offset of a bad byte) and
 * passed on as an empty line, so line numbers stay right and readers skip it. Text chunks (a stream
 * already decoded) pass through as they are. Lines are split on the byte 0x0A, which never occurs inside
 * a UTF-8 sequence.
 */
export async function* decodeUtf8Lines(
  chunks: AsyncIterable<Uint8Array | string>,
  onDropped: (dropped: DroppedLine) => void,
  maxLineBytes = MAX_RECORD_BYTES,
): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  let carry = Buffer.alloc(0);
  /** Line number and byte offset (in the file) of the first byte of `carry`. */
  let line = 1;
  let offset = 0;
  /** The current line already passed maxLineBytes and was reported: skip to its end. */
  let skipping = false;

  const tooLong = (at: number): DroppedLine => ({
    line: at,
    problem: `is longer than the record limit of ${maxLineBytes} bytes`,
    expected: `records of at most ${maxLineBytes} bytes (README "Limits")`,
  });

  /** Whole lines (each but maybe the last ending in a newline) as text; drops and reports bad ones. */
  function decodeLines(bytes: Buffer): string {
    let longest = 0;
    // A stretch no longer than the limit cannot hold a line over it: the scan is for the rare long chunk.
    if (bytes.length > maxLineBytes) {
      for (let start = 0; start < bytes.length;) {
        const nl = bytes.indexOf(NEWLINE, start);
        const end = nl === -1 ? bytes.length : nl;
        longest = Math.max(longest, end - start);
        start = end + 1;
      }
    }
    if (longest <= maxLineBytes) {
      try {
        return decoder.decode(bytes);
      } catch {
        // Some line is not UTF-8: find it below.
      }
    }
    const parts: string[] = [];
    for (let start = 0, at = line; start < bytes.length; at++) {
      const nl = bytes.indexOf(NEWLINE, start);
      const end = nl === -1 ? bytes.length : nl + 1;
      const slice = bytes.subarray(start, end);
      const bad = slice.length - (nl === -1 ? 0 : 1) > maxLineBytes ? -2 : firstInvalidUtf8(slice);
      if (bad === -1) parts.push(decoder.decode(slice));
      else {
        onDropped(
          bad === -2
            ? tooLong(at)
            : {
                line: at,
                problem: `is not valid UTF-8 (byte 0x${slice[bad]!.toString(16).padStart(2, '0')} at byte offset ${offset + start + bad} of the file)`,
                expected: 'UTF-8 text',
              },
        );
        parts.push(nl === -1 ? '' : '\n');
      }
      start = end;
    }
    return parts.join('');
  }

  for await (const chunk of chunks) {
    if (typeof chunk === 'string') {
      yield chunk;
      continue;
    }
    let bytes = carry.length === 0 ? Buffer.from(chunk) : Buffer.concat([carry, chunk]);
    if (skipping) {
      const nl = bytes.indexOf(NEWLINE);
      if (nl === -1) {
        offset += bytes.length;
        carry = Buffer.alloc(0);
        continue;
      }
      // The rest of the long line goes; its newline stays, so the reader sees an empty line.
      offset += nl;
      bytes = bytes.subarray(nl);
      skipping = false;
    }
    const last = bytes.lastIndexOf(NEWLINE);
    carry = bytes.subarray(last + 1);
    if (last !== -1) {
      const complete = bytes.subarray(0, last + 1);
      const text = decodeLines(complete);
      for (let at = complete.indexOf(NEWLINE); at !== -1; at = complete.indexOf(NEWLINE, at + 1)) line++;
      offset += complete.length;
      if (text) yield text;
    }
    if (carry.length > maxLineBytes) {
      // Keep nothing of a line that is already too long, so memory stays bounded; report it once.
      onDropped(tooLong(line));
      offset += carry.length;
      carry = Buffer.alloc(0);
      skipping = true;
    }
  }
  if (carry.length > 0 && !skipping) {
    const text = decodeLines(carry);
    if (text) yield text;
  }
}
