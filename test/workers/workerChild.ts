/** A worker process for the take-over test, bundled and started with plain node; settings from the environment. */
import { pino } from 'pino';
import { startWorkerProcess } from '../../src/workers/index.js';

const env = process.env;
await startWorkerProcess({
  databaseUrl: env.DATABASE_URL!,
  artifacts: { kind: 'directory', path: env.ARTIFACTS_DIR! },
  kinds: ['train'],
  leaseMs: Number(env.LEASE_MS ?? 3000),
  pollMs: 100,
  installSignalHandlers: true,
  logger: pino({ level: env.WORKER_LOG ?? 'silent' }),
  training: {
    threadEntry: env.THREAD_ENTRY!,
    progressEvery: 1,
    checkpointEvery: 3,
    microBatchSize: 4,
    progressBar: false,
    cancelPollMs: 100,
  },
});
process.stdout.write('worker ready\n');
