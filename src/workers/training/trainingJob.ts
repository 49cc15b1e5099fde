import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { parseLexicon, type ArtifactStore, type DatasetRecord } from '../../data/index.js';
import {
  DEFAULT_PPO_SETTINGS,
  datasetStream,
  eventRegistry,
  isDomainError,
  type DatasetRevisionAdded,
  type TrainingRunRequested,
  type TrainingRunClaimed,
} from '../../domain/index.js';
import type { Reports } from '../runtime/servicePorts.js';
import type { StreamReader } from '../../eventstore/index.js';
import type { LossOptions } from '../../ml/index.js';
import { registryModelResolver, type CommandContext, type Services } from '../../services/index.js';
import { LeaseLostError, type JobContext, type JobHandler, type JobOutcome } from '../runtime/runWorker.js';
import type { ClaimedJob } from '../runtime/jobQueue.js';
import { progressBar, type ProgressBar } from './progressBar.js';
import { unpackTar } from './tarball.js';
import { prepareStageRecords, selectRecords } from './trainingData.js';
import { readTrainSplit } from './trainSplit.js';
import {
  CONTROL,
  type PpoObjective,
  type StartMessage,
  type TrainingMessage,
  type TrainingSpec,
} from './trainingMessages.js';

export const TAR_MEDIA_TYPE = 'application/x-tar';

/**
 * What the training job asks of the platform: the services themselves in-process, the API's worker
 * mutations for a worker with no database (src/workers/remote). The claim's events are read (the
 * checkpoint to resume from); the other calls only record.
 */
export interface TrainingServices {
  readonly runs: Pick<Services['runs'], 'getRun' | 'claimRun'> &
    Reports<
      Services['runs'],
      'renewLease' | 'startStage' | 'reportProgress' | 'saveCheckpoint' | 'completeRun' | 'failRun'
    >;
  readonly models: Reports<Services['models'], 'registerModelVersion'>;
}

export interface TrainingWorkerOptions {
  readonly services: TrainingServices;
  /** Read for dataset revisions and registered models. */
  readonly store: StreamReader;
  readonly artifacts: ArtifactStore;
  /** Progress events every this many steps (default 10). */
  readonly progressEvery?: number;
  /** Checkpoints every this many steps, and at each stage end (default 50). */
  readonly checkpointEvery?: number;
  /** Examples per forward pass; bigger batches accumulate gradients (default 8). */
  readonly microBatchSize?: number;
  /** Also store the base model with the adapter merged in (default false). */
  readonly mergeWeights?: boolean;
  /** Prompt format of runs that name none (default alpaca). */
  readonly defaultPromptFormat?: string;
  /** How often the run's stream is read for a cancel (default 250 ms). */
  readonly cancelPollMs?: number;
  /** The compiled training thread; default trainingThread.js beside this file. */
  readonly threadEntry?: string | URL;
  /** A terminal progress bar (cli-progress); default: when stdout is a TTY. */
  readonly progressBar?: boolean;
  /** Where base models stored as artifacts are unpacked (default the OS temp directory). */
  readonly cacheDir?: string;
  /**
   * Data-parallel gradient workers beside each training thread (default: TUNELEDGER_TRAIN_WORKERS, else one
   * per core beyond the first on the wasm and cpu backends; 0 turns them off).
   */
  readonly gradientWorkers?: number;
  /** The compiled gradient worker; default gradientWorker.js of the engine. */
  readonly gradientWorkerEntry?: string;
}

/** Failures no retry can fix: the run is failed for good at once. */
class PermanentTrainingError extends Error {
  override readonly name = 'PermanentTrainingError';
}

/**
 * The `train` job kind: claims the run in its stream, resolves data, lexicon, base model and the checkpoint
 * to resume from, trains in a worker thread, and turns the thread's messages into events (stage started,
 * progress, checkpoints in the artifact store, completion and the model version). Cancels are seen by
 * polling the run's stream and stop the thread before its next step.
 */
export function trainingJobHandler(options: TrainingWorkerOptions): JobHandler {
  const { services } = options;
  const runIdOf = (job: ClaimedJob) => (job.payload as TrainingRunRequested['data']).runId;
  const contextOf = (job: ClaimedJob, workerId: string, idempotencyKey?: string): CommandContext => ({
    actor: `worker:${workerId}`,
    roles: ['worker'],
    correlationId: job.correlationId,
    ...(idempotencyKey ? { idempotencyKey } : {}),
  });

  // Jobs whose run this worker has claimed in its stream: only those have an event-sourced lease to renew.
  const claimedJobs = new Set<string>();
  return {
    async heartbeat(job, context) {
      if (!claimedJobs.has(job.jobId)) return;
      try {
        await services.runs.renewLease(
          { runId: runIdOf(job), workerId: context.workerId, leaseMs: context.leaseMs },
          contextOf(job, context.workerId),
        );
      } catch (error) {
        if (
          isDomainError(error) &&
          ['RUN_NOT_LEASE_HOLDER', 'RUN_LEASE_EXPIRED', 'RUN_NOT_CLAIMED'].includes(error.code)
        ) {
          throw new LeaseLostError(error.message);
        }
        if (!(isDomainError(error) && error.code === 'RUN_ALREADY_FINISHED')) throw error;
      }
    },

    async release(job, context) {
      await releaseRunLease(services, runIdOf(job), context.workerId, contextOf(job, context.workerId));
    },

    async giveUp(job, context, error) {
      try {
        await services.runs.failRun(
          { runId: runIdOf(job), workerId: context.workerId, reason: error.slice(0, 2000), retryable: false },
          contextOf(job, context.workerId),
        );
      } catch {
        // Not the holder any more: fail it as the system.
        await services.runs.failRun(
          { runId: runIdOf(job), reason: error.slice(0, 2000), retryable: false },
          contextOf(job, context.workerId),
        );
      }
    },

    async run(job, context) {
      const request = job.payload as TrainingRunRequested['data'];
      const runId = request.runId;
      const before = await services.runs.getRun(runId);
      if (before.status === 'completed' || before.status === 'failed' || before.status === 'cancelled') {
        return { status: before.status === 'completed' ? 'succeeded' : before.status };
      }
      const command = contextOf(job, context.workerId);
      let spec: TrainingSpec;
      try {
        spec = await buildSpec(options, request);
      } catch (error) {
        if (!(error instanceof PermanentTrainingError)) throw error;
        // Nothing claimed yet: the run is failed as the system, for good.
        await services.runs.failRun({ runId, reason: error.message, retryable: false }, command);
        return { status: 'failed', error: error.message };
      }
      // The thread reports its backend first; the run is claimed with it, then the thread starts.
      const claim = async (backend: { name: string; device: string }): Promise<Claim> => {
        try {
          const result = await services.runs.claimRun(
            { runId, workerId: context.workerId, leaseMs: context.leaseMs, backend },
            command,
          );
          const event = result.events.find((e) => e.type === 'TrainingRunClaimed');
          claimedJobs.add(job.jobId);
          return { claimed: event!.data as TrainingRunClaimed['data'] };
        } catch (error) {
          if (isDomainError(error) && error.code === 'RUN_ALREADY_CLAIMED') {
            const until = Date.parse(String(error.details['leaseUntil'] ?? ''));
            return {
              outcome: {
                status: 'released',
                retryInMs: Number.isFinite(until) ? Math.max(0, until - Date.now()) : context.leaseMs,
              },
            };
          }
          if (isDomainError(error) && error.code === 'RUN_ALREADY_FINISHED') {
            const status = (await services.runs.getRun(runId)).status;
            return {
              outcome: {
                status:
                  status === 'completed' ? 'succeeded' : status === 'cancelled' ? 'cancelled' : 'failed',
              },
            };
          }
          throw error;
        }
      };
      try {
        return await train(options, job, context, spec, command, claim);
      } finally {
        claimedJobs.delete(job.jobId);
      }
    },
  };
}

type Claim = { readonly claimed: TrainingRunClaimed['data'] } | { readonly outcome: JobOutcome };

async function releaseRunLease(
  services: TrainingServices,
  runId: string,
  workerId: string,
  command: CommandContext,
) {
  // The domain has no release command: a lease shortened to (almost) now frees the run for the next claim.
  try {
    await services.runs.renewLease({ runId, workerId, leaseMs: 50 }, command);
  } catch (error) {
    if (!isDomainError(error)) throw error;
  }
}

async function buildSpec(
  options: TrainingWorkerOptions,
  request: TrainingRunRequested['data'],
): Promise<TrainingSpec> {
  const method = request.method;
  const resolveVersion = async (model: { name: string; version: number }, role: string) => {
    try {
      return await registryModelResolver({
        store: options.store,
        artifacts: options.artifacts,
        untar: unpackTar,
        cacheDir: join(options.cacheDir ?? join(tmpdir(), 'tuneledger-models'), 'references'),
      }).resolve(model);
    } catch (error) {
      throw new PermanentTrainingError(
        `training run ${request.runId}: the ${role} ${model.name} v${model.version} cannot be loaded on this worker (${(error as Error).message})`,
      );
    }
  };
  let ppo: PpoObjective | undefined;
  if (method.kind === 'ppo') {
    if (request.loss.kind !== 'cross-entropy') {
      throw new PermanentTrainingError(
        `training run ${request.runId}: a PPO run is trained by rewards, it has no entity-weighted loss; request it with loss { kind: "cross-entropy" }`,
      );
    }
    const rewardFiles = await resolveVersion(method.rewardModel, 'reward model');
    if (!rewardFiles.adapterDir) {
      throw new PermanentTrainingError(
        `training run ${request.runId}: ${method.rewardModel.name} v${method.rewardModel.version} holds no reward-model artifact`,
      );
    }
    const referenceFiles = method.referenceModel
      ? await resolveVersion(method.referenceModel, 'PPO reference')
      : undefined;
    // Events recorded before the service resolved PPO's settings carry none: the same defaults fill them.
    const d = DEFAULT_PPO_SETTINGS;
    const adaptive =
      (method.klControl ?? (method.targetKl !== undefined ? 'adaptive' : d.klControl)) === 'adaptive';
    ppo = {
      kind: 'ppo',
      rolloutsPerStep: method.rolloutsPerStep,
      maxResponseTokens: method.maxResponseTokens ?? d.maxResponseTokens,
      settings: {
        gamma: method.gamma ?? d.gamma,
        lambda: method.lambda ?? d.lambda,
        clipRange: method.clipRange,
        clipRangeValue: method.clipRangeValue ?? d.clipRangeValue,
        valueCoefficient: method.valueCoefficient ?? d.valueCoefficient,
        klCoefficient: method.klCoefficient,
        ...(adaptive ? { targetKl: method.targetKl ?? d.adaptiveTargetKl } : {}),
        klHorizon: method.klHorizon ?? d.klHorizon,
        epochs: method.epochs ?? d.epochs,
        minibatches: method.minibatches ?? d.minibatches,
      },
      rewardModel: { dir: rewardFiles.adapterDir, baseDir: rewardFiles.baseDir },
      ...(referenceFiles
        ? {
            reference: {
              baseDir: referenceFiles.baseDir,
              ...(referenceFiles.adapterDir ? { adapterDir: referenceFiles.adapterDir } : {}),
            },
          }
        : {}),
    };
  }
  const parameters = 'parameters' in method ? method.parameters : method;
  if (method.kind === 'reward-model' && request.loss.kind !== 'cross-entropy') {
    throw new PermanentTrainingError(
      `training run ${request.runId}: a reward-model run scores whole answers with the pairwise loss, it has no entity-weighted loss; request it with loss { kind: "cross-entropy" }`,
    );
  }
  let reference: { baseDir: string; adapterDir?: string } | undefined;
  if (method.kind === 'dpo') {
    if (method.referenceModel) {
      const files = await resolveVersion(method.referenceModel, 'DPO reference');
      reference = { baseDir: files.baseDir, ...(files.adapterDir ? { adapterDir: files.adapterDir } : {}) };
    }
    if (request.loss.kind !== 'cross-entropy') {
      throw new PermanentTrainingError(
        `training run ${request.runId}: a DPO run scores whole answers, it has no entity-weighted loss; request it with loss { kind: "cross-entropy" }`,
      );
    }
  }
  const revisions = await datasetRevisions(options.store, request.dataset.id);
  const recordsOf = new Map<number, DatasetRecord[]>();
  const loadRevision = async (revision: number): Promise<DatasetRecord[]> => {
    const cached = recordsOf.get(revision);
    if (cached) return cached;
    const added = revisions.get(revision);
    if (!added) {
      throw new PermanentTrainingError(
        `dataset ${request.dataset.id} has no revision ${revision}; request the run again with an existing revision`,
      );
    }
    const records = await readTrainSplit(options.artifacts, added);
    recordsOf.set(revision, records);
    return records;
  };
  let lexiconTerms: string[] = [];
  let loss: LossOptions = { kind: 'cross-entropy' };
  if (request.loss.kind === 'entity-weighted') {
    loss = {
      kind: 'entity-weighted',
      baseWeight: 1 - Math.min(1, request.loss.entityWeight),
      entityWeight: request.loss.entityWeight,
    };
    let lexicon: unknown;
    try {
      lexicon = JSON.parse((await options.artifacts.get(request.loss.lexiconHash)).toString('utf8'));
    } catch (error) {
      throw new PermanentTrainingError(
        `training run ${request.runId}: lexicon ${request.loss.lexiconHash} cannot be read from the artifact store (${(error as Error).message}); store the lexicon and request the run again`,
      );
    }
    lexiconTerms = parseLexicon(lexicon, `lexicon ${request.loss.lexiconHash}`).terms.map((t) => t.term);
  }
  const stages = [];
  for (const [stageIndex, stage] of request.stages.entries()) {
    const all = await loadRevision(stage.datasetRevision ?? request.dataset.revision);
    let selected: DatasetRecord[];
    try {
      selected = selectRecords(all, stage.datasetFilter);
    } catch (error) {
      throw new PermanentTrainingError(`stage ${stageIndex} ("${stage.name}"): ${(error as Error).message}`);
    }
    const records = prepareStageRecords(selected, stage, { lexiconTerms, seed: request.seed, stageIndex });
    if (records.length === 0) {
      throw new PermanentTrainingError(
        `stage ${stageIndex} ("${stage.name}") selects no trainable record (filter "${stage.datasetFilter ?? 'all'}"); change the filter or the dataset`,
      );
    }
    stages.push({
      name: stage.name,
      learningRate: stage.learningRate,
      batchSize: stage.batchSize,
      epochs: stage.epochs,
      records,
    });
  }
  return {
    runId: request.runId,
    modelDir: await modelDirectory(options, request),
    promptFormat: request.promptFormat ?? options.defaultPromptFormat ?? 'alpaca',
    stages,
    method:
      parameters.kind === 'lora'
        ? {
            kind: 'lora',
            r: parameters.r,
            alpha: parameters.alpha,
            dropout: parameters.dropout,
            targetModules: parameters.targetModules,
          }
        : { kind: 'full' },
    objective: ppo
      ? ppo
      : method.kind === 'dpo'
        ? { kind: 'dpo', beta: method.beta, ...(reference ? { reference } : {}) }
        : method.kind === 'reward-model'
          ? { kind: 'reward-model' }
          : { kind: 'sft' },
    loss,
    seed: request.seed,
    ...(request.maxSteps !== undefined ? { maxSteps: request.maxSteps } : {}),
    progressEvery: options.progressEvery ?? 10,
    checkpointEvery: options.checkpointEvery ?? 50,
    microBatchSize: options.microBatchSize ?? 8,
    warmupRatio: 0.03,
    merge: options.mergeWeights ?? false,
    ...(process.env.TUNELEDGER_TF_BACKEND ? { backend: process.env.TUNELEDGER_TF_BACKEND } : {}),
    ...gradientWorkerSettings(options),
  };
}

function gradientWorkerSettings(
  options: TrainingWorkerOptions,
): Pick<TrainingSpec, 'gradientWorkers' | 'gradientWorkerEntry'> {
  let count = options.gradientWorkers;
  const raw = process.env.TUNELEDGER_TRAIN_WORKERS?.trim();
  if (count === undefined && raw && raw !== 'auto') {
    count = Number(raw);
    if (!Number.isInteger(count) || count < 0) {
      throw new PermanentTrainingError(
        `TUNELEDGER_TRAIN_WORKERS="${raw}" is not a number of gradient workers: use 0 (none), a positive whole number, or "auto"`,
      );
    }
  }
  return {
    ...(count !== undefined ? { gradientWorkers: count } : {}),
    ...(options.gradientWorkerEntry ? { gradientWorkerEntry: options.gradientWorkerEntry } : {}),
  };
}

async function datasetRevisions(
  store: StreamReader,
  datasetId: string,
): Promise<Map<number, DatasetRevisionAdded['data']>> {
  const revisions = new Map<number, DatasetRevisionAdded['data']>();
  for (const recorded of await store.readStream(datasetStream(datasetId))) {
    if (recorded.type !== 'DatasetRevisionAdded') continue;
    const data = eventRegistry.upcast(recorded.type, recorded.schemaVersion, recorded.data)
      .data as DatasetRevisionAdded['data'];
    revisions.set(data.revision, data);
  }
  return revisions;
}

async function modelDirectory(
  options: TrainingWorkerOptions,
  request: TrainingRunRequested['data'],
): Promise<string> {
  const source = request.baseModel.source;
  switch (source.kind) {
    case 'path':
      if (!existsSync(join(source.path, 'config.json'))) {
        throw new PermanentTrainingError(
          `base model ${request.baseModel.name}: ${source.path} holds no config.json on worker ${process.pid}; the path must exist on every worker machine`,
        );
      }
      return source.path;
    case 'artifact': {
      const dir = join(options.cacheDir ?? join(tmpdir(), 'tuneledger-models'), source.hash);
      if (!existsSync(join(dir, 'config.json'))) {
        mkdirSync(dir, { recursive: true });
        for (const [name, data] of unpackTar(
          await options.artifacts.get(source.hash),
          `base model ${source.hash}`,
        )) {
          writeFileSync(join(dir, name), data);
        }
      }
      return dir;
    }
    case 'registry':
      throw new PermanentTrainingError(
        `base model ${request.baseModel.name}: training on top of a registry version (${source.model.name} v${source.model.version}) is not supported yet; use its merged weights as a path or artifact`,
      );
  }
}

function threadUrl(entry: string | URL | undefined): URL {
  const url =
    entry === undefined
      ? new URL('./trainingThread.js', import.meta.url)
      : typeof entry === 'string'
        ? new URL(`file://${entry}`)
        : entry;
  if (!existsSync(fileURLToPath(url))) {
    throw new PermanentTrainingError(
      `the training thread ${fileURLToPath(url)} is missing: run \`npm run build\` and start workers from dist/ (or pass threadEntry)`,
    );
  }
  return url;
}

async function train(
  options: TrainingWorkerOptions,
  job: ClaimedJob,
  context: JobContext,
  spec: TrainingSpec,
  command: CommandContext,
  claim: (backend: { name: string; device: string }) => Promise<Claim>,
): Promise<JobOutcome> {
  const { services } = options;
  const runId = spec.runId;
  const workerId = context.workerId;
  const control = new Int32Array(new SharedArrayBuffer(4));
  const thread = new Worker(threadUrl(options.threadEntry), {
    workerData: { spec, control: control.buffer },
  });
  const stop = (value: number) => {
    if (Atomics.load(control, 0) === CONTROL.run) Atomics.store(control, 0, value);
  };
  const onAbort = () => stop(context.signal.reason === 'shutdown' ? CONTROL.shutdown : CONTROL.abandon);
  context.signal.addEventListener('abort', onAbort);
  if (context.signal.aborted) onAbort();
  const cancelPoll = setInterval(() => {
    services.runs
      .getRun(runId)
      .then((state) => {
        if (state.status === 'cancelled') stop(CONTROL.cancel);
      })
      .catch(() => {});
  }, options.cancelPollMs ?? 250);
  const bar: ProgressBar | undefined =
    (options.progressBar ?? process.stdout.isTTY) ? progressBar(runId) : undefined;

  let chain = Promise.resolve();
  // An entity-weighted loss whose batches never hold an entity token reports entity loss 0 at every step and
  // trains as plain cross-entropy at 0.7 of its weight: the run says so once, in the log.
  let entityFound = false;
  let entityWarned = false;
  try {
    return await new Promise<JobOutcome>((resolve, reject) => {
      const fail = (error: unknown) => {
        stop(CONTROL.abandon);
        reject(error instanceof Error ? error : new Error(String(error)));
      };
      const handle = async (message: TrainingMessage): Promise<void> => {
        switch (message.type) {
          case 'ready': {
            const claimed = await claim(message.backend);
            if ('outcome' in claimed) {
              stop(CONTROL.abandon);
              resolve(claimed.outcome);
              return;
            }
            const from = claimed.claimed.resumeFrom;
            const resume = from ? new Uint8Array(await options.artifacts.get(from.artifactHash)) : undefined;
            const start: StartMessage = { type: 'start', ...(resume ? { resume } : {}) };
            thread.postMessage(start, resume ? [resume.buffer as ArrayBuffer] : []);
            context.log.info('training', {
              runId,
              attempt: claimed.claimed.attempt,
              resumeFrom: from?.step ?? 0,
            });
            return;
          }
          case 'stage':
            bar?.stage(message.stageIndex, message.totalSteps);
            await services.runs.startStage(
              { runId, workerId, stageIndex: message.stageIndex, steps: message.steps },
              command,
            );
            return;
          case 'progress': {
            const { type: _type, ...progress } = message;
            if (progress.entityLoss !== undefined && progress.entityLoss > 0) entityFound = true;
            if (progress.entityLoss === 0 && !entityFound && !entityWarned) {
              entityWarned = true;
              context.log.warn(
                'the entity-weighted loss has found no entity token yet (entity loss 0): the answers of this dataset hold no term of the run\'s lexicon, so only the base weight trains. Augment the dataset with the lexicon (dataset augment), or request loss { kind: "cross-entropy" }',
                { runId, step: progress.step },
              );
            }
            bar?.update(progress);
            await services.runs.reportProgress({ ...progress, runId, workerId }, command);
            return;
          }
          case 'checkpoint': {
            const ref = await options.artifacts.put(message.bytes, TAR_MEDIA_TYPE);
            await services.runs.saveCheckpoint(
              { runId, workerId, step: message.step, artifactHash: ref.hash, byteSize: ref.byteSize },
              command,
            );
            return;
          }
          case 'done': {
            const adapter = await options.artifacts.put(message.adapter, TAR_MEDIA_TYPE);
            const merged = message.merged
              ? await options.artifacts.put(message.merged, TAR_MEDIA_TYPE)
              : undefined;
            await services.runs.completeRun(
              {
                runId,
                workerId,
                artifact: { kind: message.artifactKind, hash: adapter.hash, byteSize: adapter.byteSize },
                finalLoss: message.finalLoss,
                steps: message.steps,
                durationMs: message.durationMs,
                tokensSeen: message.tokensSeen,
                metrics: {
                  skippedExamples: message.skippedExamples,
                  ...(message.rewardAccuracy !== undefined ? { rewardAccuracy: message.rewardAccuracy } : {}),
                  ...(message.rewardMargin !== undefined ? { rewardMargin: message.rewardMargin } : {}),
                },
              },
              { ...command, idempotencyKey: `train-complete:${runId}` },
            );
            const request = job.payload as TrainingRunRequested['data'];
            await services.models.registerModelVersion(
              {
                modelName: request.targetModel ?? `${request.baseModel.name}-tuned`,
                runId,
                ...(merged ? { mergedArtifact: merged.hash } : {}),
              },
              { ...command, idempotencyKey: `train-register:${runId}` },
            );
            resolve({ status: 'succeeded' });
            return;
          }
          case 'stopped':
            if (message.reason === 'cancel') resolve({ status: 'cancelled' });
            else {
              if (message.reason === 'shutdown') await releaseRunLease(services, runId, workerId, command);
              resolve({ status: 'released' });
            }
            return;
          case 'failed':
            throw new Error(`training run ${runId} failed in its thread: ${message.message}`);
        }
      };
      thread.on('message', (message: TrainingMessage) => {
        chain = chain
          .then(() => handle(message))
          .catch(async (error: unknown) => {
            // A refused append after a cancel or a lost lease is the end of this attempt, not a failure.
            const status = (await services.runs.getRun(runId).catch(() => undefined))?.status;
            if (status === 'cancelled') {
              stop(CONTROL.cancel);
              resolve({ status: 'cancelled' });
            } else if (
              isDomainError(error) &&
              ['RUN_NOT_LEASE_HOLDER', 'RUN_LEASE_EXPIRED', 'RUN_NOT_CLAIMED'].includes(error.code)
            ) {
              stop(CONTROL.abandon);
              resolve({ status: 'released' });
            } else fail(error);
          });
      });
      thread.on('error', fail);
      thread.on('exit', (code) => {
        void chain.then(() =>
          fail(new Error(`training thread of run ${runId} exited (code ${code}) before it finished`)),
        );
      });
    });
  } finally {
    clearInterval(cancelPoll);
    context.signal.removeEventListener('abort', onAbort);
    bar?.stop();
    await chain.catch(() => {});
    await thread.terminate();
  }
}
