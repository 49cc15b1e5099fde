/**
 * Worker-thread entry of a training run: the model computation never runs on the event loop of the
 * process that serves GraphQL or appends events. The owner posts one TrainingSpec and a shared control
 * word; the thread posts TrainingMessages back and ends.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runTraining } from './runTraining.js';
import type { StartMessage, TrainingMessage, TrainingSpec } from './trainingMessages.js';

const { spec, control } = workerData as { spec: TrainingSpec; control: SharedArrayBuffer };
const port = parentPort!;
const emit = (message: TrainingMessage) => {
  const transfer =
    message.type === 'checkpoint'
      ? [message.bytes.buffer as ArrayBuffer]
      : message.type === 'done'
        ? [
            message.adapter.buffer as ArrayBuffer,
            ...(message.merged ? [message.merged.buffer as ArrayBuffer] : []),
          ]
        : [];
  port.postMessage(message, transfer);
};
const start = () =>
  new Promise<StartMessage>((resolve) => port.once('message', (message: StartMessage) => resolve(message)));
runTraining(spec, { emit, start, control: new Int32Array(control) }).catch((error: unknown) => {
  emit({ type: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
});
