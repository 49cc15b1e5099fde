import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { redactText } from '../../data/index.js';
import { databaseJobQueue, type ClaimedJob, type JobQueue } from './jobQueue.js';

/** Why a job's signal was aborted. */
export type StopReason = 'shutdown' | 'lease-lost';

export interface JobContext {
  readonly workerId: string;
  /** How long one lease lasts; handlers renew their own domain leases with it. */
  readonly leaseMs: number;
  /** Aborted on shutdown (finish the step, checkpoint, return 'released') or when the lease was lost. */
  readonly signal: AbortSignal;
  readonly log: WorkerLog;
}

/** How a job ended for this worker. `released`: given back unfinished (shutdown, lease lost, busy). */
export type JobOutcome =
  | { readonly status: 'succeeded' | 'failed' | 'cancelled'; readonly error?: string }
  | { readonly status: 'released'; readonly retryInMs?: number };

/**
 * One job kind. `run` records its outcome events itself (with deterministic ids: a job finished twice is
 * recorded once) and throws on a failure worth retrying.
 */
export interface JobHandler {
  run(job: ClaimedJob, context: JobContext): Promise<JobOutcome>;
  /** Called at each heartbeat; throwing LeaseLostError stops the job. Renews leases kept in events. */
  heartbeat?(job: ClaimedJob, context: JobContext): Promise<void>;
  /** After a failure that will be retried: give up domain-level holds (the event-sourced lease). */
  release?(job: ClaimedJob, context: JobContext): Promise<void>;
  /** After the last allowed failure: record the failure for good. */
  giveUp?(job: ClaimedJob, context: JobContext, error: string): Promise<void>;
}

export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
}

export interface WorkerLog {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

const silentLog: WorkerLog = { info() {}, warn() {} };

export interface WorkerOptions {
  /** Job kinds this worker takes (`train`, `evaluate`...); each needs a handler. */
  readonly kinds: readonly string[];
  readonly handlers: Readonly<Record<string, JobHandler>>;
  /** The shared database's jobs table; or give `queue` (a worker with no database). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the shared database holds every area's tables
  readonly db?: Kysely<any>;
  readonly queue?: JobQueue;
  readonly workerId?: string;
  /** Jobs run at the same time (default 1). */
  readonly concurrency?: number;
  /** Lease length (default 30 s); renewed every leaseMs / 3. */
  readonly leaseMs?: number;
  /** How often an idle worker looks for work (default 500 ms). */
  readonly pollMs?: number;
  /** Failures before a job is given up (default 3). */
  readonly maxFailures?: number;
  /** Retry backoff: base * 2^(failures-1), at most maxBackoffMs (defaults 1 s, 60 s). */
  readonly backoffMs?: number;
  readonly maxBackoffMs?: number;
  readonly log?: WorkerLog;
}

export interface WorkerHandle {
  readonly workerId: string;
  /** Jobs held now. */
  readonly active: () => number;
  /** Stops claiming, asks running jobs to checkpoint and release, waits for them. */
  stop(): Promise<void>;
  /** Resolves when the worker has stopped. */
  readonly done: Promise<void>;
}

export function newWorkerId(): string {
  return `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
}

/**
 * The job runtime shared by every worker kind: claims jobs of its kinds (FOR UPDATE SKIP LOCKED), holds
 * each under a lease renewed by heartbeat, hands it to the kind's handler, and settles the row: finished,
 * or released with a failure count and exponential backoff, or given up after maxFailures. A job whose
 * worker died is claimed again once its lease expires. stop() is the graceful shutdown SIGTERM calls.
 */
export function runWorker(options: WorkerOptions): WorkerHandle {
  for (const kind of options.kinds) {
    if (!options.handlers[kind]) {
      throw new Error(
        `worker: no handler for job kind "${kind}"; known kinds: ${Object.keys(options.handlers).join(', ')}`,
      );
    }
  }
  const queue = options.queue ?? (options.db ? databaseJobQueue(options.db) : undefined);
  if (!queue) throw new Error('worker: give it the database (db) or a job queue (queue)');
  const workerId = options.workerId ?? newWorkerId();
  const leaseMs = options.leaseMs ?? 30_000;
  const pollMs = options.pollMs ?? 500;
  const concurrency = options.concurrency ?? 1;
  const maxFailures = options.maxFailures ?? 3;
  const backoffMs = options.backoffMs ?? 1000;
  const maxBackoffMs = options.maxBackoffMs ?? 60_000;
  const log = options.log ?? silentLog;
  const running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  let stopping = false;
  let wake: (() => void) | undefined;

  const runJob = async (job: ClaimedJob, controller: AbortController): Promise<void> => {
    const handler = options.handlers[job.kind]!;
    const context: JobContext = { workerId, leaseMs, signal: controller.signal, log };
    const beat = setInterval(
      () => {
        void (async () => {
          try {
            if (!(await queue.renew(job.jobId, workerId, leaseMs))) throw new LeaseLostError(job.jobId);
            await handler.heartbeat?.(job, context);
          } catch (error) {
            if (error instanceof LeaseLostError && !controller.signal.aborted) {
              log.warn('lease lost', { jobId: job.jobId, reason: error.message });
              controller.abort('lease-lost' satisfies StopReason);
            } else if (!(error instanceof LeaseLostError)) {
              log.warn('heartbeat failed', { jobId: job.jobId, error: redactedMessage(error) });
            }
          }
        })();
      },
      Math.max(50, Math.floor(leaseMs / 3)),
    );
    try {
      const outcome = await handler.run(job, context);
      if (outcome.status === 'released') {
        await queue.release(job.jobId, workerId, { backoffMs: outcome.retryInMs ?? 0 });
      } else {
        await queue.finish(
          job.jobId,
          workerId,
          outcome.status,
          outcome.error === undefined ? undefined : redactText(outcome.error),
        );
      }
      log.info('job ended', { jobId: job.jobId, status: outcome.status });
    } catch (error) {
      const message = redactedMessage(error);
      const failures = job.failures + 1;
      log.warn('job failed', { jobId: job.jobId, failures, error: message });
      try {
        if (failures >= maxFailures) {
          await handler.giveUp?.(job, context, message);
          // Finished first, so no other worker claims it in between; the release then counts the failure.
          await queue.finish(job.jobId, workerId, 'failed', message);
          await queue.release(job.jobId, workerId, { error: message });
        } else {
          await handler.release?.(job, context);
          await queue.release(job.jobId, workerId, {
            error: message,
            backoffMs: Math.min(maxBackoffMs, backoffMs * 2 ** (failures - 1)),
          });
        }
      } catch (settleError) {
        // The lease runs out on its own and another worker takes the job over.
        log.warn('could not settle a failed job', { jobId: job.jobId, error: redactedMessage(settleError) });
      }
    } finally {
      clearInterval(beat);
      running.delete(job.jobId);
      wake?.();
    }
  };

  const loop = async (): Promise<void> => {
    while (!stopping) {
      let claimed: ClaimedJob | undefined;
      if (running.size < concurrency) {
        try {
          claimed = await queue.claim({ kinds: options.kinds, workerId, leaseMs });
        } catch (error) {
          log.warn('claim failed', { error: redactedMessage(error) });
        }
      }
      if (claimed && !stopping) {
        const job = claimed;
        const entry = { controller: new AbortController(), done: Promise.resolve() };
        running.set(job.jobId, entry);
        entry.done = runJob(job, entry.controller);
        continue;
      }
      if (claimed && stopping) await queue.release(claimed.jobId, workerId);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pollMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
    await Promise.all([...running.values()].map((entry) => entry.done));
  };

  const done = loop();
  return {
    workerId,
    active: () => running.size,
    async stop() {
      stopping = true;
      for (const entry of running.values()) entry.controller.abort('shutdown' satisfies StopReason);
      wake?.();
      await done;
    },
    done,
  };
}

/**
 * A job's error as the log and the jobs table keep it: redacted, since a failure met in the data (a
 * record that would not parse, say) may quote the data. Events get theirs from the services' gate.
 */
function redactedMessage(error: unknown): string {
  return redactText(error instanceof Error ? error.message : String(error));
}
