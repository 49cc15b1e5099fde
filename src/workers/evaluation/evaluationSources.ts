import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCanonicalRecords, type ArtifactStore } from '../../data/index.js';
import {
  datasetStream,
  eventRegistry,
  modelStream,
  runStream,
  type DatasetRevisionAdded,
  type ModelVersionRegistered,
  type TrainingRunRequested,
} from '../../domain/index.js';
import type { StreamReader } from '../../eventstore/index.js';
import { unpackTar } from '../training/tarball.js';
import { exampleFromDatasetRecord, type EvaluationExample } from './evaluationExample.js';

/** A failure no retry can fix (a missing model, a data set without an eval split). */
export class PermanentEvaluationError extends Error {
  override readonly name = 'PermanentEvaluationError';
}

async function eventsOf<T>(store: StreamReader, stream: string, type: string): Promise<T[]> {
  const out: T[] = [];
  for (const recorded of await store.readStream(stream)) {
    if (recorded.type !== type) continue;
    out.push(eventRegistry.upcast(recorded.type, recorded.schemaVersion, recorded.data).data as T);
  }
  return out;
}

/** Where a model version's files are on this worker, and the prompt format its run trained with. */
export interface ResolvedModel {
  readonly modelDir: string;
  readonly adapterDir?: string;
  readonly promptFormat?: string;
}

/**
 * Finds a model version's weights: the base model of its run (a path or a stored artifact) plus its stored
 * adapter; a full fine-tune's stored weights are unpacked beside the base model's tokenizer files.
 * Unpacked artifacts are cached by hash under cacheDir.
 */
export async function resolveModelVersion(
  store: StreamReader,
  artifacts: ArtifactStore,
  model: { readonly name: string; readonly version: number },
  cacheDir: string,
): Promise<ResolvedModel> {
  const registered = (
    await eventsOf<ModelVersionRegistered['data']>(store, modelStream(model.name), 'ModelVersionRegistered')
  ).find((v) => v.version === model.version);
  if (!registered) {
    throw new PermanentEvaluationError(
      `model ${model.name} v${model.version} is not registered; evaluate a registered version`,
    );
  }
  const [run] = await eventsOf<TrainingRunRequested['data']>(
    store,
    runStream(registered.runId),
    'TrainingRunRequested',
  );
  if (!run) {
    throw new PermanentEvaluationError(
      `model ${model.name} v${model.version}: its run ${registered.runId} has no TrainingRunRequested event`,
    );
  }
  const source = run.baseModel.source;
  let baseDir: string;
  switch (source.kind) {
    case 'path':
      baseDir = source.path;
      break;
    case 'artifact':
      baseDir = await unpackCached(artifacts, source.hash, cacheDir, `base model ${source.hash}`);
      break;
    default:
      throw new PermanentEvaluationError(
        `model ${model.name} v${model.version}: its base model comes from the registry, which evaluation does not resolve yet; register merged weights instead`,
      );
  }
  if (!existsSync(join(baseDir, 'config.json'))) {
    throw new PermanentEvaluationError(
      `model ${model.name} v${model.version}: base model directory ${baseDir} holds no config.json on this worker; the path must exist on every worker machine`,
    );
  }
  const promptFormat = run.promptFormat;
  const withFormat = promptFormat !== undefined ? { promptFormat } : {};
  if (registered.artifacts.adapter) {
    const adapterDir = await unpackCached(
      artifacts,
      registered.artifacts.adapter,
      cacheDir,
      `adapter of ${model.name} v${model.version}`,
    );
    return { modelDir: baseDir, adapterDir, ...withFormat };
  }
  const weights = registered.artifacts.merged ?? registered.artifacts.weights;
  if (!weights) return { modelDir: baseDir, ...withFormat };
  const dir = await unpackCached(artifacts, weights, cacheDir, `weights of ${model.name} v${model.version}`);
  // Stored weights carry config and tensors; the tokenizer files come from the base model.
  for (const name of readdirSync(baseDir)) {
    if (!name.endsWith('.safetensors') && !existsSync(join(dir, name)) && !name.startsWith('.')) {
      try {
        copyFileSync(join(baseDir, name), join(dir, name));
      } catch {
        // Sub-directories and unreadable files are not tokenizer files.
      }
    }
  }
  return { modelDir: dir, ...withFormat };
}

async function unpackCached(
  artifacts: ArtifactStore,
  hash: string,
  cacheDir: string,
  what: string,
): Promise<string> {
  const dir = join(cacheDir, hash);
  const marker = join(dir, '.complete');
  if (existsSync(marker)) return dir;
  mkdirSync(dir, { recursive: true });
  let bytes: Buffer;
  try {
    bytes = await artifacts.get(hash);
  } catch (error) {
    throw new PermanentEvaluationError(
      `${what}: ${hash} cannot be read from the artifact store (${(error as Error).message})`,
    );
  }
  for (const [name, data] of unpackTar(bytes, what)) writeFileSync(join(dir, name), data);
  writeFileSync(marker, '');
  return dir;
}

/** The eval split of a dataset revision as evaluation examples. */
export async function evaluationExamples(
  store: StreamReader,
  artifacts: ArtifactStore,
  dataset: { readonly id: string; readonly revision: number },
): Promise<EvaluationExample[]> {
  const revision = (
    await eventsOf<DatasetRevisionAdded['data']>(store, datasetStream(dataset.id), 'DatasetRevisionAdded')
  ).find((r) => r.revision === dataset.revision);
  if (!revision) {
    throw new PermanentEvaluationError(`dataset ${dataset.id} has no revision ${dataset.revision}`);
  }
  const split = revision.splits.eval;
  if (!split) {
    throw new PermanentEvaluationError(
      `dataset ${dataset.id} revision ${dataset.revision} has no eval split; add a revision with an eval split (transform "split") and evaluate that`,
    );
  }
  const examples: EvaluationExample[] = [];
  let index = 0;
  for await (const record of readCanonicalRecords(artifacts, split.hash)) {
    const example = exampleFromDatasetRecord(record, index++);
    if (example) examples.push(example);
  }
  if (examples.length === 0) {
    throw new PermanentEvaluationError(
      `dataset ${dataset.id} revision ${dataset.revision}: the eval split has no record with a user turn`,
    );
  }
  return examples;
}
