import { sql, type Kysely } from 'kysely';
import { START, type Checkpoint, type EventStore, type RecordedEvent } from '../eventstore/eventStore.js';
import { toProjectedEvent, upcastRecorded, type ProjectedEvent } from './lifecycleEvent.js';
import { applyEach, type AnyProjection, type ReadModelDb } from './projection.js';

export interface ProjectionRunnerOptions {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the shared database holds every area's tables
  readonly db: Kysely<any>;
  readonly store: EventStore;
  readonly projections: readonly AnyProjection[];
  /** Events read from the log and applied per transaction (default 1000). */
  readonly batchSize?: number;
  /** How often a runner that does not own a projection, or sits idle, looks again (default 250 ms). */
  readonly pollIntervalMs?: number;
  /** Lifts stored events to the current schema; the domain's upcasting registry by default. */
  readonly upcast?: (event: RecordedEvent) => RecordedEvent;
  readonly onError?: (projection: string, error: unknown) => void;
}

export interface ProjectionStatus {
  readonly name: string;
  readonly version: number;
  readonly checkpoint: Checkpoint;
  /** false while another runner (another process) holds this projection's lock. */
  readonly owned: boolean;
  readonly eventsApplied: number;
  /** Wall time spent in this projection's batch transactions since the runner started (ms). */
  readonly applyMs: number;
  readonly lastError?: string;
}

interface State {
  readonly projection: AnyProjection;
  readonly handles: ReadonlySet<string>;
  checkpoint: Checkpoint;
  owned: boolean;
  eventsApplied: number;
  applyMs: number;
  lastError?: string;
  /** Not before this time (ms since epoch): after a failure (backoff) or a lost lock. */
  retryAt: number;
  failures: number;
}

type BatchOutcome = 'applied' | 'skipped' | 'busy' | 'moved' | 'failed';

const LOCK_NAMESPACE = 'tuneledger.projection';

/**
 * The read models have not applied a checkpoint within the wait: the events are recorded, only reading them back
 * would not show them yet (a busy or stopped projection runner).
 */
export class ProjectionLagError extends Error {
  override readonly name = 'ProjectionLagError';
  constructor(
    readonly checkpoint: Checkpoint,
    readonly behind: readonly string[],
    readonly waitedMs: number,
  ) {
    super(
      `projections ${behind.join(', ')} have not reached checkpoint ${checkpoint} within ${waitedMs} ms; ` +
        'check that a projection runner is running (ProjectionRunner.start) and look at its status() for errors',
    );
  }
}

/**
 * Applies the global log to projections, in order, each in its own transaction per batch with its
 * checkpoint. The log is read once per batch for all projections: each applies only the events past
 * its own checkpoint (checkpoints are strings ordered by plain comparison).
 *
 * Exclusivity: every batch transaction first takes pg_try_advisory_xact_lock for the projection and
 * re-reads its checkpoint row FOR UPDATE; a runner that does not get the lock, or finds the
 * checkpoint moved, writes nothing. This works alike on PostgreSQL (many runners, many processes)
 * and PGlite (one connection, where a session lock would pin the only connection).
 */
export class ProjectionRunner {
  private readonly db: ReadModelDb;
  private readonly states: State[];
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private readonly upcast: (event: RecordedEvent) => RecordedEvent;
  private readonly waiters = new Set<() => void>();
  private initialised: Promise<void> | undefined;
  private loop: Promise<void> | undefined;
  private running = false;
  private wake: (() => void) | undefined;
  private exclusive: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: ProjectionRunnerOptions) {
    const names = new Set<string>();
    for (const projection of options.projections) {
      if (names.has(projection.name)) throw new Error(`projection "${projection.name}" is registered twice`);
      names.add(projection.name);
    }
    this.db = options.db as ReadModelDb;
    this.batchSize = options.batchSize ?? 1000;
    this.pollIntervalMs = options.pollIntervalMs ?? 250;
    this.upcast = options.upcast ?? upcastRecorded;
    this.states = options.projections.map((projection) => ({
      projection,
      handles: new Set(projection.handles),
      checkpoint: START,
      owned: true,
      eventsApplied: 0,
      applyMs: 0,
      retryAt: 0,
      failures: 0,
    }));
  }

  /** Starts following the log in the background: catch-up with readAll, then the live subscription. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run().catch((error: unknown) => {
      this.running = false;
      this.options.onError?.('runner', error);
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    this.loop = undefined;
  }

  /**
   * Applies everything visible in the log now, then returns (no live phase). With `until` (the
   * checkpoint of an event the caller appended) it also waits, up to `timeoutMs`, for the log to be
   * visible that far: on PostgreSQL an open transaction anywhere on the server holds back what
   * readAll returns, so "visible now" can stop short of a commit that has already returned. A
   * projection whose batch failed is retried after its backoff; after `maxFailures` failures in a
   * row catchUp throws with the projection's last error.
   */
  async catchUp(
    options: { until?: Checkpoint; timeoutMs?: number; maxFailures?: number } = {},
  ): Promise<void> {
    const { until, timeoutMs = 60_000, maxFailures = 5 } = options;
    const deadline = Date.now() + timeoutMs;
    await this.init();
    for (;;) {
      const progressed = await this.exclusively(() => this.step());
      if (progressed) continue;
      const failing = this.states.filter((state) => state.failures > 0);
      if (failing.length === 0) {
        if (until === undefined || this.states.every((state) => state.checkpoint >= until)) return;
        if (Date.now() >= deadline) {
          throw new Error(
            `the log up to checkpoint ${until} did not become visible within ${timeoutMs} ms; ` +
              'a transaction left open on the PostgreSQL server holds it back (see pg_stat_activity)',
          );
        }
        await new Promise((resolve) => setTimeout(resolve, Math.min(this.pollIntervalMs, 50)));
        continue;
      }
      const stuck = failing.find((state) => state.failures >= maxFailures);
      if (stuck) {
        throw new Error(
          `projection "${stuck.projection.name}" failed ${stuck.failures} times in a row at checkpoint "${stuck.checkpoint}": ${stuck.lastError}`,
        );
      }
      const wait = Math.max(0, Math.min(...failing.map((state) => state.retryAt)) - Date.now());
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  /**
   * Rebuilds projections from zero: truncates their tables and resets their checkpoints in one
   * transaction (waiting for a batch in flight elsewhere to finish), then catches up unless the
   * background loop is running, in which case it picks the reset up by itself.
   */
  async rebuild(names?: readonly string[]): Promise<void> {
    await this.init();
    const targets = this.select(names);
    await this.exclusively(async () => {
      for (const state of targets) await this.reset(state);
    });
    if (!this.running) await this.catchUp();
  }

  /**
   * Resolves once every named projection (all by default) has applied the log up to `checkpoint`
   * (the checkpoint of an appended event): read-your-writes for a mutation. Works whichever process
   * runs the projections, since it watches the checkpoint table.
   */
  async waitFor(
    checkpoint: Checkpoint,
    options: { projections?: readonly string[]; timeoutMs?: number } = {},
  ): Promise<void> {
    const names = this.select(options.projections).map((state) => state.projection.name);
    const deadline = Date.now() + (options.timeoutMs ?? 10_000);
    for (;;) {
      const rows = await this.db
        .selectFrom('projection_checkpoints')
        .select(['name', 'checkpoint'])
        .where('name', 'in', names)
        .execute();
      const behind = names.filter((name) => {
        const row = rows.find((r) => r.name === name);
        return !row || row.checkpoint < checkpoint;
      });
      if (behind.length === 0) return;
      if (Date.now() >= deadline) {
        throw new ProjectionLagError(checkpoint, behind, options.timeoutMs ?? 10_000);
      }
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, Math.min(this.pollIntervalMs, 100));
        this.waiters.add(done);
      });
    }
  }

  /**
   * Events each projection is behind the head of the log. Counted by reading the log from the
   * slowest checkpoint, at most `limit` events (so a lag above the limit reads as the limit).
   */
  async lag(limit = 100_000): Promise<Record<string, number>> {
    await this.init();
    const stored = await this.storedCheckpoints();
    const lags: Record<string, number> = {};
    const from = [...stored.values()].reduce(
      (min, cp) => (cp < min ? cp : min),
      stored.values().next().value ?? START,
    );
    for (const state of this.states) lags[state.projection.name] = 0;
    let position = from;
    let seen = 0;
    while (seen < limit) {
      const page = await this.options.store.readAll(position, Math.min(this.batchSize * 5, limit - seen));
      if (page.events.length === 0) break;
      for (const event of page.events) {
        for (const state of this.states) {
          if (event.checkpoint > (stored.get(state.projection.name) ?? START)) lags[state.projection.name]!++;
        }
      }
      seen += page.events.length;
      position = page.checkpoint;
    }
    return lags;
  }

  status(): ProjectionStatus[] {
    return this.states.map((state) => ({
      name: state.projection.name,
      version: state.projection.version,
      checkpoint: state.checkpoint,
      owned: state.owned,
      eventsApplied: state.eventsApplied,
      applyMs: Math.round(state.applyMs),
      ...(state.lastError ? { lastError: state.lastError } : {}),
    }));
  }

  private select(names?: readonly string[]): State[] {
    if (!names) return this.states;
    return names.map((name) => {
      const state = this.states.find((s) => s.projection.name === name);
      if (!state) {
        throw new Error(
          `unknown projection "${name}"; known: ${this.states.map((s) => s.projection.name).join(', ')}`,
        );
      }
      return state;
    });
  }

  /** Serialises batches and resets within this process (the advisory lock covers other processes). */
  private exclusively<T>(work: () => Promise<T>): Promise<T> {
    const next = this.exclusive.then(work, work);
    this.exclusive = next.catch(() => undefined);
    return next;
  }

  private init(): Promise<void> {
    if (this.initialised) return this.initialised;
    const initialising = (async () => {
      await this.db
        .insertInto('projection_checkpoints')
        .values(
          this.states.map((state) => ({
            name: state.projection.name,
            version: state.projection.version,
            checkpoint: START,
            events_applied: 0,
            updated_at: new Date().toISOString(),
          })),
        )
        .onConflict((oc) => oc.column('name').doNothing())
        .execute();
      const rows = await this.db.selectFrom('projection_checkpoints').selectAll().execute();
      for (const state of this.states) {
        const row = rows.find((r) => r.name === state.projection.name)!;
        state.checkpoint = row.checkpoint;
        state.eventsApplied = Number(row.events_applied);
        // A projection whose code changed shape rebuilds from zero.
        if (row.version !== state.projection.version) await this.reset(state);
      }
    })();
    this.initialised = initialising;
    // A failed start (the database unreachable for a moment) is tried again by the next caller.
    initialising.catch(() => {
      if (this.initialised === initialising) this.initialised = undefined;
    });
    return initialising;
  }

  private async storedCheckpoints(): Promise<Map<string, Checkpoint>> {
    const rows = await this.db.selectFrom('projection_checkpoints').select(['name', 'checkpoint']).execute();
    return new Map(rows.map((row) => [row.name, row.checkpoint]));
  }

  private async reset(state: State): Promise<void> {
    const { projection } = state;
    await this.db.transaction().execute(async (trx) => {
      // Blocking lock: waits for another runner's batch in flight, then holds it off until commit.
      await sql`SELECT pg_advisory_xact_lock(hashtext(${LOCK_NAMESPACE}), hashtext(${projection.name}))`.execute(
        trx,
      );
      if (projection.tables.length > 0) {
        await sql`TRUNCATE ${sql.join(projection.tables.map((table) => sql.table(table)))}`.execute(trx);
      }
      await trx
        .updateTable('projection_checkpoints')
        .set({
          checkpoint: START,
          version: projection.version,
          events_applied: 0,
          data_version: sql`data_version + 1`,
          updated_at: new Date().toISOString(),
        })
        .where('name', '=', projection.name)
        .execute();
    });
    state.checkpoint = START;
    state.eventsApplied = 0;
    state.failures = 0;
    state.retryAt = 0;
    delete state.lastError;
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        await this.init();
        const progressed = await this.exclusively(() => this.step());
        if (progressed) continue;
        if (!this.running) break;
        await this.follow();
      } catch (error) {
        // The log or the database is unreachable for a moment: report, wait, carry on.
        this.options.onError?.('runner', error);
        await this.sleep(this.pollIntervalMs * 4);
      }
    }
  }

  /** One batch read with readAll from the slowest eligible checkpoint. true when something moved. */
  private async step(): Promise<boolean> {
    const eligible = this.eligible();
    if (eligible.length === 0) return false;
    const from = minCheckpoint(eligible);
    const page = await this.options.store.readAll(from, this.batchSize);
    if (page.events.length === 0) return false;
    const outcomes = await this.applyToAll(eligible, page.events, from);
    return outcomes.some((outcome) => outcome === 'applied' || outcome === 'moved');
  }

  /**
   * Live phase: a subscription from the slowest checkpoint, its events applied in batches of what
   * has arrived. Returns to catch-up (the caller) when a projection falls behind the subscription
   * (reset, failure, another runner), or after an idle poll when nothing is eligible.
   */
  private async follow(): Promise<void> {
    const eligible = this.eligible();
    if (eligible.length === 0) {
      await this.sleep(this.pollIntervalMs);
      return;
    }
    let position = minCheckpoint(eligible);
    const subscription = this.options.store.subscribe(position);
    const queue: RecordedEvent[] = [];
    let ended = false;
    const pump = (async () => {
      try {
        for await (const event of subscription) {
          queue.push(event);
          this.wake?.();
          if (!this.running) break;
        }
      } finally {
        ended = true;
        this.wake?.();
      }
    })().catch((error: unknown) => this.options.onError?.('subscription', error));
    try {
      while (this.running && !ended) {
        if (queue.length === 0) {
          await this.sleep(this.pollIntervalMs * 4);
          // Periodically leave so projections that were busy elsewhere or in backoff get re-read.
          if (queue.length === 0 && this.states.some((s) => !s.owned || s.failures > 0)) return;
          continue;
        }
        const batch = queue.splice(0, this.batchSize);
        const targets = this.eligible();
        if (targets.some((state) => state.checkpoint < position)) return;
        const outcomes = await this.exclusively(() => this.applyToAll(targets, batch, position));
        position = batch[batch.length - 1]!.checkpoint;
        if (outcomes.some((outcome) => outcome !== 'applied' && outcome !== 'skipped')) return;
      }
    } finally {
      await subscription.close();
      await pump;
    }
  }

  private eligible(): State[] {
    const now = Date.now();
    return this.states.filter((state) => state.retryAt <= now);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
  }

  private async applyToAll(
    states: readonly State[],
    events: readonly RecordedEvent[],
    batchFrom: Checkpoint,
  ): Promise<BatchOutcome[]> {
    const outcomes = await Promise.all(states.map((state) => this.applyTo(state, events, batchFrom)));
    for (const waiter of [...this.waiters]) waiter();
    return outcomes;
  }

  private async applyTo(
    state: State,
    events: readonly RecordedEvent[],
    batchFrom: Checkpoint,
  ): Promise<BatchOutcome> {
    const { projection } = state;
    // The batch must start at or before this projection's checkpoint, or events would be skipped.
    if (state.checkpoint < batchFrom) return 'moved';
    const pending = events.filter((event) => event.checkpoint > state.checkpoint);
    if (pending.length === 0) return 'skipped';
    const expected = state.checkpoint;
    const last = pending[pending.length - 1]!.checkpoint;
    const handled = pending
      .filter((event) => state.handles.has(event.type))
      .map((event) => toProjectedEvent(event, this.upcast))
      .filter((event): event is ProjectedEvent => event !== undefined);
    const started = performance.now();
    try {
      const outcome = await this.db.transaction().execute(async (trx): Promise<BatchOutcome> => {
        // One round trip: the row comes back only if this transaction got the projection's lock
        // (re-taking it for another row of the scan is harmless: the key is this projection's).
        const row = await trx
          .selectFrom('projection_checkpoints')
          .select(['checkpoint', 'events_applied'])
          .where('name', '=', projection.name)
          .where(
            sql<boolean>`pg_try_advisory_xact_lock(hashtext(${LOCK_NAMESPACE}), hashtext(${projection.name}))`,
          )
          .forUpdate()
          .executeTakeFirst();
        // init() created the row, so no row means another runner holds the lock.
        if (!row) return 'busy';
        if (row.checkpoint !== expected) {
          state.checkpoint = row.checkpoint;
          state.eventsApplied = Number(row.events_applied);
          return 'moved';
        }
        if (handled.length > 0) {
          if (projection.applyBatch) await projection.applyBatch(trx, handled);
          else await applyEach(projection, trx, handled);
        }
        await trx
          .updateTable('projection_checkpoints')
          .set({
            checkpoint: last,
            events_applied: sql`events_applied + ${handled.length}`,
            // Only a batch that wrote rows changes what readers of this projection can see.
            ...(handled.length > 0 ? { data_version: sql`data_version + 1` } : {}),
            updated_at: new Date().toISOString(),
          })
          .where('name', '=', projection.name)
          .execute();
        return 'applied';
      });
      state.applyMs += performance.now() - started;
      if (outcome === 'applied') {
        state.checkpoint = last;
        state.eventsApplied += handled.length;
        state.owned = true;
        state.failures = 0;
        delete state.lastError;
      } else if (outcome === 'busy') {
        // Another runner holds it: stay passive a while instead of contending batch by batch.
        state.owned = false;
        state.retryAt = Date.now() + this.pollIntervalMs * 4;
        const stored = await this.storedCheckpoints();
        state.checkpoint = stored.get(projection.name) ?? state.checkpoint;
      }
      return outcome;
    } catch (error) {
      state.applyMs += performance.now() - started;
      state.failures += 1;
      state.lastError = error instanceof Error ? error.message : String(error);
      state.retryAt = Date.now() + Math.min(5000, 50 * 2 ** (state.failures - 1));
      this.options.onError?.(projection.name, error);
      return 'failed';
    }
  }
}

function minCheckpoint(states: readonly State[]): Checkpoint {
  return states.reduce(
    (min, state) => (state.checkpoint < min ? state.checkpoint : min),
    states[0]!.checkpoint,
  );
}
