import { createReadStream } from 'node:fs';
import { extname } from 'node:path';
import type { Readable } from 'node:stream';
import { parse as parseCsv } from 'csv-parse';
import type { Container, DatasetFormat } from './datasetRecord.js';

/** One raw record read from a file, before validation; `error` when the text itself could not be parsed. */
export type RawItem = { line: number; value: unknown } | { line: number; error: string; expected: string };

export type DatasetSource = string | Readable;

/** Guesses the container from the file name; streams without a name are sniffed (see `sniffContainer`). */
export function containerFromPath(path: string): Container | undefined {
  const ext = extname(path).toLowerCase();
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  if (ext === '.json') return 'json';
  if (ext === '.csv') return 'csv';
  return undefined;
}

export function sniffContainer(firstText: string): Container {
  const first = firstText.replace(/^\uFEFF/, '').trimStart()[0];
  if (first === '[') return 'json';
  if (first === '{') return 'jsonl';
  return 'csv';
}

/** The source as a stream of bytes (or of text, for a stream already decoded); decodeUtf8Lines decodes it. */
export function openSource(source: DatasetSource): Readable {
  return typeof source === 'string' ? createReadStream(source) : source;
}

/** JSON Lines: one object per line; blank lines are skipped. */
export async function* readJsonl(chunks: AsyncIterable<string>): AsyncGenerator<RawItem> {
  let carry = '';
  let line = 0;
  for await (const chunk of chunks) {
    const text = carry + chunk;
    let start = 0;
    let nl = text.indexOf('\n', start);
    while (nl !== -1) {
      line++;
      const item = parseJsonLine(text.slice(start, nl), line);
      if (item) yield item;
      start = nl + 1;
      nl = text.indexOf('\n', start);
    }
    carry = text.slice(start);
  }
  if (carry.length > 0) {
    const item = parseJsonLine(carry, line + 1);
    if (item) yield item;
  }
}

function parseJsonLine(raw: string, line: number): RawItem | undefined {
  const text = line === 1 ? raw.replace(/^\uFEFF/, '') : raw;
  if (text.trim().length === 0) return undefined;
  try {
    return { line, value: JSON.parse(text) as unknown };
  } catch (error) {
    return {
      line,
      error: `is not valid JSON (${(error as Error).message})`,
      expected: 'one JSON object per line',
    };
  }
}

/**
 * A JSON array of objects, split into its elements without holding the whole file: a small scanner
 * tracks strings and bracket depth, and each complete element is parsed on its own.
 */
export async function* readJsonArray(chunks: AsyncIterable<string>): AsyncGenerator<RawItem> {
  let state: 'before' | 'between' | 'inside' | 'after' = 'before';
  let depth = 0;
  let inString = false;
  let escaped = false;
  let line = 1;
  let startLine = 1;
  let parts: string[] = [];
  for await (const chunk of chunks) {
    let segmentStart = state === 'inside' ? 0 : -1;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      if (c === 10) line++;
      if (state === 'inside') {
        if (inString) {
          if (escaped) escaped = false;
          else if (c === 92) escaped = true;
          else if (c === 34) inString = false;
          continue;
        }
        if (c === 34) inString = true;
        else if (c === 123 || c === 91) depth++;
        else if (c === 125 || c === 93) {
          depth--;
          if (depth === 0) {
            parts.push(chunk.slice(segmentStart, i + 1));
            const text = parts.join('');
            parts = [];
            segmentStart = -1;
            state = 'between';
            try {
              yield { line: startLine, value: JSON.parse(text) as unknown };
            } catch (error) {
              yield {
                line: startLine,
                error: `is not valid JSON (${(error as Error).message})`,
                expected: 'a JSON object',
              };
            }
          }
        }
        continue;
      }
      if (c === 32 || c === 10 || c === 13 || c === 9 || c === 0xfeff) continue;
      if (state === 'before') {
        if (c !== 91) {
          yield {
            line,
            error: 'does not start a JSON array',
            expected: 'a JSON array of records: [ {...}, {...} ]',
          };
          return;
        }
        state = 'between';
      } else if (state === 'between') {
        if (c === 44) continue;
        if (c === 93) {
          state = 'after';
        } else if (c === 123) {
          state = 'inside';
          depth = 1;
          startLine = line;
          segmentStart = i;
        } else {
          yield {
            line,
            error: `has "${String.fromCharCode(c)}" where a record should start`,
            expected: 'a JSON object',
          };
          return;
        }
      } else {
        yield { line, error: 'has text after the closing ]', expected: 'nothing after the array' };
        return;
      }
    }
    if (state === 'inside' && segmentStart >= 0) parts.push(chunk.slice(segmentStart));
  }
  if (state === 'inside' || state === 'before' || state === 'between') {
    yield {
      line,
      error: 'ends before the JSON array is closed',
      expected: 'a complete JSON array ending with ]',
    };
  }
}

/** Columns holding JSON in CSV files: lists do not fit a cell otherwise. */
const JSON_COLUMNS = new Set(['history', 'conversations', 'messages']);

/**
 * CSV with a header row naming the fields of the format (instruction,input,output[,system] or
 * prompt,chosen,rejected); `history`, `conversations` and `messages` cells hold JSON.
 */
export async function* readCsv(chunks: AsyncIterable<string>): AsyncGenerator<RawItem> {
  const parser = parseCsv({
    columns: true,
    bom: true,
    skip_empty_lines: true,
    info: true,
    record_delimiter: ['\r\n', '\n'],
  });
  const feed = (async () => {
    try {
      for await (const chunk of chunks) {
        if (parser.destroyed) return;
        if (!parser.write(chunk)) {
          await new Promise((resolve) => {
            parser.once('drain', resolve);
            parser.once('close', resolve);
          });
        }
      }
      if (!parser.destroyed) parser.end();
    } catch (error) {
      parser.destroy(error as Error);
    }
  })();
  try {
    for await (const entry of parser as AsyncIterable<{
      record: Record<string, string>;
      info: { lines: number };
    }>) {
      const line = entry.info.lines;
      const value: Record<string, unknown> = {};
      let bad: RawItem | undefined;
      for (const [key, cell] of Object.entries(entry.record)) {
        if (cell === '') continue;
        if (JSON_COLUMNS.has(key)) {
          try {
            value[key] = JSON.parse(cell) as unknown;
          } catch {
            bad = {
              line,
              error: `column "${key}" is not valid JSON`,
              expected: `a JSON list in the ${key} column`,
            };
          }
        } else {
          value[key] = cell;
        }
      }
      yield bad ?? { line, value };
    }
  } catch (error) {
    const err = error as Error & { lines?: number };
    yield {
      line: err.lines ?? 0,
      error: `is not valid CSV (${err.message})`,
      expected: 'RFC 4180 CSV with a header row',
    };
    parser.destroy();
  }
  await feed;
}

export function readContainer(container: Container, chunks: AsyncIterable<string>): AsyncGenerator<RawItem> {
  switch (container) {
    case 'jsonl':
      return readJsonl(chunks);
    case 'json':
      return readJsonArray(chunks);
    case 'csv':
      return readCsv(chunks);
  }
}

/** The format a parsed record looks like, from its keys; undefined when it looks like none. */
export function detectFormat(value: unknown): DatasetFormat | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const keys = value as Record<string, unknown>;
  if ('conversations' in keys) return 'sharegpt';
  if ('messages' in keys) return 'openai-messages';
  if ('chosen' in keys && 'rejected' in keys) return 'preference';
  if ('instruction' in keys || 'output' in keys) return 'alpaca';
  return undefined;
}
