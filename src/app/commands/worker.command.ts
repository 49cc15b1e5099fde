import { join } from 'node:path';
import type { Command } from 'commander';
import { processLogger } from '../logging.js';
import { API_JOB_KINDS, JOB_KINDS, startApiWorkerProcess, startWorkerProcess } from '../../workers/index.js';
import { loadConfig } from '../config.js';
import { acquireDataDirLock } from '../dataDirLock.js';
import type { RegisterCommand } from './registerCommand.js';

function positiveInt(name: string) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < 1)
      throw new Error(`${name} must be a positive integer, got "${value}"`);
    return parsed;
  };
}

interface WorkerOptions {
  kinds: string;
  concurrency: number;
  leaseMs: number;
  pollMs: number;
  maxFailures: number;
  progressEvery: number;
  checkpointEvery: number;
  microBatch: number;
  merge?: boolean;
  promptFormat: string;
  progress: boolean;
  api?: string;
  token?: string;
}

export const registerWorkerCommand: RegisterCommand = (program: Command) => {
  program
    .command('worker')
    .description(
      'Run job workers as their own process against DATABASE_URL (PostgreSQL shared with the API and other ' +
        'workers; without it the embedded database in TUNELEDGER_DATA_DIR, which only one process may open). ' +
        'Claims jobs with SKIP LOCKED under a heartbeat lease; SIGTERM checkpoints running jobs and releases them. ' +
        'With --api URL: no database and no shared disk, only HTTP to the platform (a worker token; artifacts cached ' +
        'by hash in TUNELEDGER_DATA_DIR).',
    )
    .option(
      '--api <url>',
      `the platform's URL: work over its API only (kinds: ${API_JOB_KINDS.join(', ')}); needs --token or TUNELEDGER_WORKER_TOKEN`,
    )
    .option(
      '--token <token>',
      'with --api: a worker token (tuneledger token create --role worker), one per worker process; TUNELEDGER_WORKER_TOKEN keeps it off the command line',
    )
    .option('--kinds <list>', `job kinds to take, comma separated (${JOB_KINDS.join(', ')})`, 'train')
    .option('--concurrency <n>', 'jobs run at the same time', positiveInt('--concurrency'), 1)
    .option('--lease-ms <ms>', 'lease length; renewed every third of it', positiveInt('--lease-ms'), 30_000)
    .option('--poll-ms <ms>', 'how often an idle worker looks for jobs', positiveInt('--poll-ms'), 500)
    .option(
      '--max-failures <n>',
      'failed attempts before a job is failed for good',
      positiveInt('--max-failures'),
      3,
    )
    .option(
      '--progress-every <n>',
      'training: progress event every n steps',
      positiveInt('--progress-every'),
      10,
    )
    .option(
      '--checkpoint-every <n>',
      'training: checkpoint every n steps (and at stage ends)',
      positiveInt('--checkpoint-every'),
      50,
    )
    .option(
      '--micro-batch <n>',
      'training: examples per forward pass (gradient accumulation above it)',
      positiveInt('--micro-batch'),
      8,
    )
    .option('--merge', 'training: also store the base model with the adapter merged in')
    .option(
      '--prompt-format <name>',
      'training: format of runs that name none (alpaca, llama2, llama3, chat_template)',
      'alpaca',
    )
    .option('--no-progress', 'no terminal progress bar')
    .action(async (options: WorkerOptions) => {
      const config = loadConfig();
      const kinds = options.kinds
        .split(',')
        .map((kind) => kind.trim())
        .filter((kind) => kind !== '');
      const training = {
        progressEvery: options.progressEvery,
        checkpointEvery: options.checkpointEvery,
        microBatchSize: options.microBatch,
        mergeWeights: options.merge === true,
        defaultPromptFormat: options.promptFormat,
        progressBar: options.progress && process.stdout.isTTY === true,
      };
      const runtime = {
        kinds,
        concurrency: options.concurrency,
        leaseMs: options.leaseMs,
        pollMs: options.pollMs,
        maxFailures: options.maxFailures,
        installSignalHandlers: true,
        logger: processLogger(config.logLevel, 'tuneledger-worker'),
        training,
      };
      if (options.api !== undefined) {
        const token = options.token ?? process.env.TUNELEDGER_WORKER_TOKEN;
        if (!token)
          throw new Error('worker --api needs a worker token: --token TOKEN or TUNELEDGER_WORKER_TOKEN');
        await startApiWorkerProcess({
          ...runtime,
          api: { url: options.api, token },
          dataDir: config.dataDir,
        });
        return;
      }
      if (options.token !== undefined)
        throw new Error('--token goes with --api URL (a worker with no database)');
      // The embedded database is one process's: the lock is held until this process exits.
      const lock = config.databaseUrl ? undefined : acquireDataDirLock(config.dataDir, 'worker');
      try {
        await startWorkerProcess({
          ...(config.databaseUrl
            ? { databaseUrl: config.databaseUrl }
            : { dataDir: join(config.dataDir, 'pglite') }),
          artifacts: config.artifacts,
          ...runtime,
        });
      } catch (error) {
        lock?.release();
        throw error;
      }
      // The process lives until SIGTERM/SIGINT: startWorkerProcess installed the handlers that stop it (and
      // process.exit releases the lock).
    });
};
