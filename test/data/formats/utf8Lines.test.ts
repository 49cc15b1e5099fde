import { describe, expect, it } from 'vitest';
import { decodeUtf8Lines, firstInvalidUtf8, type DroppedLine } from '../../../src/data/index.js';

async function decode(bytes: Buffer, chunkSize: number, maxLineBytes?: number) {
  const dropped: DroppedLine[] = [];
  async function* chunks() {
    for (let at = 0; at < bytes.length; at += chunkSize) yield bytes.subarray(at, at + chunkSize);
  }
  let text = '';
  for await (const part of decodeUtf8Lines(chunks(), (line) => dropped.push(line), maxLineBytes))
    text += part;
  return { text, dropped };
}

describe('decodeUtf8Lines', () => {
  const lines = ['{"a": "日本語"}', 'caf\u00e9 ☕ 𝄞', '', 'plain'];
  const good = Buffer.from(lines.join('\n') + '\n');

  it('decodes across any chunk boundary, multi-byte characters included', async () => {
    for (const size of [1, 2, 3, 5, 7, 64]) {
      const { text, dropped } = await decode(good, size);
      expect(text, `chunks of ${size}`).toBe(lines.join('\n') + '\n');
      expect(dropped).toEqual([]);
    }
  });

  it('drops a line that is not UTF-8, keeping line numbers, and names the byte offset', async () => {
    const bad = Buffer.concat([Buffer.from('ok\n'), Buffer.from([0x61, 0xc3, 0x28]), Buffer.from('\nlast')]);
    for (const size of [1, 4, 100]) {
      const { text, dropped } = await decode(bad, size);
      expect(text).toBe('ok\n\nlast');
      expect(dropped).toEqual([expect.objectContaining({ line: 2 })]);
      expect(dropped[0]!.problem).toContain('byte 0xc3 at byte offset 4');
    }
  });

  it('drops lines over the limit, also when they span chunks', async () => {
    const bytes = Buffer.from(`short\n${'x'.repeat(50)}\nnext\n${'y'.repeat(20)}`);
    for (const size of [3, 8, 1000]) {
      const { text, dropped } = await decode(bytes, size, 10);
      expect(text.split('\n')).toEqual(['short', '', 'next', '']);
      expect(dropped.map((d) => d.line)).toEqual([2, 4]);
    }
  });

  it('finds overlong forms, surrogates and truncated sequences', () => {
    expect(firstInvalidUtf8(Buffer.from('héllo ☕ 𝄞'))).toBe(-1);
    expect(firstInvalidUtf8(Buffer.from([0x41, 0xc0, 0xaf]))).toBe(1);
    expect(firstInvalidUtf8(Buffer.from([0xed, 0xa0, 0x80]))).toBe(0);
    expect(firstInvalidUtf8(Buffer.from([0x41, 0x42, 0xe2, 0x98]))).toBe(2);
    expect(firstInvalidUtf8(Buffer.from([0xf4, 0x90, 0x80, 0x80]))).toBe(0);
  });
});
