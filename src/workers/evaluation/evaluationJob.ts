import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ArtifactStore } from '../../data/index.js';
import { evaluationInteractionId, isDomainError, type EvaluationRequested } from '../../domain/index.js';
import type { StreamReader } from '../../eventstore/index.js';
import type { CommandContext, Services } from '../../services/index.js';
import type { ClaimedJob } from '../runtime/jobQueue.js';
import type { Reports } from '../runtime/servicePorts.js';
import { LeaseLostError, type JobContext, type JobHandler, type JobOutcome } from '../runtime/runWorker.js';
import { packTar } from '../training/tarball.js';
import { TAR_MEDIA_TYPE } from '../training/trainingJob.js';
import { judgePredictions, type JudgeConfig } from '../../ml/eval/index.js';
import { parseNoiseTypes, type EvaluationOutcome } from './evaluateModel.js';
import { EVALUATION_CONTROL, type EvaluationMessage, type EvaluationSpec } from './evaluationMessages.js';
import { evaluationExamples, PermanentEvaluationError, resolveModelVersion } from './evaluationSources.js';

export const PREDICTIONS_MEDIA_TYPE = 'application/x-ndjson';
export const REPORT_MEDIA_TYPE = 'application/json';

/**
 * What the evaluate job asks of the platform: the application services in process, or their GraphQL
 * mutations for a worker with no database (src/workers/remote/apiEvaluationServices.ts).
 */
export interface EvaluationJobServices {
  readonly evaluations: Pick<Services['evaluations'], 'getEvaluation'> &
    Reports<
      Services['evaluations'],
      | 'claimEvaluation'
      | 'renewLease'
      | 'reportProgress'
      | 'completeEvaluation'
      | 'failEvaluation'
      | 'labelScoredRecord'
    >;
  readonly feedback: Reports<Services['feedback'], 'recordInteraction'>;
}

export interface EvaluationWorkerOptions {
  readonly services: EvaluationJobServices;
  readonly store: StreamReader;
  readonly artifacts: ArtifactStore;
  /** The compiled evaluation thread; default evaluationThread.js beside this file. */
  readonly threadEntry?: string | URL;
  /** New tokens per answer (default 64). */
  readonly maxTokens?: number;
  /** Noise types of the robustness suite (default all four). */
  readonly noiseTypes?: string;
  /** Examples with attention heatmaps (default 2). */
  readonly heatmapExamples?: number;
  /** Prompt format when the model's run names none (default alpaca). */
  readonly defaultPromptFormat?: string;
  /**
   * How long the evaluation's own lease lasts from each claim or renewal (default, and at least, the job
   * lease); the worker renews it at every heartbeat, so a dead worker's evaluation is free again this long
   * after its last heartbeat.
   */
  readonly evaluationLeaseMs?: number;
  /** Where stored models and adapters are unpacked (default the OS temp directory). */
  readonly cacheDir?: string;
  readonly seed?: number;
  /**
   * Scored records recorded as interactions `eval-<evaluationId>-<recordId>` with their automatic error
   * category as a first label, so people can correct a category later through feedback (default 1000;
   * 0 records none).
   */
  readonly labelableRecords?: number;
  /**
   * The LLM judge of requests that ask for one: `judge: {kind: 'endpoint', ref: URL}` uses that URL with
   * `judge.model`; `{kind: 'model', ref: NAME}` uses `judge.url` with that model name.
   */
  readonly judge?: Omit<JudgeConfig, 'url' | 'model'> & { readonly url?: string; readonly model?: string };
}

/**
 * The `evaluate` job kind: claims the evaluation in its stream, resolves the model version (base model plus
 * adapter from the artifact store) and the eval split of the dataset revision, evaluates in a worker thread,
 * stores predictions, report and heatmaps, and records EvaluationCompleted (the decider applies the gate).
 * Failures no retry can fix become EvaluationFailed at once; others are retried by the job runtime and
 * recorded as EvaluationFailed when it gives up.
 */
export function evaluationJobHandler(options: EvaluationWorkerOptions): JobHandler {
  const { services } = options;
  const request = (job: ClaimedJob) => job.payload as EvaluationRequested['data'];
  const contextOf = (job: ClaimedJob, workerId: string, idempotencyKey?: string): CommandContext => ({
    actor: `worker:${workerId}`,
    roles: ['worker'],
    correlationId: job.correlationId,
    ...(idempotencyKey ? { idempotencyKey } : {}),
  });
  const fail = async (job: ClaimedJob, workerId: string, reason: string) => {
    const evaluationId = request(job).evaluationId;
    const command = contextOf(job, workerId, `eval-fail:${evaluationId}`);
    try {
      await services.evaluations.failEvaluation(
        { evaluationId, workerId, reason: reason.slice(0, 2000) },
        command,
      );
    } catch (error) {
      if (!isDomainError(error) || error.code === 'EVALUATION_ALREADY_FINISHED') return;
      // Not the lease holder any more: fail it as the system.
      await services.evaluations.failEvaluation({ evaluationId, reason: reason.slice(0, 2000) }, command);
    }
  };

  const leaseMsOf = (context: JobContext) => Math.max(context.leaseMs, options.evaluationLeaseMs ?? 0);
  // Jobs whose evaluation this worker has claimed in its stream: only those have an event-sourced lease.
  const claimedJobs = new Set<string>();

  return {
    async heartbeat(job, context) {
      if (!claimedJobs.has(job.jobId)) return;
      try {
        await services.evaluations.renewLease(
          {
            evaluationId: request(job).evaluationId,
            workerId: context.workerId,
            leaseMs: leaseMsOf(context),
          },
          contextOf(job, context.workerId),
        );
      } catch (error) {
        if (
          isDomainError(error) &&
          ['EVALUATION_NOT_LEASE_HOLDER', 'EVALUATION_LEASE_EXPIRED', 'EVALUATION_NOT_CLAIMED'].includes(
            error.code,
          )
        ) {
          throw new LeaseLostError(error.message);
        }
        if (!(isDomainError(error) && error.code === 'EVALUATION_ALREADY_FINISHED')) throw error;
      }
    },

    async giveUp(job, context, error) {
      await fail(job, context.workerId, error);
    },

    async run(job, context) {
      try {
        return await evaluate(job, context);
      } finally {
        claimedJobs.delete(job.jobId);
      }
    },
  };

  async function evaluate(job: ClaimedJob, context: JobContext): Promise<JobOutcome> {
    const requested = request(job);
    const evaluationId = requested.evaluationId;
    const before = await services.evaluations.getEvaluation(evaluationId);
    if (before.status === 'completed') return { status: 'succeeded' };
    if (before.status === 'failed') return { status: 'failed' };
    try {
      await services.evaluations.claimEvaluation(
        {
          evaluationId,
          workerId: context.workerId,
          leaseMs: leaseMsOf(context),
        },
        contextOf(job, context.workerId),
      );
      claimedJobs.add(job.jobId);
    } catch (error) {
      if (isDomainError(error) && error.code === 'EVALUATION_ALREADY_CLAIMED') {
        const until = Date.parse(String(error.details['leaseUntil'] ?? ''));
        return {
          status: 'released',
          retryInMs: Number.isFinite(until) ? Math.max(0, until - Date.now()) : context.leaseMs,
        };
      }
      if (isDomainError(error) && error.code === 'EVALUATION_ALREADY_FINISHED') {
        const status = (await services.evaluations.getEvaluation(evaluationId)).status;
        return { status: status === 'completed' ? 'succeeded' : 'failed' };
      }
      throw error;
    }
    let spec: EvaluationSpec;
    try {
      const cacheDir = options.cacheDir ?? join(tmpdir(), 'tuneledger-models');
      const model = await resolveModelVersion(options.store, options.artifacts, requested.model, cacheDir);
      const examples = await evaluationExamples(options.store, options.artifacts, requested.dataset);
      judgeTarget(options, requested);
      spec = {
        modelDir: model.modelDir,
        ...(model.adapterDir ? { adapterDir: model.adapterDir } : {}),
        promptFormat: model.promptFormat ?? options.defaultPromptFormat ?? 'alpaca',
        examples,
        maxTokens: options.maxTokens ?? 64,
        noiseTypes: requested.suites.includes('robustness')
          ? parseNoiseTypes(options.noiseTypes ?? 'all')
          : [],
        heatmapExamples: options.heatmapExamples ?? 2,
        seed: options.seed ?? 0,
        ...(process.env.TUNELEDGER_TF_BACKEND ? { backend: process.env.TUNELEDGER_TF_BACKEND } : {}),
      };
    } catch (error) {
      if (!(error instanceof PermanentEvaluationError)) throw error;
      await fail(job, context.workerId, error.message);
      return { status: 'failed', error: error.message };
    }
    context.log.info('evaluating', { evaluationId, examples: spec.examples.length });
    const result = await runThread(options, job, context, spec);
    if (result.kind === 'stopped') return { status: 'released' };
    if (result.kind === 'failed') {
      await fail(job, context.workerId, result.message);
      return { status: 'failed', error: result.message };
    }
    return complete(options, job, context, result.outcome);
  }

  async function complete(
    options: EvaluationWorkerOptions,
    job: ClaimedJob,
    context: JobContext,
    outcome: EvaluationOutcome,
  ): Promise<JobOutcome> {
    const evaluationId = request(job).evaluationId;
    const judged = await withJudge(options, request(job), outcome);
    const predictions = await options.artifacts.put(judged.predictionsJsonl, PREDICTIONS_MEDIA_TYPE);
    const report = await options.artifacts.put(judged.reportJson, REPORT_MEDIA_TYPE);
    await recordLabelable(options, job, context, judged);
    const heatmap =
      judged.heatmaps.length > 0
        ? await options.artifacts.put(packTar(judged.heatmaps), TAR_MEDIA_TYPE)
        : undefined;
    try {
      await services.evaluations.completeEvaluation(
        {
          evaluationId,
          workerId: context.workerId,
          metrics: judged.metrics,
          categories: judged.categories,
          errorTaxonomy: judged.errorTaxonomy,
          artifacts: { predictions, report, ...(heatmap ? { heatmap } : {}) },
        },
        contextOf(job, context.workerId, `eval-complete:${evaluationId}`),
      );
    } catch (error) {
      if (isDomainError(error) && error.code === 'EVALUATION_ALREADY_FINISHED') {
        const status = (await services.evaluations.getEvaluation(evaluationId)).status;
        return { status: status === 'completed' ? 'succeeded' : 'failed' };
      }
      throw error;
    }
    return { status: 'succeeded' };
  }
}

/** Where the request's judge is; undefined without one. Checked before generation starts. */
function judgeTarget(
  options: EvaluationWorkerOptions,
  requested: EvaluationRequested['data'],
): { url: string; model: string } | undefined {
  const judge = requested.judge;
  if (!judge) return undefined;
  const url = judge.kind === 'endpoint' ? judge.ref : options.judge?.url;
  const model = judge.kind === 'model' ? judge.ref : options.judge?.model;
  if (!url || !model) {
    throw new PermanentEvaluationError(
      `evaluation ${requested.evaluationId} asks for a ${judge.kind} judge "${judge.ref}" but the worker has no judge ${url ? 'model' : 'URL'} configured (EvaluationWorkerOptions.judge)`,
    );
  }
  return { url, model };
}

/**
 * Scores the predictions with the LLM judge the request names: judgeMeanScore, judgeMalformed and
 * judgeErrors join the metrics (a gate can ask for judgeMeanScore), the verdicts join the report. A judge
 * that cannot be reached counts errors; it does not fail the evaluation.
 */
async function withJudge(
  options: EvaluationWorkerOptions,
  requested: EvaluationRequested['data'],
  outcome: EvaluationOutcome,
): Promise<EvaluationOutcome> {
  const target = judgeTarget(options, requested);
  if (!target) return outcome;
  const { url, model } = target;
  const items = outcome.predictionsJsonl
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const row = JSON.parse(line) as {
        id: string;
        input: { instruction: string; input?: string };
        reference: string[];
        output: string;
      };
      return {
        id: row.id,
        instruction: row.input.instruction,
        ...(row.input.input !== undefined ? { input: row.input.input } : {}),
        references: row.reference,
        prediction: row.output,
      };
    });
  const summary = await judgePredictions(items, { ...options.judge, url, model });
  const metrics = {
    ...outcome.metrics,
    judgeJudged: summary.judged,
    judgeMalformed: summary.malformed,
    judgeErrors: summary.errors,
    ...(summary.meanScore !== null ? { judgeMeanScore: summary.meanScore } : {}),
  };
  const report = JSON.parse(outcome.reportJson) as Record<string, unknown>;
  const reportJson = `${JSON.stringify({ ...report, metrics, judge: { url, model, ...summary } }, null, 2)}\n`;
  return { ...outcome, metrics, reportJson };
}

/**
 * Each scored record becomes an interaction whose first error-category label is the automatic one (by the
 * worker); a person's later label on the same interaction corrects it, and the evaluation's corrected
 * taxonomy counts the latest label of each record. Deterministic ids and idempotency keys make a retried
 * completion record nothing twice.
 */
async function recordLabelable(
  options: EvaluationWorkerOptions,
  job: ClaimedJob,
  context: JobContext,
  outcome: EvaluationOutcome,
): Promise<void> {
  const limit = options.labelableRecords ?? 1000;
  if (limit <= 0) return;
  const requested = job.payload as EvaluationRequested['data'];
  const rows = outcome.predictionsJsonl
    .split('\n')
    .filter((line) => line !== '')
    .map(
      (line) =>
        JSON.parse(line) as {
          id: string;
          input: { instruction: string; input?: string };
          output: string;
          category: string;
        },
    )
    .filter((row) => row.category !== 'unscored')
    .slice(0, limit);
  const base: CommandContext = {
    actor: `worker:${context.workerId}`,
    roles: ['worker'],
    correlationId: job.correlationId,
  };
  for (const row of rows) {
    const interactionId = evaluationInteractionId(requested.evaluationId, row.id);
    await options.services.feedback.recordInteraction(
      {
        interactionId,
        model: requested.model,
        prompt: loggable(
          row.input.input ? `${row.input.instruction}\n\n${row.input.input}` : row.input.instruction,
        ),
        response: loggable(row.output),
        latencyMs: 0,
        tokens: { prompt: 0, completion: 0 },
      },
      { ...base, idempotencyKey: `eval-record:${interactionId}` },
    );
    await options.services.evaluations.labelScoredRecord(
      {
        evaluationId: requested.evaluationId,
        workerId: context.workerId,
        recordId: row.id,
        category: row.category,
      },
      { ...base, idempotencyKey: `eval-label:${interactionId}` },
    );
  }
}

/**
 * Text as the log can carry it: a model's output may hold NUL characters, which event data may not (PostgreSQL's
 * jsonb refuses them); each becomes U+FFFD. The predictions artifact keeps the output as generated.
 */
const loggable = (text: string): string => text.replaceAll('\u0000', '\uFFFD');

type ThreadResult =
  { kind: 'done'; outcome: EvaluationOutcome } | { kind: 'stopped' } | { kind: 'failed'; message: string };

function threadUrl(entry: string | URL | undefined): URL {
  const url =
    entry === undefined
      ? new URL('./evaluationThread.js', import.meta.url)
      : typeof entry === 'string'
        ? new URL(`file://${entry}`)
        : entry;
  if (!existsSync(fileURLToPath(url))) {
    throw new PermanentEvaluationError(
      `the evaluation thread ${fileURLToPath(url)} is missing: run \`npm run build\` and start workers from dist/ (or pass threadEntry)`,
    );
  }
  return url;
}

async function runThread(
  options: EvaluationWorkerOptions,
  job: ClaimedJob,
  context: JobContext,
  spec: EvaluationSpec,
): Promise<ThreadResult> {
  const { services } = options;
  const evaluationId = (job.payload as EvaluationRequested['data']).evaluationId;
  const command: CommandContext = {
    actor: `worker:${context.workerId}`,
    roles: ['worker'],
    correlationId: job.correlationId,
  };
  const control = new Int32Array(new SharedArrayBuffer(4));
  const thread = new Worker(threadUrl(options.threadEntry), {
    workerData: { spec, control: control.buffer },
  });
  const onAbort = () => Atomics.store(control, 0, EVALUATION_CONTROL.stop);
  context.signal.addEventListener('abort', onAbort);
  if (context.signal.aborted) onAbort();
  let chain = Promise.resolve();
  try {
    return await new Promise<ThreadResult>((resolve, reject) => {
      thread.on('message', (message: EvaluationMessage) => {
        switch (message.type) {
          case 'progress':
            // Progress is advice: a refused report (say, a lost lease) must not stop the evaluation.
            chain = chain
              .then(() =>
                services.evaluations.reportProgress(
                  {
                    evaluationId,
                    workerId: context.workerId,
                    completedExamples: message.completed,
                    totalExamples: message.total,
                  },
                  command,
                ),
              )
              .then(
                () => undefined,
                (error: unknown) =>
                  context.log.warn('progress not recorded', { evaluationId, error: String(error) }),
              );
            return;
          case 'done':
            resolve({ kind: 'done', outcome: message.outcome });
            return;
          case 'stopped':
            resolve({ kind: 'stopped' });
            return;
          case 'failed':
            // A model that cannot be evaluated fails the same way on every retry.
            resolve({ kind: 'failed', message: `evaluation failed: ${message.message.split('\n')[0]}` });
            return;
        }
      });
      thread.on('error', reject);
      thread.on('exit', (code) =>
        reject(new Error(`evaluation thread of ${evaluationId} exited (code ${code}) before it finished`)),
      );
    });
  } finally {
    context.signal.removeEventListener('abort', onAbort);
    await chain;
    await thread.terminate();
  }
}
