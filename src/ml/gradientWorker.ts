/** The body of a data-parallel gradient worker (see parallel.ts); runs in a worker_thread. */
import * as tf from '@tensorflow/tfjs';
import { parentPort } from 'node:worker_threads';
import { initBackend } from './backend.js';
import { parseLlamaConfig } from './config.js';
import { computeGradients } from './gradients.js';
import { LoraAdapter } from './lora.js';
import { makeBatch } from './loss.js';
import { LlamaModel } from './model.js';
import type { ShardRequest, ShardResult, WorkerSetup } from './parallel.js';
import { Rng } from './rng.js';

let model: LlamaModel | undefined;

parentPort!.on(
  'message',
  async (message: { kind: 'setup'; setup: WorkerSetup } | { kind: 'shard'; shard: ShardRequest }) => {
    try {
      if (message.kind === 'setup') {
        await initBackend(message.setup.backend);
        const config = parseLlamaConfig(message.setup.configJson, 'gradient worker config');
        model = LlamaModel.fromTensors(config, new Map(message.setup.base), 'gradient worker weights');
        if (message.setup.mode === 'full') model.setBaseTrainable(true);
        else model.lora = LoraAdapter.create(config, message.setup.lora!, 0);
        parentPort!.postMessage({ ok: true });
        return;
      }
      if (!model) throw new Error('shard before setup');
      const received = performance.now();
      const shard = message.shard;
      const variables = model.trainableVariables();
      for (const [key, data] of shard.trainable) {
        const variable = variables.get(key);
        if (!variable) throw new Error(`unknown trainable variable ${key}`);
        tf.tidy(() => variable.assign(tf.tensor(data, variable.shape)));
      }
      const batch = makeBatch(shard.examples, shard.padId);
      const loaded = performance.now();
      const result = computeGradients(model, batch, shard.loss, new Rng(shard.seed), shard.counts);
      const computed = performance.now();
      const grads: [string, Float32Array][] = [];
      for (const [key, g] of result.grads) {
        grads.push([key, Float32Array.from(g.dataSync() as Float32Array)]);
        g.dispose();
      }
      const reply: ShardResult = {
        grads,
        total: result.total,
        base: result.base,
        entity: result.entity,
        time: { ...result.time, exchangeMs: loaded - received + (performance.now() - computed) },
      };
      parentPort!.postMessage(
        { ok: true, result: reply },
        grads.map(([, d]) => d.buffer as ArrayBuffer),
      );
    } catch (error) {
      parentPort!.postMessage({ ok: false, error: error instanceof Error ? error.message : String(error) });
    }
  },
);
