/**
 * A growable byte buffer the whole-log check assembles an event's hashed text in, and canonicalJson written into it
 * straight from PostgreSQL's jsonb text output (bytes of a COPY line), without building strings or values: one
 * buffer serves every event. Only the common case is handled here (see `writeJsonbAsCanonical`); whatever else
 * it meets it declines, and the caller takes the general path (canonicalJsonOfJsonbText), which is the reference.
 */
export class CanonicalBytes {
  bytes: Buffer = Buffer.allocUnsafe(1 << 16);
  length = 0;
  /** Scratch space for reordering an object's entries. */
  private scratch: Buffer = Buffer.allocUnsafe(1 << 16);
  /** Per entry of the objects being written: key start, key end (in the source), entry start, entry end (here). */
  private entries = new Int32Array(4 * 1024);
  private entryTop = 0;
  /** The entries of the object being reordered, by index into `entries`. */
  private order = new Int32Array(256);

  /** Empties the buffer and makes room for at least `bytes` bytes. */
  reset(bytes: number): void {
    this.length = 0;
    this.entryTop = 0;
    if (this.bytes.length < bytes) {
      this.bytes = Buffer.allocUnsafe(bytes);
      this.scratch = Buffer.allocUnsafe(bytes);
    }
  }

  /** Appends an ASCII constant given as its bytes. */
  ascii(constant: Uint8Array): void {
    const out = this.bytes;
    let at = this.length;
    for (let index = 0; index < constant.length; index += 1) out[at++] = constant[index]!;
    this.length = at;
  }

  /** Appends `source[start, end)`. */
  copy(source: Buffer, start: number, end: number): void {
    const out = this.bytes;
    let at = this.length;
    for (let index = start; index < end; index += 1) out[at++] = source[index]!;
    this.length = at;
  }

  /**
   * Appends canonicalJson of the value whose jsonb text output is `source[start, end)` (", " and ": " between
   * entries, keys ordered by length first), and says whether it could: false (with the buffer's content undefined)
   * for text outside the common case: any backslash (escaped strings: the caller already refuses them), a key
   * with a byte above 0x7F (UTF-8's order is not JavaScript's for every such key), a control character, or
   * anything not jsonb's own layout.
   */
  writeJsonbAsCanonical(source: Buffer, start: number, end: number): boolean {
    // The buffer holds at most the source's bytes: canonical text drops spaces and copies everything else.
    if (this.bytes.length - this.length < end - start) return false;
    const after = this.value(source, start, end);
    return after === end;
  }

  /** Writes the value at `at`; answers the index after it, or -1 when declined. */
  private value(source: Buffer, at: number, end: number): number {
    if (at >= end) return -1;
    const code = source[at]!;
    if (code === 0x22) return this.string(source, at, end);
    if (code === 0x7b) return this.object(source, at, end);
    if (code === 0x5b) return this.array(source, at, end);
    if (code === 0x74) return this.literal(source, at, end, TRUE);
    if (code === 0x66) return this.literal(source, at, end, FALSE);
    if (code === 0x6e) return this.literal(source, at, end, NULL);
    return this.number(source, at, end);
  }

  private literal(source: Buffer, at: number, end: number, word: Uint8Array): number {
    if (at + word.length > end) return -1;
    for (let index = 0; index < word.length; index += 1) if (source[at + index] !== word[index]) return -1;
    this.ascii(word);
    return at + word.length;
  }

  /** A string without escapes, copied with its quotes; -1 for a backslash or a control character. */
  private string(source: Buffer, at: number, end: number): number {
    const out = this.bytes;
    let written = this.length;
    out[written++] = 0x22;
    for (let index = at + 1; index < end; index += 1) {
      const code = source[index]!;
      if (code === 0x22) {
        out[written++] = 0x22;
        this.length = written;
        return index + 1;
      }
      if (code < 0x20 || code === 0x5c) return -1;
      out[written++] = code;
    }
    return -1;
  }

  /**
   * A number: copied as it is when JSON.stringify(Number(text)) is the text itself (the common case, checked on
   * the bytes as canonicalJson's isPrintedAsIs does), else written as JSON.stringify(Number(text)) (more than 15
   * digits, below 1e-6, trailing fraction zeros, -0); -1 for text that is not a JSON number.
   */
  private number(source: Buffer, at: number, end: number): number {
    let index = at;
    const negative = source[index] === 0x2d;
    if (negative) index += 1;
    const first = index;
    while (index < end && isDigit(source[index]!)) index += 1;
    const integerDigits = index - first;
    // wellFormed: the JSON number grammar without an exponent (checked here, so no regular expression is needed).
    const wellFormed = integerDigits > 0 && (integerDigits === 1 || source[first] !== 0x30);
    let fractionWellFormed = true;
    let printedAsIs = wellFormed;
    let digits = integerDigits;
    if (index < end && source[index] === 0x2e) {
      index += 1;
      const fraction = index;
      while (index < end && isDigit(source[index]!)) index += 1;
      if (index === fraction) fractionWellFormed = false;
      // No digit, or a trailing zero.
      if (index === fraction || source[index - 1] === 0x30) printedAsIs = false;
      digits += index - fraction;
      // Below 1e-6 JavaScript prints an exponent: 0.000000...
      if (integerDigits === 1 && source[first] === 0x30 && index - fraction >= 6) {
        let zeros = 0;
        while (zeros < 6 && source[fraction + zeros] === 0x30) zeros += 1;
        if (zeros === 6) printedAsIs = false;
      }
    } else if (negative && integerDigits === 1 && source[first] === 0x30) {
      printedAsIs = false; // -0
    }
    if (digits > 15) printedAsIs = false;
    let exponent = false;
    while (index < end && isNumberCharacter(source[index]!)) {
      exponent = true; // an exponent, or text that is not a number
      index += 1;
    }
    if (printedAsIs && !exponent) {
      this.copy(source, at, index);
      return index;
    }
    const literal = source.toString('latin1', at, index);
    const grammarChecked = wellFormed && fractionWellFormed && !exponent;
    if (!grammarChecked && !JSON_NUMBER.test(literal)) return -1;
    const printed = JSON.stringify(Number(literal));
    if (this.bytes.length - this.length < printed.length) return -1;
    this.length += this.bytes.write(printed, this.length, 'latin1');
    return index;
  }

  private array(source: Buffer, at: number, end: number): number {
    const out = this.bytes;
    out[this.length++] = 0x5b;
    let index = at + 1;
    if (source[index] === 0x5d) {
      out[this.length++] = 0x5d;
      return index + 1;
    }
    for (;;) {
      index = this.value(source, index, end);
      if (index < 0 || index >= end) return -1;
      const code = source[index]!;
      if (code === 0x5d) {
        out[this.length++] = 0x5d;
        return index + 1;
      }
      // jsonb separates elements with ", ".
      if (code !== 0x2c || source[index + 1] !== 0x20) return -1;
      out[this.length++] = 0x2c;
      index += 2;
    }
  }

  private object(source: Buffer, at: number, end: number): number {
    const objectStart = this.length;
    this.bytes[this.length++] = 0x7b;
    let index = at + 1;
    if (source[index] === 0x7d) {
      this.bytes[this.length++] = 0x7d;
      return index + 1;
    }
    const firstEntry = this.entryTop;
    let sorted = true;
    for (;;) {
      if (source[index] !== 0x22) return -1;
      const keyStart = index + 1;
      let keyEnd = keyStart;
      while (keyEnd < end && source[keyEnd] !== 0x22) {
        const code = source[keyEnd]!;
        if (code < 0x20 || code === 0x5c || code > 0x7e) return -1;
        keyEnd += 1;
      }
      if (keyEnd >= end || source[keyEnd + 1] !== 0x3a || source[keyEnd + 2] !== 0x20) return -1;
      if (this.entryTop + 4 > this.entries.length) {
        const grown = new Int32Array(this.entries.length * 2);
        grown.set(this.entries);
        this.entries = grown;
      }
      const entryStart = this.length;
      this.copy(source, keyStart - 1, keyEnd + 1);
      this.bytes[this.length++] = 0x3a;
      index = this.value(source, keyEnd + 3, end);
      if (index < 0 || index >= end) return -1;
      if (this.entryTop > firstEntry) {
        const previous = this.entryTop - 4;
        const entries = this.entries;
        const order = compareBytes(source, entries[previous]!, entries[previous + 1]!, keyStart, keyEnd);
        if (order === 0) return -1; // a repeated key: not jsonb's text
        if (order > 0) sorted = false;
      }
      const entries = this.entries;
      entries[this.entryTop] = keyStart;
      entries[this.entryTop + 1] = keyEnd;
      entries[this.entryTop + 2] = entryStart;
      entries[this.entryTop + 3] = this.length;
      this.entryTop += 4;
      const code = source[index]!;
      if (code === 0x7d) break;
      if (code !== 0x2c || source[index + 1] !== 0x20) return -1;
      this.bytes[this.length++] = 0x2c;
      index += 2;
    }
    if (!sorted) this.reorder(source, firstEntry, objectStart + 1);
    this.entryTop = firstEntry;
    this.bytes[this.length++] = 0x7d;
    return index + 1;
  }

  /** Rewrites the entries from `firstEntry` (written from `from`, comma-separated) in key order. */
  private reorder(source: Buffer, firstEntry: number, from: number): void {
    const entries = this.entries;
    const count = (this.entryTop - firstEntry) / 4;
    if (this.order.length < count) this.order = new Int32Array(count * 2);
    const order = this.order;
    // Keys are ASCII here, so byte order is JavaScript's string order (canonicalJson sorts keys with
    // Array.prototype.sort). Insertion sort for the usual small object, Array.sort for a large one.
    const before = (a: number, b: number) =>
      compareBytes(source, entries[a]!, entries[a + 1]!, entries[b]!, entries[b + 1]!);
    if (count > 32) {
      const sorted = Array.from({ length: count }, (_, entry) => firstEntry + 4 * entry).sort(before);
      order.set(sorted);
    } else {
      for (let entry = 0; entry < count; entry += 1) {
        const base = firstEntry + 4 * entry;
        let place = entry;
        while (place > 0 && before(order[place - 1]!, base) > 0) {
          order[place] = order[place - 1]!;
          place -= 1;
        }
        order[place] = base;
      }
    }
    const scratch = this.scratch;
    const out = this.bytes;
    let at = 0;
    for (let entry = 0; entry < count; entry += 1) {
      if (entry > 0) scratch[at++] = 0x2c;
      const base = order[entry]!;
      for (let index = entries[base + 2]!; index < entries[base + 3]!; index += 1)
        scratch[at++] = out[index]!;
    }
    for (let index = 0; index < at; index += 1) out[from + index] = scratch[index]!;
    this.length = from + at;
  }
}

/** Bytes order of `source[a, aEnd)` and `source[b, bEnd)`: negative, 0 or positive. */
function compareBytes(source: Buffer, a: number, aEnd: number, b: number, bEnd: number): number {
  const length = Math.min(aEnd - a, bEnd - b);
  for (let index = 0; index < length; index += 1) {
    const difference = source[a + index]! - source[b + index]!;
    if (difference !== 0) return difference;
  }
  return aEnd - a - (bEnd - b);
}

const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

/** The characters canonicalJsonOfJsonbText's scanner takes into a number: - + . 0-9 e E. */
function isNumberCharacter(code: number): boolean {
  return isDigit(code) || code === 0x2d || code === 0x2b || code === 0x2e || code === 0x65 || code === 0x45;
}

const TRUE = Buffer.from('true', 'latin1');
const FALSE = Buffer.from('false', 'latin1');
const NULL = Buffer.from('null', 'latin1');
