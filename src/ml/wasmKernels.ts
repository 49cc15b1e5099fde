import * as tf from '@tensorflow/tfjs';

/*
 * Kernels of our own for tfjs-backend-wasm, where its own ones copy more than they must:
 * - Identity (behind tf.clone, which autodiff calls on every tensor it saves for the backward pass) copies
 *   the data; tensors are immutable, so ours shares the buffer and counts a reference, as the cpu backend does.
 * - Cast to the same dtype (autodiff casts every saved input of a product to float32) copies too; ours shares.
 * - Its BatchMatMul takes the XNNPACK path only for one 2-D product without transposes; batched ones run a
 *   scalar loop about 10x slower. matMulEach runs each entry of a batch on the XNNPACK path, in place: the
 *   entries are registered with the C++ side as views into the operands (no slices, no copies, one tfjs op).
 * - Its Gather walks elements one at a time (an embedding lookup of 1,024 rows: ~10 ms); gatherRows copies
 *   whole rows. Its Sum over the first axis transposes first; sumRows adds rows in place.
 * - Its Transpose is slow for tall matrices (1024 x 256: 2.6 ms, ~10 ns an element; destination rows 4 KB
 *   apart); ours moves 8 x 8 blocks of 32-bit words in JavaScript (0.7 ms) when both swapped axes are >= 128.
 * - rotaryWasm applies a rotary embedding in one pass, where tf ops take a permutation matmul and four
 *   element-wise kernels (and as many again for the gradient).
 * - decodeAttentionWasm: attention of a few queries per entry (a decoding step) over each entry's cached keys in
 *   one pass, reading k and v where they lie: no transpose of the cache, no additive mask, and none of the
 *   per-entry XNNPACK operators that matMulEach makes for products of one row (which grow with the batch). It
 *   reads the first `length` slots of caches that have room for more (BatchKvCache's spare slots).
 * - writeSlotInPlace: a decoding step's new keys and values written into one slot of every entry of such a
 *   cache, in its own buffer: no copy of the cache per step, as tf.concat makes.
 * - copySlots: ranges of slots copied between entries (of two tensors or within one) in the target's own
 *   buffer: a row joining a batch cache in a free row's place, rows moving to the front of their slots, a shared
 *   prompt prefix copied into new rows (where tf.tile and tfjs's wasm slice walk element by element).
 */

const MATMUL_EACH = 'TuneledgerMatMulEach';
const GATHER_ROWS = 'TuneledgerGatherRows';
const SUM_ROWS = 'TuneledgerSumRows';
const ROTARY = 'TuneledgerRotary';
const DECODE_ATTENTION = 'TuneledgerDecodeAttention';

/** The parts of the wasm backend the kernels use (BackendWasm and its emscripten module). */
interface WasmBackend {
  readonly wasm: {
    readonly HEAPU8: Uint8Array;
    cwrap(name: string, returns: null, args: string[]): (...args: unknown[]) => void;
    readonly tfjs: {
      registerTensor(id: number, size: number, memoryOffset: number): void;
      disposeData(id: number): void;
    };
  };
  dataIdNextNumber: number;
  getMemoryOffset(dataId: object): number;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  incRef(dataId: object): void;
}

let installed = false;

/** Replaces a stock wasm kernel by `kernel`, which may hand any call back to the stock one. */
function overrideWasmKernel(
  kernelName: string,
  kernel: (args: Parameters<tf.KernelFunc>[0], stock: tf.KernelFunc) => ReturnType<tf.KernelFunc>,
): void {
  const stock = tf.getKernel(kernelName, 'wasm');
  if (!stock) return;
  tf.unregisterKernel(kernelName, 'wasm');
  tf.registerKernel({
    kernelName,
    backendName: 'wasm',
    kernelFunc: (args) => kernel(args, stock.kernelFunc),
  });
}

/** Registers the kernels above for the wasm backend (once per process; called when wasm is chosen). */
export function installWasmKernels(): void {
  if (installed) return;
  installed = true;
  // Identity (clone) and same-type Cast share the input's buffer, as the cpu backend does: autodiff clones
  // every saved tensor, and the stock wasm kernels copy it.
  const shareBuffer = (args: Parameters<tf.KernelFunc>[0]) => {
    const x = args.inputs.x as tf.TensorInfo;
    (args.backend as WasmBackend).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
  overrideWasmKernel(tf.Identity, (args, stock) =>
    (args.inputs.x as tf.TensorInfo).dtype === 'string' ? stock(args) : shareBuffer(args),
  );
  overrideWasmKernel(tf.Cast, (args, stock) => {
    const x = args.inputs.x as tf.TensorInfo;
    return x.dtype === 'string' || x.dtype !== (args.attrs as { dtype: tf.DataType }).dtype
      ? stock(args)
      : shareBuffer(args);
  });
  overrideWasmKernel(tf.Transpose, (args, stock) => {
    const x = args.inputs.x as tf.TensorInfo;
    const perm = (args.attrs as { perm: number[] }).perm;
    const rank = x.shape.length;
    const swapsLast =
      (rank === 2 && perm[0] === 1 && perm[1] === 0) ||
      (rank === 3 && perm[0] === 0 && perm[1] === 2 && perm[2] === 1);
    const rows = x.shape[rank - 2] ?? 0;
    const cols = x.shape[rank - 1] ?? 0;
    if (!swapsLast || rows < 128 || cols < 128 || (x.dtype !== 'float32' && x.dtype !== 'int32'))
      return stock(args);
    return transposeBlocks(x, rank === 3 ? x.shape[0]! : 1, rows, cols, args.backend as WasmBackend);
  });
  let batchMatMul: ((...args: unknown[]) => void) | undefined;
  tf.registerKernel({
    kernelName: MATMUL_EACH,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend }) => {
      const { a, b } = inputs as Record<'a' | 'b', tf.TensorInfo>;
      const wasm = backend as WasmBackend;
      // tfjs's own BatchMatMul entry: (a id, a shape, rank, b id, b shape, rank, transposeA, transposeB, out id).
      batchMatMul ??= wasm.wasm.cwrap(tf.BatchMatMul, null, [
        'number',
        'array',
        'number',
        'number',
        'array',
        'number',
        'number',
        'number',
        'number',
      ]);
      const [count = 0, rows = 0, inner = 0] = a.shape;
      const cols = b.shape[2] ?? 0;
      const out = wasm.makeOutput([count, rows, cols], 'float32');
      const bases = [a, b, out].map((t) => wasm.getMemoryOffset(t.dataId));
      const sizes = [rows * inner, inner * cols, rows * cols];
      const aShape = new Uint8Array(new Int32Array([1, rows, inner]).buffer);
      const bShape = new Uint8Array(new Int32Array([1, inner, cols]).buffer);
      const ids = [0, 0, 0];
      for (let i = 0; i < count; i++) {
        for (let j = 0; j < 3; j++) {
          ids[j] = wasm.dataIdNextNumber++;
          wasm.wasm.tfjs.registerTensor(ids[j]!, sizes[j]!, bases[j]! + i * sizes[j]! * 4);
        }
        batchMatMul(ids[0], aShape, 3, ids[1], bShape, 3, false, false, ids[2]);
        // Disposing the view of b also drops the XNNPACK operator cached on it; the memory stays.
        for (const id of ids) wasm.wasm.tfjs.disposeData(id);
      }
      return out;
    },
  });
  tf.registerKernel({
    kernelName: GATHER_ROWS,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend }) => {
      const { table, ids } = inputs as Record<'table' | 'ids', tf.TensorInfo>;
      const wasm = backend as WasmBackend;
      const [rows = 0, width = 0] = table.shape;
      const count = ids.shape[0] ?? 0;
      const out = wasm.makeOutput([count, width], table.dtype);
      const heap = wasm.wasm.HEAPU8;
      const index = new Int32Array(heap.buffer, wasm.getMemoryOffset(ids.dataId), count);
      const source = wasm.getMemoryOffset(table.dataId);
      const target = wasm.getMemoryOffset(out.dataId);
      const bytes = width * 4;
      for (let i = 0; i < count; i++) {
        const row = index[i]!;
        if (row < 0 || row >= rows) throw new Error(`gatherRows: index ${row} is outside [0, ${rows})`);
        heap.copyWithin(target + i * bytes, source + row * bytes, source + (row + 1) * bytes);
      }
      return out;
    },
  });
  tf.registerKernel({
    kernelName: SUM_ROWS,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend }) => {
      const x = inputs.x as tf.TensorInfo;
      const wasm = backend as WasmBackend;
      const [rows = 0, width = 0] = x.shape;
      const out = wasm.makeOutput([width], 'float32');
      const buffer = wasm.wasm.HEAPU8.buffer;
      const xs = new Float32Array(buffer, wasm.getMemoryOffset(x.dataId), rows * width);
      const sums = new Float64Array(width);
      for (let r = 0; r < rows; r++) {
        const base = r * width;
        for (let j = 0; j < width; j++) sums[j]! += xs[base + j]!;
      }
      new Float32Array(buffer, wasm.getMemoryOffset(out.dataId), width).set(sums);
      return out;
    },
  });
  tf.registerKernel({ kernelName: DECODE_ATTENTION, backendName: 'wasm', kernelFunc: decodeAttentionKernel });
  tf.registerKernel({
    kernelName: ROTARY,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, cos, sin } = inputs as Record<'x' | 'cos' | 'sin', tf.TensorInfo>;
      const negate = (attrs as { negate: boolean }).negate;
      const wasm = backend as WasmBackend;
      const [batch = 0, seq = 0, heads = 0, dim = 0] = x.shape;
      const half = dim / 2;
      const out = wasm.makeOutput([...x.shape], 'float32');
      const buffer = wasm.wasm.HEAPU8.buffer;
      const view = (t: tf.TensorInfo, size: number) =>
        new Float32Array(buffer, wasm.getMemoryOffset(t.dataId), size);
      const xs = view(x, batch * seq * heads * dim);
      const ys = view(out, batch * seq * heads * dim);
      const cs = view(cos, seq * dim);
      const ss = view(sin, seq * dim);
      const sign = negate ? -1 : 1;
      for (let b = 0; b < batch; b++) {
        for (let t = 0; t < seq; t++) {
          const angle = t * dim;
          for (let h = 0; h < heads; h++) {
            const row = ((b * seq + t) * heads + h) * dim;
            for (let j = 0; j < half; j++) {
              const lo = xs[row + j]!;
              const hi = xs[row + j + half]!;
              ys[row + j] = lo * cs[angle + j]! - sign * hi * ss[angle + j]!;
              ys[row + j + half] = hi * cs[angle + j + half]! + sign * lo * ss[angle + j + half]!;
            }
          }
        }
      }
      return out;
    },
  });
}

/**
 * softmax(q k^T * scale) v for each entry e of q [n, m, d], k and v [n, stride, d], over the keys from first[e]
 * up to `length` (earlier ones are padding, later ones spare room). Each entry's sums run over its own keys only, in order, so an entry's result does
 * not depend on the batch around it.
 */
function decodeAttentionKernel({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo {
  const { q, k, v } = inputs as Record<'q' | 'k' | 'v', tf.TensorInfo>;
  const { scale, first, length } = attrs as unknown as { scale: number; first: number[]; length: number };
  const wasm = backend as WasmBackend;
  const [n = 0, m = 0, d = 0] = q.shape;
  // Entries lie `stride` slots apart; the first `length` of them hold keys.
  const stride = k.shape[1] ?? 0;
  const t = length;
  const out = wasm.makeOutput([n, m, d], 'float32');
  const buffer = wasm.wasm.HEAPU8.buffer;
  const view = (x: tf.TensorInfo, size: number) =>
    new Float32Array(buffer, wasm.getMemoryOffset(x.dataId), size);
  const qs = view(q, n * m * d);
  const ks = view(k, n * stride * d);
  const vs = view(v, n * stride * d);
  const ys = view(out, n * m * d);
  // Scratch reused for every query: its scores, its row of q and its output, in doubles.
  const weights = new Float64Array(t);
  const query = new Float64Array(d);
  const sum = new Float64Array(d);
  for (let e = 0; e < n; e++) {
    const from = first[e] ?? 0;
    const entry = e * stride * d;
    for (let r = 0; r < m; r++) {
      const qRow = (e * m + r) * d;
      for (let j = 0; j < d; j++) query[j] = qs[qRow + j]!;
      // Four keys at a time share each load of q; each dot product still sums over j in order.
      let s = from;
      for (; s + 4 <= t; s += 4) {
        const k0 = entry + s * d;
        const k1 = k0 + d;
        const k2 = k1 + d;
        const k3 = k2 + d;
        let dot0 = 0;
        let dot1 = 0;
        let dot2 = 0;
        let dot3 = 0;
        for (let j = 0; j < d; j++) {
          const x = query[j]!;
          dot0 += x * ks[k0 + j]!;
          dot1 += x * ks[k1 + j]!;
          dot2 += x * ks[k2 + j]!;
          dot3 += x * ks[k3 + j]!;
        }
        weights[s] = dot0 * scale;
        weights[s + 1] = dot1 * scale;
        weights[s + 2] = dot2 * scale;
        weights[s + 3] = dot3 * scale;
      }
      for (; s < t; s++) {
        const kRow = entry + s * d;
        let dot = 0;
        for (let j = 0; j < d; j++) dot += query[j]! * ks[kRow + j]!;
        weights[s] = dot * scale;
      }
      let max = -Infinity;
      for (let s = from; s < t; s++) if (weights[s]! > max) max = weights[s]!;
      let total = 0;
      for (let s = from; s < t; s++) {
        const w = Math.exp(weights[s]! - max);
        weights[s] = w;
        total += w;
      }
      sum.fill(0);
      // Four values at a time per load and store of the sum; each sum still adds them in slot order.
      for (s = from; s + 4 <= t; s += 4) {
        const w0 = weights[s]! / total;
        const w1 = weights[s + 1]! / total;
        const w2 = weights[s + 2]! / total;
        const w3 = weights[s + 3]! / total;
        const v0 = entry + s * d;
        const v1 = v0 + d;
        const v2 = v1 + d;
        const v3 = v2 + d;
        for (let j = 0; j < d; j++)
          sum[j] = sum[j]! + w0 * vs[v0 + j]! + w1 * vs[v1 + j]! + w2 * vs[v2 + j]! + w3 * vs[v3 + j]!;
      }
      for (; s < t; s++) {
        const w = weights[s]! / total;
        const vRow = entry + s * d;
        for (let j = 0; j < d; j++) sum[j] += w * vs[vRow + j]!;
      }
      for (let j = 0; j < d; j++) ys[qRow + j] = sum[j]!;
    }
  }
  return out;
}

/** Swaps the last two axes of `count` [rows, cols] matrices, 8 x 8 blocks at a time, bits copied as int32. */
function transposeBlocks(
  x: tf.TensorInfo,
  count: number,
  rows: number,
  cols: number,
  wasm: WasmBackend,
): tf.TensorInfo {
  const shape = count === 1 && x.shape.length === 2 ? [cols, rows] : [count, cols, rows];
  const out = wasm.makeOutput(shape, x.dtype);
  const buffer = wasm.wasm.HEAPU8.buffer;
  const size = count * rows * cols;
  const source = new Int32Array(buffer, wasm.getMemoryOffset(x.dataId), size);
  const target = new Int32Array(buffer, wasm.getMemoryOffset(out.dataId), size);
  const block = 8;
  for (let m = 0; m < count; m++) {
    const base = m * rows * cols;
    for (let i0 = 0; i0 < rows; i0 += block) {
      const i1 = Math.min(i0 + block, rows);
      for (let j0 = 0; j0 < cols; j0 += block) {
        const j1 = Math.min(j0 + block, cols);
        for (let i = i0; i < i1; i++) {
          let from = base + i * cols + j0;
          let to = base + j0 * rows + i;
          for (let j = j0; j < j1; j++, from++, to += rows) target[to] = source[from]!;
        }
      }
    }
  }
  return out;
}

/**
 * x * cos + rotate_half(x) * sin (negate: with -sin, the inverse rotation) for x [batch, seq, heads, d] and
 * tables [seq, d], on the wasm backend; undefined elsewhere. No gradient: for use inside custom-gradient ops.
 */
export function rotaryWasm(
  x: tf.Tensor4D,
  cos: tf.Tensor2D,
  sin: tf.Tensor2D,
  negate: boolean,
): tf.Tensor4D | undefined {
  if (
    tf.getBackend() !== 'wasm' ||
    x.dtype !== 'float32' ||
    cos.dtype !== 'float32' ||
    sin.dtype !== 'float32'
  )
    return undefined;
  installWasmKernels();
  return tf.engine().runKernel(ROTARY, { x, cos, sin }, { negate }) as tf.Tensor4D;
}

/**
 * a[i] @ b[i] for every entry of a [n, m, k] and b [n, k, p]: [n, m, p], each product a 2-D XNNPACK matmul
 * on wasm (tf.matMul elsewhere). No gradient: for use inside custom-gradient ops.
 */
export function matMulEach(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D {
  if (tf.getBackend() !== 'wasm' || a.dtype !== 'float32' || b.dtype !== 'float32') return tf.matMul(a, b);
  const [count, , inner] = a.shape;
  if (b.shape[0] !== count || b.shape[1] !== inner)
    throw new Error(`matMulEach: shapes [${a.shape}] and [${b.shape}] do not pair up`);
  installWasmKernels();
  return tf.engine().runKernel(MATMUL_EACH, { a, b }, {}) as tf.Tensor3D;
}

/** table[ids[i]] for a 2-D table and int32 ids: [ids, width]. No gradient: for use inside custom-gradient ops. */
export function gatherRows(table: tf.Tensor2D, ids: tf.Tensor1D): tf.Tensor2D {
  if (tf.getBackend() !== 'wasm' || table.dtype !== 'float32' || ids.dtype !== 'int32')
    return tf.gather(table, ids);
  installWasmKernels();
  return tf.engine().runKernel(GATHER_ROWS, { table, ids }, {}) as tf.Tensor2D;
}

/** The sum over the first axis of a 2-D tensor. No gradient: for use inside custom-gradient ops. */
export function sumRows(x: tf.Tensor2D): tf.Tensor1D {
  if (tf.getBackend() !== 'wasm' || x.dtype !== 'float32') return tf.sum(x, 0);
  installWasmKernels();
  return tf.engine().runKernel(SUM_ROWS, { x }, {}) as tf.Tensor1D;
}

/**
 * Attention for decoding, without gradient: softmax(q k^T * scale) v for q [n, m, d] against k and v [n, s, d],
 * entry e seeing its keys from first[e] up to `length` (default s; the slots before first[e] are padding, those
 * from `length` on spare room). One pass over the cache on wasm; elsewhere undefined (ops.decodeAttention
 * falls back to `attention` with the equivalent additive mask).
 */
export function decodeAttentionWasm(
  q: tf.Tensor3D,
  k: tf.Tensor3D,
  v: tf.Tensor3D,
  scale: number,
  first: readonly number[],
  length: number = k.shape[1],
): tf.Tensor3D | undefined {
  if (tf.getBackend() !== 'wasm' || q.dtype !== 'float32' || k.dtype !== 'float32' || v.dtype !== 'float32')
    return undefined;
  const [n, , d] = q.shape;
  if (
    k.shape[0] !== n ||
    v.shape[0] !== n ||
    k.shape[2] !== d ||
    v.shape[1] !== k.shape[1] ||
    v.shape[2] !== d ||
    first.length !== n ||
    !Number.isInteger(length) ||
    length < 1 ||
    length > k.shape[1] ||
    first.some((start) => start < 0 || start >= length)
  )
    throw new Error(
      `decodeAttention: shapes [${q.shape}], [${k.shape}], [${v.shape}], ${first.length} starts and length ${length} do not pair up`,
    );
  installWasmKernels();
  return tf.engine().runKernel(DECODE_ATTENTION, { q, k, v }, {
    scale,
    first: [...first],
    length,
  } as unknown as tf.NamedAttrMap) as tf.Tensor3D;
}

/**
 * Writes x [n, 1, d] into slot `slot` of every entry of cache [n, s, d]. On wasm the write goes into the
 * cache's own buffer and the cache itself is returned: its owner must be the only holder of that buffer (no
 * clone shares it; wasm clones share buffers). Elsewhere a new tensor with the slot replaced is returned and
 * the cache is left as it was.
 */
export function writeSlot(cache: tf.Tensor3D, x: tf.Tensor3D, slot: number): tf.Tensor3D {
  const [n, slots, d] = cache.shape;
  if (
    x.shape[0] !== n ||
    x.shape[1] !== 1 ||
    x.shape[2] !== d ||
    !Number.isInteger(slot) ||
    slot < 0 ||
    slot >= slots
  )
    throw new Error(`writeSlot: [${x.shape}] does not fit slot ${slot} of a cache of shape [${cache.shape}]`);
  if (tf.getBackend() !== 'wasm' || cache.dtype !== 'float32' || x.dtype !== 'float32')
    return tf.tidy(() => {
      const parts: tf.Tensor3D[] = [];
      if (slot > 0) parts.push(tf.slice(cache, [0, 0, 0], [n, slot, d]));
      parts.push(x);
      if (slot + 1 < slots) parts.push(tf.slice(cache, [0, slot + 1, 0], [n, slots - slot - 1, d]));
      return tf.concat(parts, 1) as tf.Tensor3D;
    });
  const wasm = tf.backend() as unknown as WasmBackend;
  const heap = new Float32Array(wasm.wasm.HEAPU8.buffer);
  const target = wasm.getMemoryOffset(cache.dataId) / 4;
  const source = wasm.getMemoryOffset(x.dataId) / 4;
  for (let e = 0; e < n; e++) {
    const to = target + (e * slots + slot) * d;
    heap.copyWithin(to, source + e * d, source + (e + 1) * d);
  }
  return cache;
}

/**
 * Copies slots from..from+count of entries of `source` [n, s, d] into slots to..to+count of entries of `target`
 * [m, t, d]: entry pairs [source entry, target entry]. `source` may be `target` (overlapping ranges move as
 * memmove does). On wasm the copy goes into the target's own buffer and the target itself is returned (its
 * owner must be the only holder of that buffer, as for writeSlot); elsewhere a new tensor is returned.
 */
export function copySlots(
  target: tf.Tensor3D,
  source: tf.Tensor3D,
  entries: readonly (readonly [number, number])[],
  slots: { readonly from: number; readonly to: number; readonly count: number },
): tf.Tensor3D {
  const [n, sourceSlots, d] = source.shape;
  const [m, targetSlots, targetDim] = target.shape;
  const { from, to, count } = slots;
  if (
    d !== targetDim ||
    ![from, to, count].every(Number.isInteger) ||
    from < 0 ||
    to < 0 ||
    count < 0 ||
    from + count > sourceSlots ||
    to + count > targetSlots ||
    entries.some(
      ([s, t]) => !Number.isInteger(s) || !Number.isInteger(t) || s < 0 || s >= n || t < 0 || t >= m,
    )
  )
    throw new Error(
      `copySlots: slots ${from}..${from + count} of [${source.shape}] do not fit slot ${to} of [${target.shape}] for entries ${JSON.stringify(entries)}`,
    );
  const move = (into: Float32Array, intoBase: number, out: Float32Array, outBase: number) => {
    for (const [s, t] of entries) {
      const start = outBase + (s * sourceSlots + from) * d;
      into.set(out.subarray(start, start + count * d), intoBase + (t * targetSlots + to) * d);
    }
  };
  if (tf.getBackend() === 'wasm' && source.dtype === 'float32' && target.dtype === 'float32') {
    const wasm = tf.backend() as unknown as WasmBackend;
    const heap = new Float32Array(wasm.wasm.HEAPU8.buffer);
    // TypedArray.set copies as if through a buffer when source and target share memory: a memmove.
    move(heap, wasm.getMemoryOffset(target.dataId) / 4, heap, wasm.getMemoryOffset(source.dataId) / 4);
    return target;
  }
  const data = Float32Array.from(target.dataSync() as Float32Array);
  move(data, 0, source === target ? data.slice() : (source.dataSync() as Float32Array), 0);
  return tf.tensor3d(data, [m, targetSlots, d]);
}
