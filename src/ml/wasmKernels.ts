import * as tf from '@tensorflow/tfjs';

/*
 * Kernels of our own for tfjs-backend-wasm, where its own ones copy more than they must. Its Slice kernel
 * (behind slice, unstack and split) first copies its whole input out of the wasm heap, once per output, and
 * its Gather walks elements one at a time; taking the 32 entries of an attention block that way cost more
 * than the matmuls it was meant to speed up.
 */

const SPLIT_ENTRIES = 'TuneledgerSplitEntries';

/** The parts of the wasm backend the kernel uses (public methods of BackendWasm). */
interface WasmBackend {
  readonly wasm: { readonly HEAPU8: Uint8Array };
  getMemoryOffset(dataId: object): number;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
}

let registered = false;

function registerSplitEntries(): void {
  tf.registerKernel({
    kernelName: SPLIT_ENTRIES,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend }) => {
      const x = inputs.x as tf.TensorInfo;
      const wasm = backend as unknown as WasmBackend;
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
  if (!registered) {
    registerSplitEntries();
    registered = true;
  }
  return tf.engine().runKernel(SPLIT_ENTRIES, { x }, {}) as tf.Tensor[];
}
