import * as tf from '@tensorflow/tfjs';

/*
 * Kernels of our own for tfjs-backend-wasm, where its own ones copy more than they must:
 * - Identity (behind tf.clone, which autodiff calls on every tensor it saves for the backward pass) copies
 *   the data; tensors are immutable, so ours shares the buffer and counts a reference, as the cpu backend does.
 * - Cast to the same dtype (autodiff casts every saved input of a product to float32) copies too; ours shares.
 * - Its Slice kernel (behind slice, unstack and split) first copies its whole input out of the wasm heap, once
 *   per output, and its Gather walks elements one at a time; splitEntries copies each block once, and
 *   stackEntries (unlike stack, a concat done element-wise in JavaScript) puts blocks back with one copy each.
 * - rotaryWasm applies a rotary embedding in one pass, where tf ops take a permutation matmul and four
 *   element-wise kernels (and as many again for the gradient).
 */

const SPLIT_ENTRIES = 'TuneledgerSplitEntries';
const STACK_ENTRIES = 'TuneledgerStackEntries';
const ROTARY = 'TuneledgerRotary';

/** The parts of the wasm backend the kernels use (public methods of BackendWasm). */
interface WasmBackend {
  readonly wasm: { readonly HEAPU8: Uint8Array };
  getMemoryOffset(dataId: object): number;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  incRef(dataId: object): void;
}

let installed = false;

/** Registers the kernels above for the wasm backend (once per process; called when wasm is chosen). */
export function installWasmKernels(): void {
  if (installed) return;
  installed = true;
  const identity = tf.getKernel(tf.Identity, 'wasm');
  if (identity) {
    tf.unregisterKernel(tf.Identity, 'wasm');
    tf.registerKernel({
      kernelName: tf.Identity,
      backendName: 'wasm',
      kernelFunc: (args) => {
        const x = args.inputs.x as tf.TensorInfo;
        if (x.dtype === 'string') return identity.kernelFunc(args);
        (args.backend as WasmBackend).incRef(x.dataId);
        return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
      },
    });
  }
  const cast = tf.getKernel(tf.Cast, 'wasm');
  if (cast) {
    tf.unregisterKernel(tf.Cast, 'wasm');
    tf.registerKernel({
      kernelName: tf.Cast,
      backendName: 'wasm',
      kernelFunc: (args) => {
        const x = args.inputs.x as tf.TensorInfo;
        if (x.dtype === 'string' || x.dtype !== (args.attrs as { dtype: tf.DataType }).dtype)
          return cast.kernelFunc(args);
        (args.backend as WasmBackend).incRef(x.dataId);
        return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
      },
    });
  }
  tf.registerKernel({
    kernelName: STACK_ENTRIES,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend }) => {
      const parts = Object.keys(inputs)
        .sort((a, b) => Number(a) - Number(b))
        .map((k) => inputs[k] as tf.TensorInfo);
      const wasm = backend as WasmBackend;
      const first = parts[0]!;
      const bytes = first.shape.reduce((a, b) => a * b, 1) * 4;
      const out = wasm.makeOutput([parts.length, ...first.shape], first.dtype);
      const heap = wasm.wasm.HEAPU8;
      const target = wasm.getMemoryOffset(out.dataId);
      parts.forEach((part, i) => {
        const source = wasm.getMemoryOffset(part.dataId);
        heap.copyWithin(target + i * bytes, source, source + bytes);
      });
      return out;
    },
  });
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
  tf.registerKernel({
    kernelName: SPLIT_ENTRIES,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend }) => {
      const x = inputs.x as tf.TensorInfo;
      const wasm = backend as WasmBackend;
      const [count = 0, ...shape] = x.shape;
      const bytes = shape.reduce((a, b) => a * b, 1) * 4;
      const outputs = Array.from({ length: count }, () => wasm.makeOutput(shape, x.dtype));
      // Read after allocating: the heap may have grown and been replaced.
      const heap = wasm.wasm.HEAPU8;
      const source = wasm.getMemoryOffset(x.dataId);
      outputs.forEach((out, i) =>
        heap.copyWithin(wasm.getMemoryOffset(out.dataId), source + i * bytes, source + (i + 1) * bytes),
      );
      return outputs;
    },
  });
}

/**
 * x[0], x[1], ... along the first axis (as tf.unstack), each a copy of just its own block. No gradient: for
 * use inside custom-gradient ops.
 */
export function splitEntries(x: tf.Tensor): tf.Tensor[] {
  if (tf.getBackend() !== 'wasm' || (x.dtype !== 'float32' && x.dtype !== 'int32')) return tf.unstack(x);
  installWasmKernels();
  return tf.engine().runKernel(SPLIT_ENTRIES, { x }, {}) as tf.Tensor[];
}

/** tf.stack(parts) of same-shaped tensors, one copy per part. No gradient: for use inside custom-gradient ops. */
export function stackEntries(parts: tf.Tensor[]): tf.Tensor {
  const first = parts[0];
  if (
    !first ||
    tf.getBackend() !== 'wasm' ||
    parts.some((p) => (p.dtype !== 'float32' && p.dtype !== 'int32') || p.dtype !== first.dtype) ||
    parts.some((p) => p.shape.length !== first.shape.length || p.shape.some((d, i) => d !== first.shape[i]))
  )
    return tf.stack(parts);
  installWasmKernels();
  return tf
    .engine()
    .runKernel(STACK_ENTRIES, Object.fromEntries(parts.map((p, i) => [String(i), p])), {}) as tf.Tensor;
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
