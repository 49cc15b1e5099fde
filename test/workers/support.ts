/** Shared pieces of the worker tests: a tiny model on disk, a small templated dataset, bundled entries. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'rolldown';
import {
  CANONICAL_MEDIA_TYPE,
  LocalArtifactStore,
  writePreferenceRevision,
  type ArtifactStore,
  type DatasetRecord,
  type RankedPrompt,
} from '../../src/data/index.js';
import { PostgresEventStore } from '../../src/eventstore/index.js';
import { initBackend, LlamaModel, makeLlamaConfig, saveModel, TINY_CONFIG } from '../../src/ml/index.js';
import { ByteTokenizer } from '../../src/ml/tokenizers/index.js';
import { allProjections, ProjectionRunner } from '../../src/projections/index.js';
import { storedRevisionFields } from '../../src/services/datasets/index.js';
import {
  createServices,
  systemClock,
  uuidIds,
  type CommandContext,
  type Services,
} from '../../src/services/index.js';
import {
  runWorker,
  trainingJobHandler,
  unpackTar,
  type TrainingWorkerOptions,
  type WorkerHandle,
} from '../../src/workers/index.js';
import { pgliteTarget, type TestDatabase } from '../support/databases.js';

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

/** Registers the dataset with one revision whose train split (and with evalSplit, eval split) is the given records. */
export async function registerDataset(
  services: Services,
  artifacts: ArtifactStore,
  context: CommandContext,
  datasetId: string,
  records: readonly DatasetRecord[],
  options: { readonly evalSplit?: boolean } = {},
): Promise<void> {
  const jsonl = records.map((r) => JSON.stringify(r)).join('\n') + '\n';
  const ref = await artifacts.put(jsonl, CANONICAL_MEDIA_TYPE);
  const split = { hash: ref.hash, recordCount: records.length, byteSize: ref.byteSize };
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
      // With evalSplit the same records are the eval split too: tests about wiring, not generalisation.
      splits: options.evalSplit ? { train: split, eval: split } : { train: split },
      transform: { kind: 'ingest', params: {} },
      piiReport: { counts: {} },
      qualityReport: { rejected: [] },
    },
    context,
  );
}

/** Right and wrong capitals: people ranked the first answer of each prompt above the second. */
export const CAPITAL_PREFERENCES: ReadonlyArray<readonly [string, string, string]> = [
  ['France', 'Paris.', 'Lima.'],
  ['Japan', 'Tokyo.', 'Paris.'],
  ['Peru', 'Lima.', 'Nairobi.'],
  ['Kenya', 'Nairobi.', 'Tokyo.'],
];

/**
 * The flywheel's path to a preference dataset: two candidate answers per prompt, ranked by people, written
 * as the preference revision 1 of `capital-prefs`. Returns how many pairs it holds.
 */
export async function registerCapitalPreferences(
  services: Services,
  artifacts: ArtifactStore,
  context: CommandContext,
): Promise<number> {
  const prompts: RankedPrompt[] = CAPITAL_PREFERENCES.map(([country, right, wrong], i) => ({
    promptId: `p${i}`,
    prompt: `Capital of ${country}?`,
    candidates: [
      { candidateId: 'a', text: right },
      { candidateId: 'b', text: wrong },
    ],
    rankings: [['a', 'b']],
  }));
  const facts = await writePreferenceRevision({
    store: artifacts,
    prompts,
    split: { evalFraction: 0, seed: 0 },
  });
  await services.datasets.registerDataset(
    { datasetId: 'capital-prefs', name: 'Capital preferences', format: 'preference' },
    context,
  );
  await services.datasets.addRevision(
    {
      datasetId: 'capital-prefs',
      ...storedRevisionFields(facts, { pii: facts.pii }),
      transform: { kind: 'ingest', params: {} },
    },
    context,
  );
  return facts.added;
}

/** What the training-worker tests run against: the embedded platform, with projections running. */
export interface TrainingTestPlatform {
  readonly database: TestDatabase;
  readonly store: PostgresEventStore;
  readonly services: Services;
  readonly runner: ProjectionRunner;
  /** A fresh temporary directory; artifacts live in its artifacts/ and the tiny model in tiny/. */
  readonly root: string;
  readonly artifacts: LocalArtifactStore;
  /** The tiny model's directory (writeTinyModel). */
  readonly modelDir: string;
  /** The bundled training thread. */
  readonly threadEntry: string;
  close(): Promise<void>;
}

export async function startTrainingTestPlatform(prefix: string): Promise<TrainingTestPlatform> {
  const database = await pgliteTarget.open();
  const store = new PostgresEventStore(database, { pollIntervalMs: 50 });
  const runner = new ProjectionRunner({
    db: database.db,
    store,
    projections: allProjections,
    pollIntervalMs: 50,
  });
  runner.start();
  const root = mkdtempSync(join(tmpdir(), prefix));
  return {
    database,
    store,
    services: createServices({ store, clock: systemClock, ids: uuidIds }),
    runner,
    root,
    artifacts: new LocalArtifactStore(join(root, 'artifacts')),
    modelDir: await writeTinyModel(join(root, 'tiny')),
    threadEntry: await bundle('src/workers/training/trainingThread.ts', 'trainingThread'),
    async close() {
      await runner.stop();
      await database.close();
    },
  };
}

/**
 * A training worker on the test platform, reporting every step and checkpointing every 3 (micro-batches of 2,
 * one gradient worker, no terminal progress bar); `options` change any of that.
 */
export function startTrainingWorker(
  t: TrainingTestPlatform,
  options: Partial<TrainingWorkerOptions> = {},
): WorkerHandle {
  return runWorker({
    kinds: ['train'],
    handlers: {
      train: trainingJobHandler({
        services: t.services,
        store: t.store,
        artifacts: t.artifacts,
        threadEntry: t.threadEntry,
        progressEvery: 1,
        checkpointEvery: 3,
        microBatchSize: 2,
        progressBar: false,
        cancelPollMs: 100,
        gradientWorkers: 1,
        ...options,
      }),
    },
    db: t.database.db,
    leaseMs: 10_000,
    pollMs: 100,
  });
}

/** A completed run's artifact, unpacked into a fresh directory `name` under the platform's root. */
export async function completedArtifact(
  t: TrainingTestPlatform,
  runId: string,
  name: string,
): Promise<{
  artifact: { kind: string; hash: string };
  metrics: Record<string, number>;
  dir: string;
  files: string[];
}> {
  const completed = (await t.store.readStream(`run-${runId}`)).find((e) => e.type === 'TrainingRunCompleted');
  if (!completed) throw new Error(`run ${runId} has not completed`);
  const data = completed.data as {
    artifact: { kind: string; hash: string };
    metrics: Record<string, number>;
  };
  const dir = join(mkdtempSync(join(t.root, `${name}-`)), name);
  mkdirSync(dir);
  const files = unpackTar(await t.artifacts.get(data.artifact.hash));
  for (const [file, bytes] of files) writeFileSync(join(dir, file), bytes);
  return { artifact: data.artifact, metrics: data.metrics, dir, files: [...files.keys()].sort() };
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
