import type { ExecutionResult } from 'graphql';
import { apiError } from './errors.js';

/**
 * A query's time budget, counted from the request's arrival. Execution is raced against it: at the
 * deadline the caller gets DEADLINE_EXCEEDED (HTTP 504) at once, and `signal` aborts, so folds and
 * reports that check it between their reads stop instead of working on for nobody. Mutations are
 * never raced: a command cut off half way would leave the caller not knowing whether it happened.
 */
export class Deadline {
  readonly #controller = new AbortController();
  readonly #startedAt = performance.now();
  #timer: NodeJS.Timeout | null = null;

  constructor(readonly budgetMs: number) {}

  /**
   * Aborts, with the DEADLINE_EXCEEDED error as its reason, once the budget of a raced execution is
   * spent: `signal.throwIfAborted()` between reads stops a fold or report.
   */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  error() {
    return apiError(
      'DEADLINE_EXCEEDED',
      `query stopped: it ran past the deadline of ${this.budgetMs} ms; ask for less (fewer asOf answers, audit reports or smaller pages)`,
      { deadlineMs: this.budgetMs, http: { status: 504 } },
    );
  }

  /**
   * `execution`'s result, or a DEADLINE_EXCEEDED result when the budget runs out first (what it
   * still computes afterwards is dropped).
   */
  async race(execution: Promise<ExecutionResult>): Promise<ExecutionResult> {
    const remaining = this.budgetMs - (performance.now() - this.#startedAt);
    if (remaining <= 0) this.#controller.abort(this.error());
    if (this.#controller.signal.aborted) return { errors: [this.error()] };
    let expire!: () => void;
    const expired = new Promise<ExecutionResult>((resolve) => {
      expire = () => resolve({ errors: [this.error()] });
    });
    this.#timer = setTimeout(() => {
      this.#controller.abort(this.error());
      expire();
    }, remaining);
    try {
      return await Promise.race([execution, expired]);
    } finally {
      clearTimeout(this.#timer);
    }
  }
}
