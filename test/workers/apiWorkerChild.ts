/** A worker with no database for the API-worker tests, bundled and started with plain node; settings from the environment. */
import { destination, pino } from 'pino';
import { startApiWorkerProcess } from '../../src/workers/index.js';

const env = process.env;
const worker = await startApiWorkerProcess({
  api: { url: env.API_URL!, token: env.WORKER_TOKEN!, initialBackoffMs: 100, maxBackoffMs: 1000 },
  dataDir: env.WORKER_DATA_DIR!,
  kinds: (env.WORKER_KINDS ?? 'train').split(','),
  leaseMs: Number(env.LEASE_MS ?? 3000),
  pollMs: 100,
  installSignalHandlers: true,
  logger: pino({ level: env.WORKER_LOG ?? 'silent' }, destination(2)),
  training: {
    threadEntry: env.THREAD_ENTRY!,
    progressEvery: 1,
    checkpointEvery: 3,
    microBatchSize: 4,
    progressBar: false,
    cancelPollMs: 100,
    gradientWorkers: 0,
  },
  evaluation: {
    ...(env.EVALUATION_THREAD_ENTRY ? { threadEntry: env.EVALUATION_THREAD_ENTRY } : {}),
    maxTokens: 8,
    heatmapExamples: 0,
  },
});
process.stdout.write(`worker ready ${worker.workerId}\n`);
