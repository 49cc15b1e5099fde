import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { ArtifactStore } from '../data/index.js';
import {
  modelStream,
  runStream,
  type ModelRef,
  type ModelVersionRegistered,
  type TrainingRunRequested,
} from '../domain/index.js';
import type { StreamReader } from '../eventstore/index.js';
import type { ModelFiles } from '../ml/index.js';

/** Where a registered model version's files are on this machine. */
export interface ModelResolver {
  resolve(model: ModelRef): Promise<ModelFiles>;
}

export type { ModelFiles };

export const modelKey = (model: ModelRef): string => `${model.name}@${model.version}`;

/** Unpacks a tar made by the training worker (ustar, regular files only) into a directory. */
export type Untar = (bytes: Uint8Array, what: string) => Iterable<readonly [string, Uint8Array]>;

export interface RegistryResolverOptions {
  readonly store: StreamReader;
  readonly artifacts: ArtifactStore;
  /** The training worker's tar reader (src/workers' unpackTar). */
  readonly untar: Untar;
  /** Where unpacked artifacts are kept (default: the OS temp dir). */
  readonly cacheDir?: string;
}

/**
 * Resolves a version through the log: the model stream's ModelVersionRegistered gives the run and the
 * adapter (or weights) artifact; the run's TrainingRunRequested gives the base model and prompt format.
 */
export function registryModelResolver(options: RegistryResolverOptions): ModelResolver {
  const cacheDir = options.cacheDir ?? join(tmpdir(), 'tuneledger-serving');
  const unpack = async (hash: string, what: string): Promise<string> => {
    const dir = join(cacheDir, hash);
    if (existsSync(join(dir, '.complete'))) return dir;
    const staging = `${dir}.${process.pid}.${Date.now()}`;
    mkdirSync(staging, { recursive: true });
    for (const [name, data] of options.untar(await options.artifacts.get(hash), what)) {
      writeFileSync(join(staging, basename(name)), data);
    }
    writeFileSync(join(staging, '.complete'), '');
    rmSync(dir, { recursive: true, force: true });
    renameSync(staging, dir);
    return dir;
  };
  return {
    async resolve(model) {
      const registered = (await options.store.readStream(modelStream(model.name))).find(
        (event) =>
          event.type === 'ModelVersionRegistered' &&
          (event.data as ModelVersionRegistered['data']).version === model.version,
      )?.data as ModelVersionRegistered['data'] | undefined;
      if (!registered) {
        throw new Error(
          `model ${model.name} v${model.version} is not registered; register it before deploying it`,
        );
      }
      const requested = (await options.store.readStream(runStream(registered.runId))).find(
        (event) => event.type === 'TrainingRunRequested',
      )?.data as TrainingRunRequested['data'] | undefined;
      if (!requested)
        throw new Error(
          `model ${model.name} v${model.version}: its run ${registered.runId} was never requested`,
        );
      const source = requested.baseModel.source;
      const what = `model ${model.name} v${model.version}`;
      const packed = registered.artifacts.weights ?? registered.artifacts.merged;
      let baseDir: string;
      let adapter: string | undefined;
      if (registered.artifacts.adapter && source.kind !== 'registry') {
        // Base plus adapter keeps the base directory's tokenizer files; the adapter is merged at load.
        baseDir = source.kind === 'path' ? source.path : await unpack(source.hash, `${what} base model`);
        adapter = registered.artifacts.adapter;
      } else if (packed) baseDir = await unpack(packed, `${what} weights`);
      else if (source.kind === 'path') baseDir = source.path;
      else if (source.kind === 'artifact') baseDir = await unpack(source.hash, `${what} base model`);
      else
        throw new Error(
          `${what}: a base model from the registry (${source.model.name} v${source.model.version}) cannot be served yet`,
        );
      if (!existsSync(join(baseDir, 'config.json'))) {
        throw new Error(`${what}: its base model directory ${baseDir} holds no config.json on this machine`);
      }
      return {
        key: modelKey(model),
        baseDir,
        ...(adapter ? { adapterDir: await unpack(adapter, `${what} adapter`) } : {}),
        ...(requested.promptFormat ? { promptFormat: requested.promptFormat } : {}),
      };
    },
  };
}
