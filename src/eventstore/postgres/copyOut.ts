import type pg from 'pg';

/**
 * `COPY (query) TO STDOUT` over node-postgres without another package: the query object pg's client accepts
 * (`client.query(submittable)`), copying the CopyData messages (one per row, text format, each ending in a
 * newline) into batches of whole rows the reader takes in turn (a message's bytes are a view of the driver's
 * read buffer, reused for the next read: they are copied at once). The socket is paused while batches wait
 * unread, so a slow reader holds at most a few batches in memory.
 */
class CopyOutQuery {
  private batch: Buffer;
  private filled = 0;
  private readonly ready: Buffer[] = [];
  private failure: Error | undefined;
  private finished = false;
  private wake: (() => void) | undefined;
  private connection: PgConnection | undefined;

  constructor(
    readonly text: string,
    private readonly batchBytes: number,
    private readonly maxReady: number,
  ) {
    this.batch = Buffer.allocUnsafe(batchBytes);
  }

  /** Called by pg's client when the connection is free: send the statement (simple query protocol). */
  submit(connection: PgConnection): null {
    this.connection = connection;
    connection.query(this.text);
    return null;
  }

  handleCopyData(message: { chunk: Buffer }): void {
    const chunk = message.chunk;
    if (this.filled + chunk.length > this.batch.length) {
      this.flushBatch();
      if (chunk.length > this.batch.length) this.batch = Buffer.allocUnsafe(chunk.length);
    }
    this.filled += chunk.copy(this.batch, this.filled);
  }

  handleCommandComplete(): void {
    this.flushBatch();
  }

  handleError(error: Error): void {
    this.failure ??= error;
    this.signal();
  }

  handleReadyForQuery(): void {
    this.flushBatch();
    this.finished = true;
    this.connection?.stream.resume();
    this.signal();
  }

  // Not sent for a COPY TO; present because pg's client calls them on any query.
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyInResponse(connection: PgConnection): void {
    connection.sendCopyFail('not a COPY FROM');
  }

  /** The rows in batches of whole lines, in order; throws the server's error, if any, after the rows before it. */
  async *batches(): AsyncGenerator<Buffer> {
    for (;;) {
      const next = this.ready.shift();
      if (next) {
        if (this.ready.length < this.maxReady) this.connection?.stream.resume();
        yield next;
        continue;
      }
      if (this.failure) throw this.failure;
      if (this.finished) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private flushBatch(): void {
    if (this.filled === 0) return;
    this.ready.push(this.batch.subarray(0, this.filled));
    this.batch = Buffer.allocUnsafe(this.batchBytes);
    this.filled = 0;
    if (this.ready.length >= this.maxReady) this.connection?.stream.pause();
    this.signal();
  }

  private signal(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

/** The part of pg's (untyped) Connection a submittable query uses. */
interface PgConnection {
  query(text: string): void;
  sendCopyFail(message: string): void;
  readonly stream: { pause(): void; resume(): void };
}

/**
 * The rows of `COPY (select) TO STDOUT` (text format: fields separated by tabs, `\N` for null, backslash escapes,
 * each row ending in a newline), in batches of whole rows, read on a pooled connection of its own inside a read-only
 * repeatable-read transaction on `snapshot` (from `pg_export_snapshot()` in the caller's transaction, which must
 * stay open meanwhile), so it sees exactly what the caller's transaction sees. `settings` are planner settings
 * for this transaction alone (SET LOCAL).
 */
export async function* copyRowsOut(
  pool: pg.Pool,
  select: string,
  snapshot: string,
  settings: Readonly<Record<string, string>> = {},
  batchBytes = 1 << 20,
): AsyncGenerator<Buffer> {
  const client = await pool.connect();
  let complete = false;
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await client.query(`SET TRANSACTION SNAPSHOT '${snapshot.replaceAll("'", "''")}'`);
    for (const [name, value] of Object.entries(settings))
      await client.query('SELECT set_config($1, $2, true)', [name, value]);
    const copy = new CopyOutQuery(`COPY (${select}) TO STDOUT`, batchBytes, 8);
    client.query(copy as unknown as pg.Submittable);
    yield* copy.batches();
    await client.query('COMMIT');
    complete = true;
  } finally {
    // A COPY left unread (the reader stopped early) or failed: the connection is closed, not reused.
    client.release(complete ? undefined : true);
  }
}
