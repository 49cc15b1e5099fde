import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  decodeSafetensors,
  encodeSafetensors,
  floatToBf16,
  floatToHalf,
  halfToFloat,
  writeSafetensorsDir,
  readSafetensorsDir,
} from '../../src/ml/index.js';

/** A minimal independent reader following the safetensors spec, for F32 data only. */
function independentRead(buf: Buffer): Record<string, { dtype: string; shape: number[]; values: number[] }> {
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8')) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  >;
  const out: Record<string, { dtype: string; shape: number[]; values: number[] }> = {};
  for (const [name, e] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const values: number[] = [];
    for (let p = 8 + n + e.data_offsets[0]; p < 8 + n + e.data_offsets[1]; p += 4)
      values.push(buf.readFloatLE(p));
    out[name] = { dtype: e.dtype, shape: e.shape, values };
  }
  return out;
}

const dir = mkdtempSync(join(tmpdir(), 'tl-st-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('safetensors', () => {
  it('writes a file an independent reader parses value for value, with an 8-byte aligned header', () => {
    const a = Float32Array.from([1.5, -2, 3.25, 0, 1e-8, 65504]);
    const b = Float32Array.from([7]);
    const bytes = Buffer.from(
      encodeSafetensors(
        { 'z.weight': { shape: [2, 3], data: a }, 'a.bias': { shape: [1], data: b } },
        { metadata: { format: 'pt' } },
      ),
    );
    expect(Number(bytes.readBigUInt64LE(0)) % 8).toBe(0);
    const parsed = independentRead(bytes);
    expect(parsed['z.weight']).toEqual({ dtype: 'F32', shape: [2, 3], values: [...a] });
    expect(parsed['a.bias']).toEqual({ dtype: 'F32', shape: [1], values: [7] });
    const back = decodeSafetensors(bytes);
    expect(back.metadata).toEqual({ format: 'pt' });
    expect(back.tensors.get('z.weight')!.data).toEqual(a);
  });

  it('converts F16 and BF16 with known bit patterns', () => {
    // IEEE half: 1.0 = 0x3c00, -2.0 = 0xc000, 65504 = 0x7bff, 2^-24 = 0x0001, 0.1 ~ 0x2e66
    expect([1, -2, 65504, 2 ** -24, 0.1].map(floatToHalf)).toEqual([0x3c00, 0xc000, 0x7bff, 0x0001, 0x2e66]);
    expect([0x3c00, 0xc000, 0x7bff, 0x0001, 0x2e66].map(halfToFloat)).toEqual([
      1,
      -2,
      65504,
      2 ** -24,
      0.0999755859375,
    ]);
    // bfloat16 is the top half of float32: 1.0 = 0x3f80, -2.0 = 0xc000, pi ~ 0x4049 (3.140625)
    expect([1, -2, Math.PI].map(floatToBf16)).toEqual([0x3f80, 0xc000, 0x4049]);
    const data = Float32Array.from([1, -2, 0.1, 3.140625]);
    for (const [dtype, expected] of [
      ['F16', [1, -2, 0.0999755859375, 3.140625]],
      ['BF16', [1, -2, 0.10009765625, 3.140625]],
    ] as const) {
      const bytes = encodeSafetensors({ t: { shape: [4], data, dtype } });
      const n = Number(Buffer.from(bytes).readBigUInt64LE(0));
      expect(bytes.length).toBe(8 + n + 8);
      const back = decodeSafetensors(bytes).tensors.get('t')!;
      expect(back.dtype).toBe(dtype);
      expect([...back.data]).toEqual(expected);
    }
  });

  it('shards with an index and reads them back; names a truncated file', () => {
    const tensors = new Map([
      ['a', { shape: [100], data: new Float32Array(100).fill(1) }],
      ['b', { shape: [100], data: new Float32Array(100).fill(2) }],
      ['c', { shape: [100], data: new Float32Array(100).fill(3) }],
    ]);
    writeSafetensorsDir(dir, tensors, { maxShardBytes: 800 });
    expect(readdirSync(dir).sort()).toEqual([
      'model-00001-of-00002.safetensors',
      'model-00002-of-00002.safetensors',
      'model.safetensors.index.json',
    ]);
    const index = JSON.parse(readFileSync(join(dir, 'model.safetensors.index.json'), 'utf8')) as {
      weight_map: Record<string, string>;
      metadata: { total_size: number };
    };
    expect(index.metadata.total_size).toBe(1200);
    expect(index.weight_map.c).toBe('model-00002-of-00002.safetensors');
    const back = readSafetensorsDir(dir);
    expect([...back.tensors.get('c')!.data].every((v) => v === 3)).toBe(true);
    const bytes = encodeSafetensors(tensors);
    expect(() => decodeSafetensors(bytes.subarray(0, bytes.length - 10), 'x.safetensors')).toThrow(
      /x\.safetensors: tensor "c"/,
    );
  });
});
