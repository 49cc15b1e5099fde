/**
 * Worker-thread entry of an evaluation: generation blocks for seconds to hours, so it never runs on the
 * event loop that serves GraphQL, renews leases or appends events. The owner posts one EvaluationSpec and a
 * shared control word; the thread posts EvaluationMessages back and ends.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { evaluateModel, EvaluationStoppedError } from './evaluateModel.js';
import { EVALUATION_CONTROL, type EvaluationMessage, type EvaluationSpec } from './evaluationMessages.js';

const { spec, control } = workerData as { spec: EvaluationSpec; control: SharedArrayBuffer };
const word = new Int32Array(control);
const port = parentPort!;
const emit = (message: EvaluationMessage) => port.postMessage(message);
let lastProgress = 0;
evaluateModel({
  ...spec,
  shouldStop: () => Atomics.load(word, 0) !== EVALUATION_CONTROL.run,
  onProgress: (completed, total) => {
    // At most a few messages a second: each one becomes an event.
    const now = performance.now();
    if (completed === total || now - lastProgress > 250) {
      lastProgress = now;
      emit({ type: 'progress', completed, total });
    }
  },
}).then(
  (outcome) => emit({ type: 'done', outcome }),
  (error: unknown) =>
    emit(
      error instanceof EvaluationStoppedError
        ? { type: 'stopped' }
        : {
            type: 'failed',
            message: error instanceof Error ? (error.stack ?? error.message) : String(error),
          },
    ),
);
