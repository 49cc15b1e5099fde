import * as tf from '@tensorflow/tfjs';

/*
 * Kernels of our own for tfjs-backend-wasm, where its own ones copy more than they must:
 * - Identity (behind tf.clone, which autodiff calls on every tensor it saves for the backward pass) copies
 *   the data; tensors are immutable, so ours shares the buffer and counts a reference, as the cpu backend does.
 * - Cast to the same dtype (autodiff casts every saved input of a product to float32) copies too; ours shares.
 * - Its BatchMatMul takes the XNNPACK path only for one 2-D product without transposes; batched ones run a
 *   scalar loop about 10x slower. matMulEach runs each entry of a batch on the XNNPACK path, in place: the
 *   entries are registered with the C++ side as views into the operands (no slices, no copies, one tfjs op).
 * - rotaryWasm applies a rotary embedding in one pass, where tf ops take a permutation matmul and four
 *   element-wise kernels (and as many again for the gradient).
 */

const MATMUL_EACH = 'TuneledgerMatMulEach';
const ROTARY = 'TuneledgerRotary';

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
