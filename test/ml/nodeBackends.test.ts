import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { NODE_BACKEND_PACKAGES } from '../../src/ml/backend.js';
import {
  initBackend,
  LlamaModel,
  Trainer,
  type BackendName,
  type TrainerOptions,
  type TrainingExample,
} from '../../src/ml/index.js';
import { microConfig as config } from './microConfig.js';

/**
 * The libtensorflow backends (tfjs-node, tfjs-node-gpu). Their install downloads libtensorflow, so on a machine
 * without internet they are absent and the tests that need them are skipped, saying so; where one is installed,
 * the engine must give on it what it gives on the cpu backend (logits, and a LoRA and a full training step).
 */

const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  dependencies: Record<string, string>;
  optionalDependencies?: Record<string, string>;
};

async function installed(pkg: string): Promise<boolean> {
  try {
    await import(pkg);
    return true;
  } catch {
    return false;
  }
}

const data: TrainingExample[] = [
  { ids: [1, 3, 5, 7, 9, 11], lossMask: [0, 0, 1, 1, 1, 1], entityMask: [0, 0, 0, 1, 0, 0] },
  { ids: [1, 4, 6, 8, 10, 12], lossMask: [0, 0, 1, 1, 1, 1] },
];
const modes: Record<'lora' | 'full', TrainerOptions> = {
  // No LoRA dropout: the backends draw the same masks, but a step without it compares the arithmetic alone.
  lora: {
    mode: 'lora',
    lora: { r: 4, alpha: 8, dropout: 0, targetModules: ['q_proj', 'v_proj'] },
    learningRate: 1e-2,
    totalSteps: 5,
    seed: 3,
  },
  full: { mode: 'full', learningRate: 1e-3, totalSteps: 5, seed: 3 },
};

/** Logits of a fixed prompt, and the loss and gradient norm of two training steps per mode, on `backend`. */
async function fingerprint(backend: string) {
  await initBackend(backend);
  const model = LlamaModel.random(config, 7, 0.3);
  const logits = model.logits([[1, 5, 9, 13, 17, 2]]).flat(2);
  const steps: Record<string, { loss: number; gradNorm: number }[]> = {};
  const tensors = model.toTensors();
  model.dispose();
  for (const [mode, options] of Object.entries(modes)) {
    const trained = LlamaModel.fromTensors(config, tensors);
    const trainer = new Trainer(trained, options);
    steps[mode] = [0, 1].map(() => {
      const { loss, gradNorm } = trainer.trainStep(data);
      return { loss, gradNorm };
    });
    trainer.dispose();
    trained.dispose();
  }
  return { logits, steps };
}

const presence = new Map<string, boolean>();
for (const pkg of Object.values(NODE_BACKEND_PACKAGES)) presence.set(pkg, await installed(pkg));

afterAll(async () => {
  await initBackend('wasm');
});

describe('libtensorflow backends', () => {
  it('are the optional dependencies of the tfjs release the engine uses', () => {
    const tfjs = manifest.dependencies['@tensorflow/tfjs'];
    expect(tfjs).toMatch(/^\^?4\./);
    // tfjs-node registers its kernels with the tfjs-core it finds: a different release fails at start-up.
    expect(manifest.optionalDependencies).toEqual(
      Object.fromEntries(Object.values(NODE_BACKEND_PACKAGES).map((pkg) => [pkg, tfjs])),
    );
  });

  for (const [name, pkg] of Object.entries(NODE_BACKEND_PACKAGES) as [BackendName, string][]) {
    const forced = name === 'tensorflow-gpu' ? 'node-gpu' : 'node';
    const present = presence.get(pkg)!;
    const reason = present
      ? ''
      : ` (skipped: ${pkg} is not installed here; \`npm install ${pkg}\` needs internet, docs/training.md)`;
    it.skipIf(!present)(`${pkg}: same logits and training steps as the cpu backend${reason}`, async () => {
      const reference = await fingerprint('cpu');
      const info = await initBackend(forced);
      expect(info).toMatchObject({ backend: 'tensorflow', provider: pkg });
      const onNode = await fingerprint(forced);
      onNode.logits.forEach((v, i) => expect(v).toBeCloseTo(reference.logits[i]!, 4));
      for (const mode of Object.keys(modes)) {
        onNode.steps[mode]!.forEach((step, i) => {
          expect(step.loss).toBeCloseTo(reference.steps[mode]![i]!.loss, 4);
          expect(step.gradNorm).toBeCloseTo(reference.steps[mode]![i]!.gradNorm, 3);
        });
      }
    });
    it.runIf(!present)(`${pkg}: forcing it where it is not installed fails with the reason`, async () => {
      await expect(initBackend(forced)).rejects.toThrow(new RegExp(`forces ${name}, which failed to start`));
    });
  }
});
