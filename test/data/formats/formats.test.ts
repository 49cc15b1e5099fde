import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  canonicalRecordJson,
  type DatasetRecord,
  detectFormat,
  normaliseRecord,
  readJsonArray,
  readJsonl,
} from '../../../src/data/index.js';

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

describe('canonicalJson', () => {
  it('sorts keys at every depth and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: undefined } })).toBe(
      '{"a":{"d":[1,{"y":2,"z":1}]},"b":1}',
    );
    expect(JSON.parse(canonicalJson({ s: '引号"\n' }))).toEqual({ s: '引号"\n' });
  });
});

describe('readers', () => {
  it('JSONL keeps line numbers across chunk boundaries and reports bad lines', async () => {
    const text = '{"a":1}\n\n{"a":2}\n{broken\n{"a":3}';
    const chunks = Readable.from([text.slice(0, 5), text.slice(5, 13), text.slice(13)], { objectMode: true });
    const items = await collect(readJsonl(chunks));
    expect(items.map((i) => i.line)).toEqual([1, 3, 4, 5]);
    expect(items[2]).toMatchObject({ line: 4, expected: 'one JSON object per line' });
    expect(items[3]).toEqual({ line: 5, value: { a: 3 } });
  });

  it('JSON arrays are split into elements with their start lines, whatever the chunking', async () => {
    const text = '[\n  {"a": "x]}"},\n  {"b": [1, {"c": "\\"{"}]}\n]\n';
    for (const size of [1, 3, 7, 1000]) {
      const parts: string[] = [];
      for (let i = 0; i < text.length; i += size) parts.push(text.slice(i, i + size));
      const items = await collect(readJsonArray(Readable.from(parts, { objectMode: true })));
      expect(items).toEqual([
        { line: 2, value: { a: 'x]}' } },
        { line: 3, value: { b: [1, { c: '"{' }] } },
      ]);
    }
    const unclosed = await collect(readJsonArray(Readable.from(['[{"a":1},'], { objectMode: true })));
    expect(unclosed[unclosed.length - 1]).toMatchObject({ expected: 'a complete JSON array ending with ]' });
  });
});

describe('formats', () => {
  it('detects each format from its keys', () => {
    expect(detectFormat({ instruction: 'x', output: 'y' })).toBe('alpaca');
    expect(detectFormat({ conversations: [] })).toBe('sharegpt');
    expect(detectFormat({ messages: [] })).toBe('openai-messages');
    expect(detectFormat({ prompt: 'p', chosen: 'c', rejected: 'r' })).toBe('preference');
    expect(detectFormat({ text: 'x' })).toBeUndefined();
  });

  it('normalises all four formats to one record shape', () => {
    expect(
      normaliseRecord(
        'alpaca',
        { instruction: 'Sort', input: '3 1 2', output: '1 2 3', system: 'S', history: [['hi', 'hello']] },
        1,
      ),
    ).toEqual({
      ok: true,
      record: {
        messages: [
          { role: 'system', content: 'S' },
          { role: 'user', content: 'hi' },
          { role: 'assistant', content: 'hello' },
          { role: 'user', content: 'Sort\n\n3 1 2' },
          { role: 'assistant', content: '1 2 3' },
        ],
      },
    });
    const chat = [
      { role: 'user', content: 'Q' },
      { role: 'assistant', content: 'A' },
    ];
    expect(
      normaliseRecord(
        'sharegpt',
        {
          conversations: [
            { from: 'human', value: 'Q' },
            { from: 'gpt', value: 'A' },
          ],
        },
        1,
      ),
    ).toEqual({ ok: true, record: { messages: chat } });
    expect(normaliseRecord('openai-messages', { messages: chat }, 1)).toEqual({
      ok: true,
      record: { messages: chat },
    });
    expect(normaliseRecord('preference', { prompt: 'Q', chosen: 'good', rejected: 'bad' }, 1)).toEqual({
      ok: true,
      record: { messages: [{ role: 'user', content: 'Q' }], chosen: 'good', rejected: 'bad' },
    });
  });

  it('says which field is wrong, what is wrong and what was expected', () => {
    const result = normaliseRecord('alpaca', { instruction: 42 }, 7);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues).toEqual([
      { line: 7, field: 'instruction', problem: 'must be a string', expected: 'a string' },
      { line: 7, field: 'output', problem: 'is missing', expected: 'a string' },
    ]);
    const turns = normaliseRecord(
      'sharegpt',
      {
        conversations: [
          { from: 'robot', value: 'x' },
          { from: 'human', value: 'y' },
        ],
      },
      3,
    );
    expect(turns.ok).toBe(false);
    if (turns.ok) return;
    expect(turns.issues[0]).toMatchObject({ line: 3, field: 'conversations.0.from' });
    expect(turns.issues[0]!.expected).toContain('"gpt"');
  });
});

describe('canonicalRecordJson', () => {
  it('writes exactly the bytes of canonicalJson for any record', () => {
    const text = fc.string({ unit: 'binary' });
    const record = fc.record(
      {
        messages: fc.array(
          fc.record({ role: fc.constantFrom('system', 'user', 'assistant'), content: text }),
          { maxLength: 4 },
        ),
        chosen: text,
        rejected: text,
        entities: fc.array(
          fc.record({ message: fc.nat(5), start: fc.nat(50), end: fc.nat(50), term: text, category: text }),
          { maxLength: 2 },
        ),
        provenance: fc.record({ templateId: text, substitutions: fc.dictionary(text, text) }),
      },
      { requiredKeys: ['messages'] },
    );
    fc.assert(fc.property(record, (r) => canonicalRecordJson(r as DatasetRecord) === canonicalJson(r)));
  });
});
