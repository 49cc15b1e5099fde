/** Shared pieces of the worker tests: a tiny model on disk, a small templated dataset, bundled entries. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'rolldown';
import { CANONICAL_MEDIA_TYPE, type ArtifactStore, type DatasetRecord } from '../../src/data/index.js';
import { initBackend, LlamaModel, makeLlamaConfig, saveModel, TINY_CONFIG } from '../../src/ml/index.js';
import { ByteTokenizer } from '../../src/ml/tokenizers/index.js';
import type { CommandContext, Services } from '../../src/services/index.js';

const CITIES: ReadonlyArray<readonly [string, string]> = [
  ['France', 'Paris'],
  ['Japan', 'Tokyo'],
  ['Peru', 'Lima'],
  ['Kenya', 'Nairobi'],
];

/** A templated dataset: "Capital of X?" -> "Y."; the city is the lexicon entity of each answer. */
export function capitalRecords(): DatasetRecord[] {
  return CITIES.map(([country, city]) => {
    const content = `${city}.`;
    return {
      messages: [
        { role: 'system', content: 'Answer.' },
        { role: 'user', content: `Capital of ${country}?` },
        { role: 'assistant', content },
      ],
      entities: [{ message: 2, start: 0, end: city.length, term: city, category: 'geo/city' }],
      provenance: { templateId: 'capital', substitutions: { country, city } },
    };
  });
}

export const capitalLexicon = {
  name: 'capitals',
  version: 1,
  terms: CITIES.map(([, city]) => ({ term: city, category: 'geo/city', attributes: {} })),
};

/** The tiny LLaMA checkpoint `tuneledger model init --tiny` writes, with its byte tokenizer. */
export async function writeTinyModel(
  dir: string,
  seed = 3,
  initializerRange = Number(process.env.IR ?? 0.2),
): Promise<string> {
  mkdirSync(dir, { recursive: true });
  await initBackend();
  // A random model at the usual 0.02 cannot be fitted by LoRA: with frozen lm_head and final norm its logits
  // stay within about +-1.3. Wider weights stand in for a pretrained base whose head can be confident.
  const model = LlamaModel.random(makeLlamaConfig(TINY_CONFIG), seed, initializerRange);
  saveModel(model, dir);
  model.dispose();
  await new ByteTokenizer({ vocabSize: TINY_CONFIG.vocabSize }).save(dir);
  return dir;
}

/** Registers the dataset with one revision whose train split is the given records. */
export async function registerDataset(
  services: Services,
  artifacts: ArtifactStore,
  context: CommandContext,
  datasetId: string,
  records: readonly DatasetRecord[],
): Promise<void> {
  const jsonl = records.map((r) => JSON.stringify(r)).join('\n') + '\n';
  const ref = await artifacts.put(jsonl, CANONICAL_MEDIA_TYPE);
  await services.datasets.registerDataset(
    { datasetId, name: 'Capitals', format: 'openai-messages' },
    context,
  );
  await services.datasets.addRevision(
    {
      datasetId,
      contentHash: ref.hash,
      recordCount: records.length,
      byteSize: ref.byteSize,
      splits: { train: { hash: ref.hash, recordCount: records.length, byteSize: ref.byteSize } },
      transform: { kind: 'ingest', params: {} },
      piiReport: { counts: {} },
      qualityReport: { rejected: [] },
    },
    context,
  );
}

const bundleDir = join(process.cwd(), 'node_modules', '.cache', 'tuneledger-test');

/**
 * Compiles an entry (a worker thread or a child process script) with its imports from src into one ESM file
 * that plain node runs; packages stay external. Vitest runs TypeScript only in its own process.
 */
export async function bundle(entry: string, name: string): Promise<string> {
  const file = join(bundleDir, `${name}-${process.pid}.mjs`);
  await build({
    input: join(process.cwd(), entry),
    platform: 'node',
    external: [/^[^./]/],
    output: { file, format: 'esm' },
    write: true,
    logLevel: 'silent',
  });
  return file;
}
