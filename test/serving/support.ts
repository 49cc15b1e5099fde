/**
 * Shared parts of the serving tests: the generation thread compiled to JavaScript (worker_threads run JS,
 * not TypeScript), a tiny model whose output entropy an adapter of scaled noise raises, and a registry with
 * real runs and adapters behind each version.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ArtifactStore } from '../../src/data/index.js';
import {
  initBackend,
  LlamaModel,
  LoraAdapter,
  makeLlamaConfig,
  saveModel,
  TINY_CONFIG,
} from '../../src/ml/index.js';
import { ByteTokenizer } from '../../src/ml/tokenizers/index.js';
import type { CommandContext, Services } from '../../src/services/index.js';
import { packTar } from '../../src/workers/training/tarball.js';

export const root = join(import.meta.dirname, '..', '..');

/**
 * Compiles src/serving/generationThread.ts (and the engine it imports) into .tmp; returns its URL. The output
 * is keyed by a hash of the sources, so test files share one compilation until the code changes.
 */
export function compileGenerationThread(): URL {
  const sources = [join(root, 'src', 'serving'), join(root, 'src', 'ml')].flatMap((dir) =>
    (readdirSync(dir, { recursive: true }) as string[])
      .filter((f) => f.endsWith('.ts'))
      .map((f) => join(dir, f)),
  );
  const hash = createHash('sha256');
  for (const file of sources.sort()) hash.update(file).update(readFileSync(file));
  const out = join(root, '.tmp', `serving-thread-${hash.digest('hex').slice(0, 16)}`);
  const entry = join(out, 'src', 'serving', 'generationThread.js');
  if (!existsSync(entry)) {
    const staging = `${out}.${process.pid}`;
    execFileSync(
      process.execPath,
      [
        join(root, 'node_modules', 'typescript', 'bin', 'tsc'),
        ...['--outDir', staging, '--rootDir', root, '--target', 'ES2022', '--module', 'NodeNext'],
        ...['--moduleResolution', 'NodeNext', '--skipLibCheck', '--types', 'node', '--strict'],
        join(root, 'src', 'serving', 'generationThread.ts'),
      ],
      { stdio: 'pipe' },
    );
    try {
      renameSync(staging, out);
    } catch {
      // Another test file compiled the same sources first: use theirs.
      rmSync(staging, { recursive: true, force: true });
    }
  }
  return pathToFileURL(entry);
}

export const tinyConfig = makeLlamaConfig({ ...TINY_CONFIG, tieWordEmbeddings: true });
export const ADAPTER_MODULES = ['v_proj', 'o_proj', 'up_proj', 'down_proj'] as const;

/**
 * A tiny base whose layers are near zero and whose (tied) embeddings are large: the hidden state stays close
 * to the last token's embedding, so the model confidently repeats it (mean entropy near 0.2 nats). Noise in
 * the layers pushes the hidden state off every embedding and the next-token distribution flattens.
 */
export async function writeTinyBase(dir: string): Promise<void> {
  await initBackend();
  const quiet = LlamaModel.random(tinyConfig, 1, 0.005);
  const tensors = quiet.toTensors();
  const embed = tensors.get('model.embed_tokens.weight')!;
  tensors.set('model.embed_tokens.weight', { shape: embed.shape, data: embed.data.map((v) => v * 30) });
  quiet.dispose();
  const model = LlamaModel.fromTensors(tinyConfig, tensors, 'tiny serving base');
  saveModel(model, dir);
  model.dispose();
  await new ByteTokenizer({ vocabSize: tinyConfig.vocabSize }).save(dir);
}

/** A PEFT adapter: B zeros (what training starts from) when noise is 0, else uniform noise of that range. */
export function writeAdapter(dir: string, noise: number, seed = 3): void {
  const adapter = LoraAdapter.create(
    tinyConfig,
    { r: 8, alpha: 16, dropout: 0, targetModules: [...ADAPTER_MODULES] },
    seed,
  );
  if (noise > 0) adapter.randomizeB(seed + 2, noise);
  adapter.save(dir);
  adapter.dispose();
}

export function tarDirectory(dir: string): Uint8Array {
  return packTar(readdirSync(dir).map((name) => ({ name, data: readFileSync(join(dir, name)) })));
}

/**
 * Registers model versions through the services, each from a completed run whose artifact is a real
 * adapter tar in the store: exactly what the training worker leaves behind.
 */
export async function registerVersions(
  services: Services,
  artifacts: ArtifactStore,
  context: CommandContext,
  options: { modelName: string; baseDir: string; adapters: readonly string[]; datasetHash: string },
): Promise<void> {
  await services.datasets.registerDataset({ datasetId: 'chat', name: 'Chat', format: 'alpaca' }, context);
  await services.datasets.addRevision(
    {
      datasetId: 'chat',
      contentHash: options.datasetHash,
      recordCount: 1,
      byteSize: 10,
      splits: { train: { hash: options.datasetHash, recordCount: 1, byteSize: 10 } },
      transform: { kind: 'ingest', params: {} },
      piiReport: { counts: {} },
      qualityReport: { rejected: [] },
    },
    context,
  );
  for (const [index, adapterDir] of options.adapters.entries()) {
    const runId = `run-${index + 1}`;
    const ref = await artifacts.put(tarDirectory(adapterDir), 'application/x-tar');
    await services.runs.requestTrainingRun(
      {
        runId,
        baseModel: { name: 'tiny', source: { kind: 'path', path: options.baseDir } },
        dataset: { id: 'chat', revision: 1 },
        method: { kind: 'lora', r: 8, alpha: 16, dropout: 0, targetModules: [...ADAPTER_MODULES] },
        stages: [{ name: 'sft', learningRate: 1e-3, batchSize: 1, epochs: 1 }],
        loss: { kind: 'cross-entropy' },
        seed: 1,
        targetModel: options.modelName,
      },
      context,
    );
    const worker: CommandContext = { actor: 'trainer', roles: ['worker'] };
    await services.runs.claimRun(
      { runId, workerId: 'w', leaseMs: 60_000, backend: { name: 'cpu', device: 'cpu' } },
      worker,
    );
    await services.runs.startStage({ runId, workerId: 'w', stageIndex: 0, steps: 1 }, worker);
    await services.runs.completeRun(
      {
        runId,
        workerId: 'w',
        artifact: { kind: 'adapter', hash: ref.hash, byteSize: ref.byteSize },
        finalLoss: 0.1,
        steps: 1,
        durationMs: 1,
        tokensSeen: 1,
      },
      worker,
    );
    await services.models.registerModelVersion({ modelName: options.modelName, runId }, context);
  }
}

export function ensureDir(dir: string): string {
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
  return dir;
}
