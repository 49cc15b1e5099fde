import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  initBackend,
  LlamaModel,
  loadModel,
  makeLlamaConfig,
  saveModel,
  TINY_CONFIG,
  TINY_TRAINABLE_INIT_RANGE,
} from '../../ml/index.js';
import { ByteTokenizer } from '../../ml/tokenizers/index.js';
import { packTar, TAR_MEDIA_TYPE } from '../../workers/index.js';
import type { RunProgressEventType } from '../../client/index.js';
import { ApiClient, ApiError } from './apiClient.js';
import { DemoReporter, StepUnavailable } from './demoReporter.js';
import { startDemoPlatform, type DemoPlatform, type DemoThreadEntries } from './demoPlatform.js';
import { sizesFor, type DemoSize } from './demoSizes.js';

export interface DemoOptions {
  /** Where the embedded database and artifacts live; default a fresh temporary directory. */
  readonly dataDir?: string;
  /** Keep the data directory afterwards (always kept when dataDir is given). */
  readonly keep?: boolean;
  /** full: the documented demo; short: fewer steps and requests (the test). */
  readonly size?: DemoSize;
  readonly logLevel?: string;
  readonly out?: NodeJS.WritableStream;
  readonly threads?: DemoThreadEntries;
  /** Where the platform listens (default 0: any free port). */
  readonly port?: number;
  /**
   * Called after the last step while the platform still serves, with the console's and the reports' URLs: the
   * command line waits for a key here, so the printed URLs work until the user is done with them.
   */
  readonly beforeClose?: (served: DemoServed) => Promise<void>;
}

/** What the demo's platform serves while it runs. */
export interface DemoServed {
  readonly consoleUrl: string;
  readonly reportUrls: readonly string[];
}

export interface DemoSummary {
  readonly dataDir: string;
  readonly kept: boolean;
  readonly seconds: number;
  readonly steps: DemoReporter['results'];
  readonly facts: Readonly<Record<string, unknown>>;
}

const STEPS = 9;
const MODEL = 'demo-assistant';
const DEPLOYMENT = 'demo-assistant';
const ALL_MODULES = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];
/** Zeroed in the degraded version: with it every logit is 0 (see registerFlattenedVersion). */
const FINAL_NORM = 'model.norm.weight';

/** examples/demo holds the sample dataset and lexicon; found from src/ (vitest) and dist/src/ (the CLI). */
export function examplesDir(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, 'examples', 'demo');
    if (existsSync(join(candidate, 'instructions.jsonl'))) return candidate;
  }
  throw new Error(
    'examples/demo/instructions.jsonl not found above the demo code: run from a tuneledger checkout',
  );
}

/** What a step needs from the API but the schema lacks: that piece is not built yet. */
function unavailableIfMissing(error: unknown, piece: string): never {
  if (error instanceof ApiError && error.notInSchema)
    throw new StepUnavailable(`${piece} is not in the GraphQL API yet (${error.errors[0]?.message})`);
  throw error;
}

async function poll<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`gave up waiting ${Math.round(timeoutMs / 1000)} s for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const json = (value: unknown) => JSON.stringify(value);

/**
 * The whole loop on a fresh embedded platform, driven over the GraphQL API and the OpenAI-compatible
 * endpoint: base model, ingest with PII, augmentation, staged LoRA training, evaluation and gate, promotion
 * and deployment, traffic, a degraded version rolled back by the monitor, and the audit report.
 */
export async function runDemo(options: DemoOptions = {}): Promise<DemoSummary> {
  const sizes = sizesFor(options.size ?? 'full');
  const out = options.out ?? process.stdout;
  const report = new DemoReporter(STEPS, out);
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'tuneledger-demo-'));
  const kept = options.keep === true || options.dataDir !== undefined;
  const started = performance.now();
  const facts: Record<string, unknown> = {};

  report.line(`tuneledger demo: embedded database in ${dataDir}`);
  let demo: DemoPlatform | undefined;
  let clients: ApiClient[] = [];
  try {
    const booted = performance.now();
    demo = await startDemoPlatform({
      dataDir,
      logLevel: options.logLevel ?? 'error',
      monitor: { windowSize: sizes.window, entropyRisePct: 15, latencyRisePct: 1e6, autoRollback: true },
      ...(options.threads ? { threads: options.threads } : {}),
      ...(options.port !== undefined ? { port: options.port } : {}),
    });
    const platform = demo;
    const tokens = platform.platform.graphql.tokens;
    const token = async (actor: string, role: 'engineer' | 'approver' | 'admin' | 'viewer') =>
      (await tokens.create({ actor, roles: [role], createdBy: 'demo', description: 'tuneledger demo' }))
        .token;
    const appToken = await token('chat-app', 'viewer');
    const s: DemoSession = {
      demo: platform,
      report,
      sizes,
      facts,
      examples: examplesDir(),
      engineer: new ApiClient(demo.graphqlUrl, await token('eli-engineer', 'engineer')),
      approver: new ApiClient(demo.graphqlUrl, await token('rita-approver', 'approver')),
      admin: new ApiClient(demo.graphqlUrl, await token('ana-admin', 'admin')),
      chat: (content) => chatCompletion(platform.servingUrl, appToken, content),
      baseUrl: demo.graphqlUrl.replace(/\/graphql$/, ''),
      reportUrls: [],
    };
    clients = [s.engineer, s.approver, s.admin];
    report.line(
      `platform up in ${((performance.now() - booted) / 1000).toFixed(1)} s: GraphQL ${demo.graphqlUrl}, OpenAI-compatible ${demo.servingUrl}/v1`,
    );
    report.line();

    const base = await report.step(1, 'Create a tiny LLaMA base model (model init --tiny)', () =>
      createBaseModel(s, join(dataDir, 'models', 'tiny-base')),
    );
    const ingested = await report.step(2, 'Ingest a sample instruction dataset with PII in it', () =>
      ingestSample(s),
    );
    /** A step that cannot run for want of an earlier one's result. */
    const skip = (index: number, title: string, because: string): undefined => {
      report.skip(index, title, because);
      return undefined;
    };
    const training: Training = { revision: ingested?.revision ?? 0 };
    if (!ingested) report.skip(3, 'Augment the dataset with a lexicon', 'no dataset was ingested');
    else
      await report.step(3, 'Augment the dataset with a lexicon', () => augmentDataset(s, ingested, training));
    const dataset = ingested && { datasetId: ingested.datasetId, revision: training.revision };

    const trainedVersion =
      !base || !dataset
        ? skip(4, 'Train a staged LoRA run', 'needs the base model and a dataset')
        : await report.step(4, 'Train a staged LoRA run (3 stages), watching runProgress', () =>
            trainStaged(s, base, dataset, training),
          );
    const evaluation =
      trainedVersion === undefined || !dataset
        ? skip(5, 'Evaluate the model version (metrics and gate)', 'no trained version')
        : await report.step(5, 'Evaluate the model version (metrics and gate)', () =>
            evaluateVersion(s, trainedVersion, dataset),
          );
    const deployed =
      trainedVersion === undefined
        ? skip(6, 'Promote and deploy', 'no trained version')
        : (await report.step(6, 'Promote to production and deploy', () =>
            promoteAndDeploy(s, trainedVersion, evaluation),
          )) === true;
    const baselineEntropy =
      !deployed || trainedVersion === undefined
        ? skip(7, 'Send traffic through the OpenAI-compatible endpoint', 'nothing is deployed')
        : await report.step(7, 'Send traffic through the OpenAI-compatible endpoint', () =>
            sendTraffic(s, trainedVersion),
          );
    if (!deployed || !base || !dataset || trainedVersion === undefined)
      report.skip(8, 'Deploy a degraded version and watch the monitor roll it back', 'nothing is deployed');
    else
      await report.step(
        8,
        'Deploy a degraded version (final norm zeroed: uniform next-token distributions) and watch the rollback',
        () => degradeAndRollBack(s, base, dataset, trainedVersion, baselineEntropy),
      );
    if (trainedVersion === undefined) report.skip(9, 'Audit report', 'no model version');
    else await report.step(9, 'Audit report', () => auditReport(s, trainedVersion));
    await options.beforeClose?.({ consoleUrl: `${s.baseUrl}/`, reportUrls: s.reportUrls });
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await demo?.close();
  }

  const seconds = (performance.now() - started) / 1000;
  report.line();
  report.line(`Summary (${seconds.toFixed(0)} s):`);
  for (const r of report.results)
    report.line(
      `  ${String(r.index).padStart(2)}. ${r.status.padEnd(11)} ${r.seconds.toFixed(1).padStart(6)} s  ${r.title}`,
    );
  if (kept) report.line(`data directory kept: ${dataDir} (TUNELEDGER_DATA_DIR=${dataDir} tuneledger start)`);
  else rmSync(dataDir, { recursive: true, force: true });
  return { dataDir, kept, seconds, steps: report.results, facts };
}

/** What every step uses: the platform, the reporter, the people's API clients, and what the demo learned. */
interface DemoSession {
  readonly demo: DemoPlatform;
  readonly report: DemoReporter;
  readonly sizes: ReturnType<typeof sizesFor>;
  /** What the demo observed, returned in its summary (the test checks them). */
  readonly facts: Record<string, unknown>;
  readonly examples: string;
  readonly engineer: ApiClient;
  readonly approver: ApiClient;
  readonly admin: ApiClient;
  /** A chat completion with the chat app's token. */
  readonly chat: (content: string) => ReturnType<typeof chatCompletion>;
  readonly baseUrl: string;
  /** The report URLs printed at the end, served while the demo runs. */
  readonly reportUrls: string[];
}

/** A dataset revision the steps train and evaluate on. */
interface DatasetRef {
  readonly datasetId: string;
  readonly revision: number;
}

/** What training uses of the dataset steps: the revision (augmented, if that worked) and the lexicon. */
interface Training {
  revision: number;
  lexiconHash?: string;
}

interface Evaluated {
  readonly evaluationId: string;
  readonly gatePassed: boolean;
}

/** The sample model's configuration (the spread `model init --tiny` uses). */
const config = makeLlamaConfig(TINY_CONFIG);

type Revision = {
  revision: number;
  recordCount: number;
  piiReport: unknown;
  qualityReport: unknown;
  splits: unknown;
};

const REVISIONS = `query($id: ID!) { dataset(datasetId: $id) { latestRevision revisions(first: 20) { edges { node { revision recordCount piiReport qualityReport splits transformKind } } } } }`;

async function datasetRevisions(client: ApiClient, datasetId: string) {
  return (
    await client.request<{
      dataset: { latestRevision: number | null; revisions: { edges: { node: Revision }[] } } | null;
    }>('dataset', REVISIONS, { id: datasetId })
  ).dataset;
}

/** Step 1: a tiny base model on disk, as `tuneledger model init --tiny` writes it. */
async function createBaseModel(s: DemoSession, baseDir: string): Promise<string> {
  const { report } = s;
  const backend = await initBackend();
  mkdirSync(baseDir, { recursive: true });
  // The spread `model init --tiny` uses: LoRA on a random base at the usual 0.02 cannot fit.
  const model = LlamaModel.random(config, 7, TINY_TRAINABLE_INIT_RANGE);
  saveModel(model, baseDir);
  model.dispose();
  await new ByteTokenizer({ vocabSize: config.vocabSize }).save(baseDir);
  report.detail(
    `${config.numLayers} layers, hidden ${config.hiddenSize}, vocab ${config.vocabSize} (byte tokenizer), backend ${backend.backend} (${backend.device}); ${baseDir}`,
  );
  return baseDir;
}

/** Step 2: the sample dataset, with planted PII, ingested over GraphQL. */
async function ingestSample(s: DemoSession): Promise<DatasetRef> {
  const { report, engineer, facts, examples } = s;
  const content = readFileSync(join(examples, 'instructions.jsonl'), 'utf8');
  const result = await engineer
    .request<{ ingestDataset: { datasetId: string; revision: number; recordCount: number } }>(
      'ingestDataset',
      `mutation($input: DatasetIngestInput!) { ingestDataset(input: $input) { datasetId revision recordCount userErrors { code message } } }`,
      {
        input: {
          name: 'demo-instructions',
          domain: 'general',
          description: 'examples/demo/instructions.jsonl',
          format: 'ALPACA',
          content,
          evalFraction: 0.25,
          seed: 1,
        },
      },
    )
    .catch((error: unknown) => unavailableIfMissing(error, 'dataset ingestion (ingestDataset)'));
  const { datasetId, revision } = result.ingestDataset;
  const row = (await datasetRevisions(engineer, datasetId))?.revisions.edges.find(
    (e) => e.node.revision === revision,
  )?.node;
  report.detail(`dataset ${datasetId} revision ${revision}: ${result.ingestDataset.recordCount} records`);
  report.detail(`PII report: ${json(row?.piiReport ?? null)}`);
  facts.piiReport = row?.piiReport;
  return { datasetId, revision };
}

/** Step 3: augmentation with the lexicon (an `augment` job); the revision and lexicon go to `training`. */
async function augmentDataset(s: DemoSession, ingested: DatasetRef, training: Training): Promise<void> {
  const { report, engineer, examples } = s;
  const lexicon: unknown = JSON.parse(readFileSync(join(examples, 'lexicon.json'), 'utf8'));
  const requested = await engineer
    .request<{
      requestAugmentation: { augmentationId: string; lexiconHash: string; templates: string[] };
    }>(
      'requestAugmentation',
      `mutation($input: AugmentationRequestInput!) { requestAugmentation(input: $input) { augmentationId lexiconHash templates userErrors { code message } } }`,
      { input: { datasetId: ingested.datasetId, revision: ingested.revision, lexicon, seed: 1 } },
    )
    .catch((error: unknown) => unavailableIfMissing(error, 'augmentation (requestAugmentation)'));
  training.lexiconHash = requested.requestAugmentation.lexiconHash;
  const latest = await poll('the augment worker to add a revision', 120_000, async () => {
    const found = await datasetRevisions(engineer, ingested.datasetId);
    return found?.latestRevision && found.latestRevision > ingested.revision
      ? found.revisions.edges.find((e) => e.node.revision === found.latestRevision)?.node
      : await augmentationFailure(engineer, requested.requestAugmentation.augmentationId);
  });
  training.revision = latest.revision;
  report.detail(
    `revision ${latest.revision}: ${latest.recordCount} records (templates ${requested.requestAugmentation.templates.join(', ')}; lexicon ${training.lexiconHash.slice(0, 12)})`,
  );
}

/** Step 4: a staged LoRA run, followed over the runProgress subscription; answers the registered version. */
async function trainStaged(
  s: DemoSession,
  base: string,
  dataset: DatasetRef,
  training: Training,
): Promise<number> {
  const { report, engineer, demo, sizes, facts } = s;
  const requested = await engineer.request<{
    requestTrainingRun: { id: string; checkpoint: string | null };
  }>(
    'requestTrainingRun',
    `mutation($input: TrainingRunRequestInput!) { requestTrainingRun(input: $input) { id checkpoint userErrors { code message } } }`,
    {
      input: {
        baseModel: { name: 'tiny-base', source: { kind: 'PATH', path: base } },
        dataset: { id: dataset.datasetId, revision: dataset.revision },
        method: { kind: 'LORA', r: 8, alpha: 16, dropout: 0, targetModules: ALL_MODULES },
        stages: sizes.stages,
        loss: training.lexiconHash
          ? { kind: 'ENTITY_WEIGHTED', entityWeight: 0.3, lexiconHash: training.lexiconHash }
          : { kind: 'CROSS_ENTROPY' },
        seed: 11,
        promptFormat: 'ALPACA',
        targetModel: MODEL,
      },
    },
  );
  const runId = requested.requestTrainingRun.id;
  report.detail(`run ${runId}`);
  const bar = report.progress('training');
  type Update = {
    type: RunProgressEventType;
    step: number | null;
    totalSteps: number | null;
    stageIndex: number | null;
    loss: number | null;
    finished: boolean;
  };
  const losses: number[] = [];
  let lastStep = 0;
  let last: Update | undefined;
  await engineer
    .subscribe<{ runProgress: Update }>(
      'runProgress',
      `subscription($id: ID!, $from: String) { runProgress(runId: $id, from: $from) { type step totalSteps stageIndex loss finished } }`,
      { id: runId, from: requested.requestTrainingRun.checkpoint },
      ({ runProgress: update }) => {
        last = update;
        if (update.type === 'TRAINING_PROGRESS_REPORTED' && update.step !== null) {
          losses.push(update.loss ?? NaN);
          lastStep = update.step;
          bar.update(
            update.step,
            update.totalSteps ?? update.step,
            `stage ${(update.stageIndex ?? 0) + 1}/${sizes.stages.length} loss ${update.loss?.toFixed(3)}`,
          );
        }
      },
    )
    .finally(() => bar.stop());
  if (last?.type !== 'TRAINING_RUN_COMPLETED') {
    const run = await engineer.request<{ run: { failureReason: string | null } | null }>(
      'run',
      `query($id: ID!) { run(runId: $id) { failureReason } }`,
      { id: runId },
    );
    throw new Error(`run ${runId} ended with ${last?.type ?? 'nothing'}: ${run.run?.failureReason ?? ''}`);
  }
  report.detail(`loss ${losses[0]?.toFixed(3)} -> ${losses.at(-1)?.toFixed(3)} over ${lastStep} steps`);
  facts.loss = { first: losses[0], last: losses.at(-1) };
  const version = await versionOfRun(engineer, runId);
  report.detail(`registered as ${MODEL} v${version}`);
  // No other run is trained here: the degraded version of step 8 is made by hand, not by this worker.
  await demo.stopTraining();
  return version;
}

/** Step 5: the evaluation of the version, its metrics and gate. */
async function evaluateVersion(s: DemoSession, version: number, dataset: DatasetRef): Promise<Evaluated> {
  const { report, engineer, facts } = s;
  const gate = [{ metric: 'f1', op: 'GTE', value: 0.3 }];
  const requested = await engineer.request<{ requestEvaluation: { id: string } }>(
    'requestEvaluation',
    `mutation($input: EvaluationRequestInput!) { requestEvaluation(input: $input) { id userErrors { code message } } }`,
    {
      input: {
        model: { name: MODEL, version: version },
        dataset: { id: dataset.datasetId, revision: dataset.revision },
        suites: ['EXACT_MATCH', 'F1', 'ROBUSTNESS'],
        gate,
      },
    },
  );
  const evaluationId = requested.requestEvaluation.id;
  type Row = {
    status: string;
    gatePassed: boolean | null;
    gateFailures: unknown;
    metrics: Record<string, number> | null;
    errorTaxonomy: unknown;
    failureReason: string | null;
  };
  const row = await poll('the evaluate worker', 300_000, async () => {
    const { evaluation: found } = await engineer.request<{ evaluation: Row | null }>(
      'evaluation',
      `query($id: ID!) { evaluation(evaluationId: $id) { status gatePassed gateFailures metrics errorTaxonomy failureReason } }`,
      { id: evaluationId },
    );
    return found && found.status !== 'REQUESTED' ? found : undefined;
  });
  if (row.status !== 'COMPLETED')
    throw new Error(`evaluation ${evaluationId} ${row.status}: ${row.failureReason}`);
  const shown = Object.entries(row.metrics ?? {})
    .filter(([, v]) => typeof v === 'number')
    .slice(0, 6)
    .map(([k, v]) => `${k} ${v.toFixed(3)}`);
  report.detail(`evaluation ${evaluationId}: ${shown.join(', ')}`);
  report.detail(`gate ${json(gate)}: ${row.gatePassed ? 'PASSED' : `FAILED ${json(row.gateFailures)}`}`);
  report.detail(`error taxonomy: ${json(row.errorTaxonomy)}`);
  facts.metrics = row.metrics;
  facts.gatePassed = row.gatePassed;
  return { evaluationId, gatePassed: row.gatePassed === true };
}

/** Step 6: promotion to production (an admin override when the gate did not pass) and deployment. */
async function promoteAndDeploy(
  s: DemoSession,
  version: number,
  evaluation: Evaluated | undefined,
): Promise<boolean> {
  const { report, approver, admin } = s;
  if (evaluation?.gatePassed) {
    await approver.request('promoteModelVersion', PROMOTE, {
      model: MODEL,
      version: version,
      evaluations: [evaluation.evaluationId],
      override: null,
    });
    report.detail(`v${version} promoted to production on evaluation ${evaluation.evaluationId}`);
  } else {
    // The gate did not pass (or no evaluation ran): an admin override, recorded with its reason.
    const reason = 'demo: a tiny model trained for seconds; promoted to show the rest of the loop';
    await admin.request('promoteModelVersion', PROMOTE, {
      model: MODEL,
      version: version,
      evaluations: evaluation ? [evaluation.evaluationId] : [],
      override: reason,
    });
    report.detail(`v${version} promoted to production by an admin override: "${reason}"`);
  }
  await deploy(approver, version, 'demo: first release');
  const active = await waitForActive(approver, version);
  report.detail(`deployment ${DEPLOYMENT} serves v${active.activeVersion} at ${active.endpoint ?? '?'}`);
  return true;
}

/** Step 7: traffic through the OpenAI-compatible endpoint; answers the version's entropy baseline. */
async function sendTraffic(s: DemoSession, version: number): Promise<number | undefined> {
  const { report, engineer, demo, sizes, facts, chat } = s;
  const pii = 'My email is jane.roe@example.com and my phone is 415-555-0132. What is the capital of France?';
  const first = await chat(pii);
  report.detail(`POST /v1/chat/completions "${pii}"`);
  report.detail(`-> "${first.text}" (${first.ms.toFixed(0)} ms)`);
  const latencies = [first.ms];
  for (let i = 1; i < sizes.traffic; i++) latencies.push((await chat(PROMPTS[i % PROMPTS.length]!)).ms);
  latencies.sort((a, b) => a - b);
  report.detail(
    `${latencies.length} requests: p50 ${latencies[Math.floor(latencies.length / 2)]!.toFixed(0)} ms, max ${latencies.at(-1)!.toFixed(0)} ms (shared 2-core machine)`,
  );
  await demo.serving.recorder.flush();
  const recorded = await poll('the interaction to be projected', 30_000, async () => {
    const page = await engineer.request<{ interactions: { edges: { node: { prompt: string } }[] } }>(
      'interactions',
      `query { interactions(deploymentName: "${DEPLOYMENT}", first: 100) { edges { node { prompt } } } }`,
    );
    return page.interactions.edges.find(
      (e) => e.node.prompt.includes('capital of France') && e.node.prompt.includes('['),
    )?.node;
  });
  report.detail(`recorded prompt (redacted before the model and the log): "${recorded.prompt}"`);
  const baselineEntropy = demo.serving.monitor.baselineOf(DEPLOYMENT, {
    name: MODEL,
    version: version,
  })?.entropy;
  if (baselineEntropy !== undefined)
    report.detail(`entropy baseline of v${version}: ${baselineEntropy.toFixed(3)} nats`);
  facts.trafficLatencyMs = latencies;
  return baselineEntropy;
}

/** Step 8: a deliberately degraded version (logits flattened to zero), which the monitor should roll back. */
async function degradeAndRollBack(
  s: DemoSession,
  base: string,
  dataset: DatasetRef,
  version: number,
  baselineEntropy: number | undefined,
): Promise<void> {
  const { report, approver, admin, demo, sizes, facts, chat } = s;
  // The most entropy a distribution over the vocabulary can have, and what the degraded version emits.
  const uniformEntropy = Math.log(config.vocabSize);
  if (baselineEntropy !== undefined && uniformEntropy < baselineEntropy * 1.15)
    throw new Error(
      `the trained version's entropy baseline ${baselineEntropy.toFixed(3)} nats is within 15% of the uniform ${uniformEntropy.toFixed(3)} nats: no version can rise 15% above it`,
    );
  const degradedVersion = await registerFlattenedVersion(demo, base, {
    id: dataset.datasetId,
    revision: dataset.revision,
  });
  report.detail(
    `v${degradedVersion}: the base model with ${FINAL_NORM} set to zero, so every logit is 0 and every next-token distribution uniform: entropy ln(${config.vocabSize}) = ${uniformEntropy.toFixed(3)} nats (registered through the services: the API has no mutation to register weights made outside a run)`,
  );
  await admin.request('promoteModelVersion', PROMOTE, {
    model: MODEL,
    version: degradedVersion,
    evaluations: [],
    override: 'demo: a deliberately degraded version to show automatic rollback',
  });
  await deploy(approver, degradedVersion, 'demo: deliberately degraded');
  await waitForActive(approver, degradedVersion);
  report.detail(`v${degradedVersion} is live; sending traffic until the monitor reacts`);
  let sent = 0;
  let quietSince: number | undefined;
  const rolledBack = await poll('the monitor to roll back', sizes.rollbackTimeoutMs, async () => {
    const state = await deploymentState(approver);
    if (state.rollbackCount > 0 && state.activeVersion === version) return state;
    if (state.activeVersion === degradedVersion && sent < sizes.window * 4) {
      await chat(PROMPTS[sent % PROMPTS.length]!);
      sent++;
    } else if (state.rollbackCount === 0 && state.degradationCount === 0) {
      // Every request of the allowance answered and nothing recorded: give the monitor a grace period.
      quietSince ??= Date.now();
      if (Date.now() - quietSince > 15_000) {
        const seen = demo.serving.monitor.baselineOf(DEPLOYMENT, {
          name: MODEL,
          version: degradedVersion,
        })?.entropy;
        throw new Error(
          `no degradation detected after ${sent} requests: mean entropy of v${degradedVersion}'s first window ${seen?.toFixed(3) ?? '?'} nats vs baseline ${baselineEntropy?.toFixed(3) ?? '?'} (threshold +15%)`,
        );
      }
    }
    return undefined;
  });
  const degraded = rolledBack.lastDegradation as {
    metric?: string;
    baseline?: number;
    current?: number;
    changePct?: number;
  } | null;
  report.detail(
    `after ${sent} requests: ${degraded?.metric} ${degraded?.baseline?.toFixed(3)} -> ${degraded?.current?.toFixed(3)} (+${degraded?.changePct?.toFixed(1)}%)`,
  );
  report.detail(`rolled back to v${rolledBack.activeVersion}; history:`);
  for (const entry of rolledBack.history.edges.map((e) => e.node))
    report.detail(
      `  ${entry.kind} v${entry.version ?? '-'}${entry.fromVersion ? ` (from v${entry.fromVersion})` : ''}`,
    );
  facts.rollback = { degradedVersion, requestsToDetect: sent, degradation: degraded };
}

/** Step 9: the audit report, and the report URLs the platform serves. */
async function auditReport(s: DemoSession, version: number): Promise<void> {
  const { report, approver, baseUrl, reportUrls } = s;
  const audit = await approver
    .request<{ auditReport: { allChainsIntact: boolean; integrity: { streamId: string }[] } | null }>(
      'auditReport',
      `query($m: String!, $v: Int!) { auditReport(modelName: $m, version: $v) { allChainsIntact integrity { streamId } } }`,
      { m: MODEL, v: version },
    )
    .catch((error: unknown) => unavailableIfMissing(error, 'the audit report'));
  report.detail(
    `${MODEL} v${version}: ${audit.auditReport?.integrity.length ?? 0} streams, hash chains ${audit.auditReport?.allChainsIntact ? 'intact' : 'NOT intact'}`,
  );
  reportUrls.push(
    `${baseUrl}/reports/models/${MODEL}/${version}?format=html`,
    `${baseUrl}/reports/deployments/${DEPLOYMENT}?format=md`,
  );
  for (const url of reportUrls) report.detail(url);
  report.detail(
    '(served while the demo runs; with --keep, `tuneledger start` on the same data directory serves them again)',
  );
}

const PROMOTE = `mutation($model: String!, $version: Int!, $evaluations: [ID!], $override: String) {
  promoteModelVersion(modelName: $model, version: $version, stage: PRODUCTION, evaluationIds: $evaluations, overrideReason: $override) { id userErrors { code message } }
}`;

const PROMPTS = [
  'What is the capital of Japan?',
  'Which condition is mentioned? My father has asthma.',
  'Translate to English: 股息',
  'Say hello.',
  'Answer yes or no: is Tokyo in Peru?',
  'What is the capital of Kenya?',
];

async function augmentationFailure(client: ApiClient, augmentationId: string): Promise<undefined> {
  const { jobs } = await client.request<{
    jobs: { edges: { node: { payload: unknown; lastError: string | null; status: string } }[] };
  }>(
    'jobs',
    `query { jobs(kind: AUGMENT, status: FAILED, first: 50) { edges { node { payload lastError status } } } }`,
  );
  const failed = jobs.edges.find((e) => json(e.node.payload).includes(augmentationId));
  if (failed) throw new Error(`the augment job failed: ${failed.node.lastError}`);
  return undefined;
}

async function versionOfRun(client: ApiClient, runId: string): Promise<number> {
  return poll('the model version of the run', 30_000, async () => {
    const { model } = await client.request<{
      model: { versions: { edges: { node: { version: number; runId: string | null } }[] } } | null;
    }>(
      'model',
      `query($m: String!) { model(modelName: $m) { versions(first: 50) { edges { node { version runId } } } } }`,
      {
        m: MODEL,
      },
    );
    return model?.versions.edges.find((e) => e.node.runId === runId)?.node.version;
  });
}

async function deploy(client: ApiClient, version: number, reason: string): Promise<void> {
  await client.request(
    'requestDeployment',
    `mutation($d: String!, $m: String!, $v: Int!, $r: String) { requestDeployment(deploymentName: $d, modelName: $m, version: $v, environment: "production", reason: $r) { id userErrors { code message } } }`,
    { d: DEPLOYMENT, m: MODEL, v: version, r: reason },
  );
}

interface DeploymentState {
  activeVersion: number | null;
  status: string;
  endpoint: string | null;
  rollbackCount: number;
  degradationCount: number;
  lastDegradation: unknown;
  history: { edges: { node: { kind: string; version: number | null; fromVersion: number | null } }[] };
}

async function deploymentState(client: ApiClient): Promise<DeploymentState> {
  const { deployment } = await client.request<{ deployment: DeploymentState | null }>(
    'deployment',
    `query($d: String!) { deployment(deploymentName: $d) { activeVersion status endpoint rollbackCount degradationCount lastDegradation history(first: 50) { edges { node { kind version fromVersion } } } } }`,
    { d: DEPLOYMENT },
  );
  if (!deployment)
    return {
      activeVersion: null,
      status: 'none',
      endpoint: null,
      rollbackCount: 0,
      degradationCount: 0,
      lastDegradation: null,
      history: { edges: [] },
    };
  return deployment;
}

function waitForActive(client: ApiClient, version: number): Promise<DeploymentState> {
  return poll(`the deploy worker to activate v${version}`, 120_000, async () => {
    const state = await deploymentState(client);
    return state.activeVersion === version && state.status === 'ACTIVE' ? state : undefined;
  });
}

async function chatCompletion(
  servingUrl: string,
  token: string,
  content: string,
): Promise<{ text: string; ms: number }> {
  const started = performance.now();
  const response = await fetch(`${servingUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ model: DEPLOYMENT, messages: [{ role: 'user', content }], max_tokens: 12 }),
  });
  const body = (await response.json()) as {
    choices?: { message?: { content?: string } }[];
    error?: { message?: string };
  };
  if (!response.ok)
    throw new Error(`POST /v1/chat/completions: HTTP ${response.status} ${body.error?.message ?? ''}`);
  return { text: body.choices?.[0]?.message?.content ?? '', ms: performance.now() - started };
}

/**
 * A degraded version by construction: the base model with its final RMSNorm weights set to zero, so every logit
 * is exactly 0 and every next-token distribution is uniform over the vocabulary. Its output entropy is ln(vocab)
 * whatever the prompt or the sampled tokens, the most any model over that vocabulary can have, so it rises above
 * the trained version's baseline by (ln(vocab) - baseline) / baseline, not by luck. A run stands behind it as
 * the registry resolver expects; made through the services, as an operator importing outside weights would.
 */
async function registerFlattenedVersion(
  demo: DemoPlatform,
  baseDir: string,
  dataset: { id: string; revision: number },
): Promise<number> {
  const { services, artifacts } = demo.platform;
  const flatDir = join(demo.platform.config.dataDir, 'models', 'flattened');
  // The base directory's tokenizer files come along; config.json and the weights are rewritten below.
  cpSync(baseDir, flatDir, { recursive: true });
  const model = loadModel(baseDir);
  model.replaceWeight(FINAL_NORM, new Float32Array(model.config.hiddenSize));
  saveModel(model, flatDir);
  model.dispose();
  const tar = packTar(
    readdirSync(flatDir).map((name) => ({ name, data: readFileSync(join(flatDir, name)) })),
  );
  const stored = await artifacts.put(tar, TAR_MEDIA_TYPE);
  const operator = { actor: 'demo-operator', roles: ['engineer'] };
  const worker = { actor: 'demo-operator', roles: ['worker'] };
  const { runId } = await services.runs.requestTrainingRun(
    {
      baseModel: { name: 'tiny-base', source: { kind: 'path', path: baseDir } },
      dataset,
      method: { kind: 'full' },
      stages: [{ name: 'flatten', learningRate: 1e-3, batchSize: 1, epochs: 1 }],
      loss: { kind: 'cross-entropy' },
      seed: 5,
      targetModel: MODEL,
    } as never,
    operator,
  );
  await services.runs.claimRun(
    { runId, workerId: 'demo', leaseMs: 60_000, backend: { name: 'none', device: 'none' } },
    worker,
  );
  await services.runs.startStage({ runId, workerId: 'demo', stageIndex: 0, steps: 1 }, worker);
  await services.runs.completeRun(
    {
      runId,
      workerId: 'demo',
      artifact: { kind: 'weights', hash: stored.hash, byteSize: stored.byteSize },
      finalLoss: 0,
      steps: 1,
      durationMs: 0,
      tokensSeen: 0,
    },
    worker,
  );
  const result = await services.models.registerModelVersion({ modelName: MODEL, runId }, operator);
  const registered = result.events.find((e) => e.type === 'ModelVersionRegistered');
  return (registered?.data as { version: number }).version;
}
