import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { installWasmKernels } from './wasmKernels.js';

export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';

export interface BackendInfo {
  /** The tfjs backend name in use ('tensorflow' for both tfjs-node and tfjs-node-gpu, 'wasm', 'cpu'). */
  readonly backend: string;
  /** Which package provides it, e.g. '@tensorflow/tfjs-node-gpu'. */
  readonly provider: string;
  /** What computes: 'GPU (CUDA)', 'CPU (libtensorflow)', 'CPU (wasm, SIMD, 1 thread)', 'CPU (JavaScript)'. */
  readonly device: string;
  /** Candidates tried before this one and why they were skipped. */
  readonly skipped: readonly string[];
}

/**
 * The optional packages behind the libtensorflow backends (both register tfjs's 'tensorflow' backend). They
 * download libtensorflow when installed, so they are optionalDependencies, loaded by dynamic import.
 */
export const NODE_BACKEND_PACKAGES = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node',
} as const satisfies Record<Extract<BackendName, 'tensorflow-gpu' | 'tensorflow'>, string>;

const PREFERENCE: readonly BackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];
const ALIASES: Record<string, BackendName> = {
  'node-gpu': 'tensorflow-gpu',
  gpu: 'tensorflow-gpu',
  'tensorflow-gpu': 'tensorflow-gpu',
  node: 'tensorflow',
  tensorflow: 'tensorflow',
  wasm: 'wasm',
  cpu: 'cpu',
};

let chosen: { key: string; info: Promise<BackendInfo> } | undefined;

/**
 * Picks and initialises the tfjs backend (once per requested value; the last call wins): tfjs-node-gpu, tfjs-node, wasm, cpu, in that order,
 * or the one TUNELEDGER_TF_BACKEND names (node-gpu, node, wasm, cpu). The node packages are optional
 * dependencies that need internet at install time, so they are detected by a dynamic import.
 */
export function initBackend(
  requested: string | undefined = process.env.TUNELEDGER_TF_BACKEND,
): Promise<BackendInfo> {
  const key = requested?.trim().toLowerCase() ?? '';
  if (chosen?.key === key) return chosen.info;
  const info = pick(requested);
  chosen = { key, info };
  // A failed start is not remembered, so a caller can fix the setting and try again.
  info.catch(() => {
    if (chosen?.info === info) chosen = undefined;
  });
  return info;
}

/** The backend initialised by initBackend, or undefined before it resolves. */
export async function backendInfo(): Promise<BackendInfo | undefined> {
  return chosen?.info;
}

async function pick(requested: string | undefined): Promise<BackendInfo> {
  let candidates = PREFERENCE;
  if (requested && requested.trim() !== '') {
    const forced = ALIASES[requested.trim().toLowerCase()];
    if (!forced) {
      throw new Error(
        `TUNELEDGER_TF_BACKEND="${requested}" is not a backend; use one of node-gpu, node, wasm, cpu (or unset it)`,
      );
    }
    candidates = [forced];
  }
  const skipped: string[] = [];
  for (const name of candidates) {
    try {
      const info = await tryBackend(name);
      return { ...info, skipped };
    } catch (error) {
      const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
      if (candidates.length === 1) {
        throw new Error(`TUNELEDGER_TF_BACKEND forces ${name}, which failed to start: ${reason}`);
      }
      skipped.push(`${name}: ${reason}`);
    }
  }
  throw new Error(`no TensorFlow.js backend could start: ${skipped.join('; ')}`);
}

async function tryBackend(name: BackendName): Promise<Omit<BackendInfo, 'skipped'>> {
  switch (name) {
    case 'tensorflow-gpu': {
      // A variable module name keeps TypeScript from requiring the optional package's types at compile time.
      const pkg: string = NODE_BACKEND_PACKAGES['tensorflow-gpu'];
      await import(pkg);
      if (!(await tf.setBackend('tensorflow')))
        throw new Error(`${pkg} loaded but its backend did not start`);
      return { backend: tf.getBackend(), provider: pkg, device: 'GPU (CUDA, libtensorflow)' };
    }
    case 'tensorflow': {
      const pkg: string = NODE_BACKEND_PACKAGES.tensorflow;
      await import(pkg);
      if (!(await tf.setBackend('tensorflow')))
        throw new Error(`${pkg} loaded but its backend did not start`);
      return { backend: tf.getBackend(), provider: pkg, device: 'CPU (libtensorflow)' };
    }
    case 'wasm': {
      // The .wasm binaries ship inside the package; pointing tfjs at them avoids any network fetch.
      const require = createRequire(import.meta.url);
      const dir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
      setWasmPaths(`${dir}/`);
      if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not start');
      installWasmKernels();
      const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
      return {
        backend: 'wasm',
        provider: '@tensorflow/tfjs-backend-wasm',
        // tfjs disables wasm multithreading under Node, so one process computes on one core.
        device: `CPU (wasm${simd ? ', SIMD' : ''}, 1 thread)`,
      };
    }
    case 'cpu': {
      if (!(await tf.setBackend('cpu'))) throw new Error('the cpu backend did not start');
      return { backend: 'cpu', provider: '@tensorflow/tfjs-backend-cpu', device: 'CPU (JavaScript)' };
    }
  }
}
