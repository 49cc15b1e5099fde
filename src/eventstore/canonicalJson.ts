import { InvalidEventError } from './errors.js';

/**
 * JSON with object keys sorted at every level and no whitespace: the same value always gives the
 * same text, which is what the hash chain needs. Throws on anything JSON cannot carry faithfully
 * (undefined, functions, NaN, Infinity, bigint, symbols, class instances other than Date, cycles,
 * and NUL characters, which PostgreSQL's jsonb refuses).
 */
export function canonicalJson(value: unknown, where = 'data'): string {
  return write(value, where, new Set());
}

function write(value: unknown, path: string, seen: Set<object>): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      if (value.includes('\u0000')) throw invalid(path, 'contains a NUL character (\\u0000)');
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw invalid(path, `is ${value}, which JSON cannot represent`);
      return JSON.stringify(value);
    case 'object': {
      if (seen.has(value)) throw invalid(path, 'is a circular reference');
      seen.add(value);
      try {
        if (Array.isArray(value)) {
          return `[${value.map((item, index) => write(item, `${path}[${index}]`, seen)).join(',')}]`;
        }
        const prototype = Object.getPrototypeOf(value) as unknown;
        if (prototype !== Object.prototype && prototype !== null) {
          throw invalid(
            path,
            `is a ${(value as object).constructor?.name ?? 'non-plain object'}; pass plain JSON (e.g. dates as ISO strings)`,
          );
        }
        const entries = Object.keys(value)
          .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
          .sort()
          .map(
            (key) =>
              `${JSON.stringify(key)}:${write((value as Record<string, unknown>)[key], `${path}.${key}`, seen)}`,
          );
        return `{${entries.join(',')}}`;
      } finally {
        seen.delete(value);
      }
    }
    default:
      throw invalid(path, `is a ${typeof value}, which JSON cannot represent`);
  }
}

function invalid(path: string, what: string): InvalidEventError {
  return new InvalidEventError(`${path} ${what}; event data must be plain JSON`);
}

/**
 * canonicalJson for a value JSON.parse (or the database's jsonb) produced: the same text, without the checks
 * and error paths such a value cannot need. The whole-log check hashes every event with it.
 */
export function canonicalJsonOfParsed(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'number':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (Array.isArray(value)) {
        let text = '[';
        for (let index = 0; index < value.length; index += 1) {
          if (index > 0) text += ',';
          text += canonicalJsonOfParsed(value[index]);
        }
        return `${text}]`;
      }
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record).sort();
      let text = '{';
      for (let index = 0; index < keys.length; index += 1) {
        if (index > 0) text += ',';
        const key = keys[index]!;
        text += `${JSON.stringify(key)}:${canonicalJsonOfParsed(record[key])}`;
      }
      return `${text}}`;
    }
    default:
      // Not something JSON.parse returns: the checked path says why.
      return canonicalJson(value);
  }
}

/**
 * canonicalJson of the value whose PostgreSQL `jsonb` text output is `text`, without building the value: jsonb
 * already escapes strings as JSON.stringify does and keeps no duplicate keys, so what differs is whitespace (", "
 * and ": "), key order (jsonb sorts keys by length first) and numbers (numeric never prints an exponent). Numbers
 * that could print differently in JavaScript (more than 15 digits, below 1e-6, trailing zeros, -0) go through
 * Number and JSON.stringify; anything it does not expect falls back to JSON.parse and canonicalJsonOfParsed. The
 * whole-log check hashes every event with it.
 */
export function canonicalJsonOfJsonbText(text: string): string {
  const scanner = new JsonbScanner(text);
  try {
    const canonical = scanner.value();
    scanner.skipSpace();
    if (scanner.index === text.length) return canonical;
  } catch {
    // Not the jsonb text the scanner knows: the general path decides.
  }
  return canonicalJsonOfParsed(JSON.parse(text));
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const SAFE_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d*[1-9])?$/;

class JsonbScanner {
  index = 0;

  constructor(private readonly text: string) {}

  skipSpace(): void {
    const text = this.text;
    while (this.index < text.length) {
      const code = text.charCodeAt(this.index);
      if (code !== 0x20 && code !== 0x0a && code !== 0x0d && code !== 0x09) return;
      this.index += 1;
    }
  }

  value(): string {
    this.skipSpace();
    const text = this.text;
    const code = text.charCodeAt(this.index);
    if (code === QUOTE) return this.string();
    if (code === 0x7b) return this.object();
    if (code === 0x5b) return this.array();
    if (text.startsWith('true', this.index)) return this.literal('true');
    if (text.startsWith('false', this.index)) return this.literal('false');
    if (text.startsWith('null', this.index)) return this.literal('null');
    return this.number();
  }

  private literal(word: string): string {
    this.index += word.length;
    return word;
  }

  /** The string's JSON text as written (jsonb's escapes are JSON.stringify's). */
  private string(): string {
    const text = this.text;
    const start = this.index;
    let end = start;
    for (;;) {
      end = text.indexOf('"', end + 1);
      if (end < 0) throw new SyntaxError('unterminated string');
      let backslashes = 0;
      while (text.charCodeAt(end - 1 - backslashes) === BACKSLASH) backslashes += 1;
      if (backslashes % 2 === 0) break;
    }
    this.index = end + 1;
    return text.slice(start, end + 1);
  }

  private number(): string {
    const text = this.text;
    const start = this.index;
    let end = start;
    for (;;) {
      const code = text.charCodeAt(end);
      // - + . 0-9 e E
      if (
        (code >= 0x30 && code <= 0x39) ||
        code === 0x2d ||
        code === 0x2e ||
        code === 0x2b ||
        code === 0x65 ||
        code === 0x45
      )
        end += 1;
      else break;
    }
    if (end === start) throw new SyntaxError(`unexpected character at ${start}`);
    this.index = end;
    const literal = text.slice(start, end);
    return isPrintedAsIs(literal) ? literal : JSON.stringify(Number(literal));
  }

  private array(): string {
    this.index += 1;
    this.skipSpace();
    if (this.text.charCodeAt(this.index) === 0x5d) {
      this.index += 1;
      return '[]';
    }
    let out = '[';
    for (;;) {
      out += this.value();
      this.skipSpace();
      const code = this.text.charCodeAt(this.index);
      this.index += 1;
      if (code === 0x5d) return `${out}]`;
      if (code !== 0x2c) throw new SyntaxError(`expected , or ] at ${this.index - 1}`);
      out += ',';
    }
  }

  private object(): string {
    this.index += 1;
    this.skipSpace();
    if (this.text.charCodeAt(this.index) === 0x7d) {
      this.index += 1;
      return '{}';
    }
    const entries: { key: string; text: string }[] = [];
    let sorted = true;
    for (;;) {
      this.skipSpace();
      if (this.text.charCodeAt(this.index) !== QUOTE)
        throw new SyntaxError(`expected a key at ${this.index}`);
      const raw = this.string();
      const inner = raw.slice(1, -1);
      const key = inner.includes('\\') ? (JSON.parse(raw) as string) : inner;
      this.skipSpace();
      if (this.text.charCodeAt(this.index) !== 0x3a) throw new SyntaxError(`expected : at ${this.index}`);
      this.index += 1;
      const value = this.value();
      if (entries.length > 0 && entries[entries.length - 1]!.key >= key) sorted = false;
      entries.push({ key, text: `${raw}:${value}` });
      this.skipSpace();
      const code = this.text.charCodeAt(this.index);
      this.index += 1;
      if (code === 0x7d) break;
      if (code !== 0x2c) throw new SyntaxError(`expected , or } at ${this.index - 1}`);
    }
    if (!sorted) entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    let out = '{';
    for (let index = 0; index < entries.length; index += 1) {
      if (index > 0) out += ',';
      out += entries[index]!.text;
    }
    return `${out}}`;
  }
}

/**
 * Whether JSON.stringify(Number(literal)) is `literal` itself: a plain decimal without trailing fraction zeros,
 * at most 15 digits (so it is the shortest text of its double), not -0, and not below 1e-6 (printed with an exponent).
 */
function isPrintedAsIs(literal: string): boolean {
  if (!SAFE_NUMBER.test(literal)) return false;
  const unsigned = literal.charCodeAt(0) === 0x2d ? literal.slice(1) : literal;
  if (unsigned === '0') return literal === '0';
  const digits = unsigned.length - (unsigned.includes('.') ? 1 : 0);
  if (digits > 15) return false;
  return !unsigned.startsWith('0.000000');
}
