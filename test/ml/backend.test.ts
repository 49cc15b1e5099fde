import { describe, expect, it } from 'vitest';
import { initBackend, LlamaModel, makeLlamaConfig } from '../../src/ml/index.js';

describe('backend selection', () => {
  it('refuses an unknown TUNELEDGER_TF_BACKEND value and names the choices', async () => {
    await expect(initBackend('cuda')).rejects.toThrow(
      /TUNELEDGER_TF_BACKEND="cuda" is not a backend; use one of node-gpu, node, wasm, cpu/,
    );
  });

  it('reports a forced optional backend that is not installed', async () => {
    // tfjs-node is an optional dependency that needs internet to install; it is absent on the build machine.
    let installed = true;
    try {
      await import('@tensorflow/tfjs-node' as string);
    } catch {
      installed = false;
    }
    if (installed) {
      console.log('skipped: @tensorflow/tfjs-node is installed here, so forcing it succeeds');
      return;
    }
    await expect(initBackend('node')).rejects.toThrow(/forces tensorflow, which failed to start/);
  });

  it('falls back to wasm by default, reporting what it skipped, and gives the same logits as the cpu backend', async () => {
    const config = makeLlamaConfig({
      vocabSize: 21,
      hiddenSize: 16,
      intermediateSize: 24,
      numLayers: 2,
      numHeads: 4,
      numKvHeads: 2,
    });
    const cpu = await initBackend('cpu');
    expect(cpu).toMatchObject({ backend: 'cpu', device: 'CPU (JavaScript)' });
    const onCpu = LlamaModel.random(config, 4, 0.3);
    const cpuLogits = onCpu.logits([[1, 5, 9, 13, 17]]);
    const tensors = onCpu.toTensors();
    onCpu.dispose();
    const info = await initBackend('');
    expect(['wasm', 'tensorflow']).toContain(info.backend);
    if (info.backend === 'wasm')
      expect(info.skipped.map((s) => s.split(':')[0])).toEqual(['tensorflow-gpu', 'tensorflow']);
    const onDefault = LlamaModel.fromTensors(config, tensors);
    const diff = Math.max(
      ...onDefault
        .logits([[1, 5, 9, 13, 17]])[0]!
        .flatMap((row, i) => row.map((v, j) => Math.abs(v - cpuLogits[0]![i]![j]!))),
    );
    expect(diff).toBeLessThan(1e-5);
    onDefault.dispose();
  });
});
