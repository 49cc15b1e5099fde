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
