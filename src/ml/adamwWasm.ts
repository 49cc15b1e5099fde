import * as tf from '@tensorflow/tfjs';

/*
 * One AdamW update of one variable as a single pass over its elements, for tfjs-backend-wasm. The tfjs ops of
 * AdamW.update make about a dozen element-wise passes (and as many full-size intermediates) per variable; this
 * kernel reads the weight, gradient and moments once and writes the three new tensors. Every intermediate is
 * rounded to float32 (Math.fround) where the op sequence rounds it, so the result is bit for bit the op
 * sequence's: float32 +, -, *, / and sqrt computed in double and rounded once are correctly rounded.
 */

const ADAMW = 'TuneledgerAdamW';

/** Constants of one update, each the float32 scalar the op sequence multiplies, adds or divides by. */
export interface AdamWScalars {
  /** The gradient's clipping factor (1: none). */
  readonly clip: number;
  readonly beta1: number;
  readonly oneMinusBeta1: number;
  readonly beta2: number;
  readonly oneMinusBeta2: number;
  /** 1 - lr * weightDecay, or 1 where the variable is not decayed. */
  readonly decay: number;
  /** sqrt(1 - beta2^step) */
  readonly sqrtBias2: number;
  readonly epsilon: number;
  /** lr / (1 - beta1^step) */
  readonly stepSize: number;
}

/** The parts of the wasm backend the kernel uses. */
interface WasmBackend {
  readonly wasm: { readonly HEAPU8: Uint8Array };
  getMemoryOffset(dataId: object): number;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
}

function adamWKernel({ inputs, backend, attrs }: Parameters<tf.KernelFunc>[0]): tf.TensorInfo[] {
  const { param, grad, m, v } = inputs as Record<'param' | 'grad' | 'm' | 'v', tf.TensorInfo>;
  const s = attrs as unknown as AdamWScalars;
  const wasm = backend as unknown as WasmBackend;
  const size = param.shape.reduce((a, b) => a * b, 1);
  const outs = [param, m, v].map((t) => wasm.makeOutput([...t.shape], 'float32'));
  // Views made after every allocation: makeOutput may grow the heap, which detaches earlier views.
  const buffer = wasm.wasm.HEAPU8.buffer;
  const view = (t: tf.TensorInfo) => new Float32Array(buffer, wasm.getMemoryOffset(t.dataId), size);
  const [p0, g0, m0, v0] = [param, grad, m, v].map(view) as [
    Float32Array,
    Float32Array,
    Float32Array,
    Float32Array,
  ];
  const [p1, m1, v1] = outs.map(view) as [Float32Array, Float32Array, Float32Array];
  const f = Math.fround;
  const clip = f(s.clip);
  const clipping = s.clip !== 1;
  const beta1 = f(s.beta1);
  const oneMinusBeta1 = f(s.oneMinusBeta1);
  const beta2 = f(s.beta2);
  const oneMinusBeta2 = f(s.oneMinusBeta2);
  const decay = f(s.decay);
  const decaying = s.decay !== 1;
  const sqrtBias2 = f(s.sqrtBias2);
  const epsilon = f(s.epsilon);
  const stepSize = f(s.stepSize);
  for (let i = 0; i < size; i++) {
    const g = clipping ? f(g0[i]! * clip) : g0[i]!;
    const mi = f(f(m0[i]! * beta1) + f(g * oneMinusBeta1));
    const vi = f(f(v0[i]! * beta2) + f(f(g * g) * oneMinusBeta2));
    const p = decaying ? f(p0[i]! * decay) : p0[i]!;
    const denom = f(f(f(Math.sqrt(vi)) / sqrtBias2) + epsilon);
    m1[i] = mi;
    v1[i] = vi;
    p1[i] = p - f(f(mi / denom) * stepSize);
  }
  return outs;
}

/**
 * The new weight, first and second moments of one AdamW step on the wasm backend, as AdamW.update's op sequence
 * computes them (bit for bit); undefined on other backends or dtypes, where the caller runs the ops.
 */
export function adamWStepWasm(
  param: tf.Tensor,
  grad: tf.Tensor,
  m: tf.Tensor,
  v: tf.Tensor,
  scalars: AdamWScalars,
): { param: tf.Tensor; m: tf.Tensor; v: tf.Tensor } | undefined {
  if (tf.getBackend() !== 'wasm' || [param, grad, m, v].some((t) => t.dtype !== 'float32')) return undefined;
  if ([grad, m, v].some((t) => !tf.util.arraysEqual(t.shape, param.shape)))
    throw new Error(`AdamW: gradient or moments do not have the weight's shape [${param.shape}]`);
  if (!tf.getKernel(ADAMW, 'wasm'))
    tf.registerKernel({ kernelName: ADAMW, backendName: 'wasm', kernelFunc: adamWKernel });
  const [p1, m1, v1] = tf
    .engine()
    .runKernel(ADAMW, { param, grad, m, v }, scalars as unknown as tf.NamedAttrMap) as tf.Tensor[];
  return { param: p1!, m: m1!, v: v1! };
}
