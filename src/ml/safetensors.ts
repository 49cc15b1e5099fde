import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

/**
 * Reading and writing the safetensors format (https://github.com/huggingface/safetensors): an 8-byte
 * little-endian header length, a JSON header naming each tensor's dtype, shape and byte range, then the raw
 * little-endian data. Written by hand because no npm package reads and writes it without pulling in a
 * native or browser-only runtime; the format is small and fixed.
 */
export type StoredDtype = 'F32' | 'F16' | 'BF16';

export interface HostTensor {
  readonly shape: readonly number[];
  /** Values as float32, whatever the stored dtype was. */
  readonly data: Float32Array;
  /** The dtype it was stored with (reading) or should be stored with (writing; default F32). */
  readonly dtype?: StoredDtype;
}

export interface SafetensorsContents {
  readonly tensors: Map<string, HostTensor>;
  readonly metadata: Record<string, string>;
}

const headerEntry = z.object({
  dtype: z.string(),
  shape: z.array(z.number().int().nonnegative()),
  data_offsets: z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]),
});

const BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2, F64: 8 };

/** Parses a whole safetensors file; F32, F16, BF16 (and F64) tensors are converted to float32. */
export function decodeSafetensors(bytes: Uint8Array, where = 'safetensors file'): SafetensorsContents {
  if (bytes.byteLength < 8)
    throw new Error(`${where}: too short to be a safetensors file (${bytes.byteLength} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (8 + headerLength > bytes.byteLength) {
    throw new Error(
      `${where}: header length ${headerLength} runs past the end of the file; the file is truncated or not safetensors`,
    );
  }
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as Record<
      string,
      unknown
    >;
  } catch (error) {
    throw new Error(`${where}: header is not JSON (${(error as Error).message})`);
  }
  const dataStart = 8 + headerLength;
  const tensors = new Map<string, HostTensor>();
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = z.record(z.string(), z.string()).parse(value);
      continue;
    }
    const entry = headerEntry.safeParse(value);
    if (!entry.success) throw new Error(`${where}: header entry for "${name}" is malformed`);
    const {
      dtype,
      shape,
      data_offsets: [begin, end],
    } = entry.data;
    const width = BYTES[dtype];
    if (!width)
      throw new Error(
        `${where}: tensor "${name}" has dtype ${dtype}; only F32, F16, BF16 and F64 are supported`,
      );
    const count = shape.reduce((a, b) => a * b, 1);
    if (end - begin !== count * width || dataStart + end > bytes.byteLength) {
      throw new Error(
        `${where}: tensor "${name}" byte range [${begin}, ${end}) does not match shape [${shape}] of ${dtype}`,
      );
    }
    const data = toFloat32(bytes, dataStart + begin, count, dtype);
    tensors.set(name, { shape, data, dtype: dtype === 'F64' ? 'F32' : (dtype as StoredDtype) });
  }
  return { tensors, metadata };
}

function toFloat32(bytes: Uint8Array, offset: number, count: number, dtype: string): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, count * BYTES[dtype]!);
  const out = new Float32Array(count);
  switch (dtype) {
    case 'F32':
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
      break;
    case 'F64':
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
      break;
    case 'F16':
      for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
      break;
    case 'BF16': {
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) bits[i] = view.getUint16(i * 2, true) << 16;
      break;
    }
  }
  return out;
}

export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa ? NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 to IEEE half with round-to-nearest-even (what torch's .half() does). */
export function floatToHalf(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  let mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - e;
    let half = mantissa >> shift;
    const rest = mantissa & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rest > halfway || (rest === halfway && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mantissa >> 13);
  const rest = mantissa & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++;
  return sign | half;
}

/** float32 to bfloat16 with round-to-nearest-even (what torch's .bfloat16() does). */
export function floatToBf16(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  if ((x & 0x7fffffff) > 0x7f800000) return ((x >>> 16) | 0x40) & 0xffff;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

/**
 * Encodes tensors (sorted by name) into one safetensors file. Each tensor is written with its own `dtype`
 * or `defaultDtype`; the header is padded with spaces to an 8-byte boundary as the reference writer does.
 */
export function encodeSafetensors(
  tensors: ReadonlyMap<string, HostTensor> | Record<string, HostTensor>,
  options: { defaultDtype?: StoredDtype; metadata?: Record<string, string> } = {},
): Uint8Array {
  const entries: [string, HostTensor][] = [
    ...(tensors instanceof Map
      ? (tensors as ReadonlyMap<string, HostTensor>).entries()
      : Object.entries(tensors)),
  ].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (options.metadata) header.__metadata__ = options.metadata;
  let offset = 0;
  const layout: { data: Float32Array; dtype: StoredDtype; begin: number }[] = [];
  for (const [name, tensor] of entries) {
    const dtype = tensor.dtype ?? options.defaultDtype ?? 'F32';
    const count = tensor.shape.reduce((a, b) => a * b, 1);
    if (count !== tensor.data.length) {
      throw new Error(
        `tensor "${name}": shape [${tensor.shape}] holds ${count} values but data has ${tensor.data.length}`,
      );
    }
    const size = count * BYTES[dtype]!;
    header[name] = { dtype, shape: [...tensor.shape], data_offsets: [offset, offset + size] };
    layout.push({ data: tensor.data, dtype, begin: offset });
    offset += size;
  }
  let json = JSON.stringify(header);
  const rawLength = new TextEncoder().encode(json).length;
  json += ' '.repeat((8 - (rawLength % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  const base = 8 + headerBytes.length;
  for (const { data, dtype, begin } of layout) {
    const at = base + begin;
    if (dtype === 'F32') for (let i = 0; i < data.length; i++) view.setFloat32(at + i * 4, data[i]!, true);
    else if (dtype === 'F16')
      for (let i = 0; i < data.length; i++) view.setUint16(at + i * 2, floatToHalf(data[i]!), true);
    else for (let i = 0; i < data.length; i++) view.setUint16(at + i * 2, floatToBf16(data[i]!), true);
  }
  return out;
}

const indexSchema = z.object({
  metadata: z.record(z.string(), z.unknown()).optional(),
  weight_map: z.record(z.string(), z.string()),
});

/**
 * Reads every tensor of a checkpoint directory: `<base>.safetensors`, or the shards listed in
 * `<base>.safetensors.index.json`.
 */
export function readSafetensorsDir(dir: string, base = 'model'): SafetensorsContents {
  const single = join(dir, `${base}.safetensors`);
  const index = join(dir, `${base}.safetensors.index.json`);
  if (existsSync(single)) return decodeSafetensors(readFileSync(single), single);
  if (!existsSync(index)) {
    throw new Error(
      `${dir}: neither ${base}.safetensors nor ${base}.safetensors.index.json exists; is this a Hugging Face checkpoint directory?`,
    );
  }
  const parsed = indexSchema.safeParse(JSON.parse(readFileSync(index, 'utf8')));
  if (!parsed.success) throw new Error(`${index}: not a safetensors index (needs a "weight_map" object)`);
  const tensors = new Map<string, HostTensor>();
  let metadata: Record<string, string> = {};
  for (const file of new Set(Object.values(parsed.data.weight_map))) {
    const path = join(dir, file);
    if (!existsSync(path)) throw new Error(`${index} lists shard ${file}, which is missing from ${dir}`);
    const shard = decodeSafetensors(readFileSync(path), path);
    for (const [name, tensor] of shard.tensors) tensors.set(name, tensor);
    metadata = { ...metadata, ...shard.metadata };
  }
  for (const name of Object.keys(parsed.data.weight_map)) {
    if (!tensors.has(name))
      throw new Error(`${index} maps "${name}" to ${parsed.data.weight_map[name]}, but that shard lacks it`);
  }
  return { tensors, metadata };
}

/**
 * Writes tensors to `<base>.safetensors`, or, when they exceed `maxShardBytes`, to numbered shards
 * `<base>-00001-of-0000N.safetensors` with an index, the layout transformers' save_pretrained uses.
 */
export function writeSafetensorsDir(
  dir: string,
  tensors: ReadonlyMap<string, HostTensor>,
  options: {
    base?: string;
    defaultDtype?: StoredDtype;
    maxShardBytes?: number;
    metadata?: Record<string, string>;
  } = {},
): string[] {
  const base = options.base ?? 'model';
  const metadata = options.metadata ?? { format: 'pt' };
  const dtypeOf = (t: HostTensor) => t.dtype ?? options.defaultDtype ?? 'F32';
  const sizeOf = (t: HostTensor) => t.data.length * BYTES[dtypeOf(t)]!;
  const names = [...tensors.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const total = names.reduce((sum: number, n: string) => sum + sizeOf(tensors.get(n)!), 0);
  const max = options.maxShardBytes ?? Infinity;
  if (total <= max) {
    const file = `${base}.safetensors`;
    writeFileSync(
      join(dir, file),
      encodeSafetensors(tensors, { defaultDtype: options.defaultDtype, metadata }),
    );
    return [file];
  }
  const shards: string[][] = [[]];
  let current = 0;
  for (const name of names) {
    const size = sizeOf(tensors.get(name)!);
    if (current > 0 && current + size > max) {
      shards.push([]);
      current = 0;
    }
    shards[shards.length - 1]!.push(name);
    current += size;
  }
  const count = String(shards.length).padStart(5, '0');
  const weightMap: Record<string, string> = {};
  const files: string[] = [];
  shards.forEach((shardNames, i) => {
    const file = `${base}-${String(i + 1).padStart(5, '0')}-of-${count}.safetensors`;
    const subset = new Map(shardNames.map((n) => [n, tensors.get(n)!] as const));
    writeFileSync(
      join(dir, file),
      encodeSafetensors(subset, { defaultDtype: options.defaultDtype, metadata }),
    );
    for (const n of shardNames) weightMap[n] = file;
    files.push(file);
  });
  const indexFile = `${base}.safetensors.index.json`;
  writeFileSync(
    join(dir, indexFile),
    `${JSON.stringify({ metadata: { total_size: total }, weight_map: weightMap }, null, 2)}\n`,
  );
  return [...files, indexFile];
}
