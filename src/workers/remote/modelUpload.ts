import { createHash } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { ArtifactRef } from '../../data/index.js';
import { tarSize, tarStream, type TarFile } from '../training/tarball.js';
import { TAR_MEDIA_TYPE } from '../training/trainingJob.js';
import { uploadArtifact } from './apiArtifactStore.js';
import type { ApiClient } from './apiClient.js';

/** A base model uploaded as an artifact, and the `baseModel` a run request names it by. */
export interface UploadedModel {
  readonly artifact: ArtifactRef;
  readonly baseModel: { readonly name: string; readonly source: { kind: 'artifact'; hash: string } };
}

/**
 * The files of a Hugging Face checkpoint directory as they go into its archive: the regular files at its top
 * level (config.json, weights, tokenizer files), by name. Hidden entries (a download tool's `.cache`) are
 * left out; any other subdirectory is refused, as the archive holds one level.
 */
export async function checkpointFiles(dir: string): Promise<TarFile[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => !name.startsWith('.')).sort();
  } catch (error) {
    throw new Error(`cannot read the model directory ${dir}: ${(error as Error).message}`);
  }
  const files: TarFile[] = [];
  for (const name of names) {
    const path = join(dir, name);
    const info = await stat(path);
    if (!info.isFile()) {
      throw new Error(
        `${path} is not a regular file: a base model is one directory level of files (config.json, weights, tokenizer files)`,
      );
    }
    files.push({ name, path, size: info.size });
  }
  if (!files.some((file) => file.name === 'config.json')) {
    throw new Error(`${dir} has no config.json: give a Hugging Face checkpoint directory`);
  }
  return files;
}

/**
 * Uploads a Hugging Face checkpoint directory as one tar artifact (`uploadArtifact`: to a presigned URL of the
 * bucket when the API offers one, else `PUT /artifacts/<sha256>`), so a worker with no shared disk can fetch it
 * by hash: the archive is streamed twice from the files, once to hash it and once to send it (the API checks
 * the hash again before it keeps it), never held in memory. Needs a token that may
 * upload (engineer or admin).
 */
export async function uploadModelDirectory(
  client: ApiClient,
  dir: string,
  name: string,
): Promise<UploadedModel> {
  if (name.trim() === '') throw new Error('--name is the base model name runs will show, e.g. llama-3-8b');
  const files = await checkpointFiles(dir);
  const hasher = createHash('sha256');
  for await (const chunk of tarStream(files)) hasher.update(chunk);
  const ref: ArtifactRef = {
    hash: hasher.digest('hex'),
    byteSize: tarSize(files),
    mediaType: TAR_MEDIA_TYPE,
  };
  const artifact = await uploadArtifact(client, ref, () => Readable.from(tarStream(files)));
  return { artifact, baseModel: { name, source: { kind: 'artifact', hash: artifact.hash } } };
}
