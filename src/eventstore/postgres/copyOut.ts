import type pg from 'pg';

/**
 * `COPY (query) TO STDOUT` over node-postgres without another package: the query object pg's client accepts
 * (`client.query(submittable)`), collecting the CopyData messages (one per row, text format, each ending in a
 * newline) into batches the reader takes in turn. The socket is paused while a batch waits unread, so a slow
 * reader holds at most a few batches in memory.
 */
class CopyOutQuery {
  private batch: Buffer[] = [];
  private readonly ready: Buffer[][] = [];
  private failure: Error | undefined;
  private finished = false;
  private wake: (() => void) | undefined;
  private connection: PgConnection | undefined;

  constructor(
    readonly text: string,
    private readonly batchRows: number,
    private readonly maxReady: number,
  ) {}

  /** Called by pg's client when the connection is free: send the statement (simple query protocol). */
  submit(connection: PgConnection): null {
    this.connection = connection;
    connection.query(this.text);
    return null;
  }

  handleCopyData(message: { chunk: Buffer }): void {
    this.batch.push(message.chunk);
    if (this.batch.length >= this.batchRows) this.flushBatch();
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

  /** The rows in batches, in order; throws the server's error, if any, after the rows before it. */
  async *batches(): AsyncGenerator<Buffer[]> {
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
    if (this.batch.length === 0) return;
    this.ready.push(this.batch);
    this.batch = [];
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
 * The rows of `COPY (select) TO STDOUT` (text format: fields separated by tabs, `\N` for null, backslash escapes;
 * each row's Buffer ends in its newline), read on a pooled connection of its own inside a read-only
 * repeatable-read transaction on `snapshot` (from `pg_export_snapshot()` in the caller's transaction, which must
 * stay open meanwhile), so it sees exactly what the caller's transaction sees.
 */
export async function* copyRowsOut(
  pool: pg.Pool,
  select: string,
  snapshot: string,
  batchRows = 2_000,
): AsyncGenerator<Buffer[]> {
  const client = await pool.connect();
  let complete = false;
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await client.query(`SET TRANSACTION SNAPSHOT '${snapshot.replaceAll("'", "''")}'`);
    const copy = new CopyOutQuery(`COPY (${select}) TO STDOUT`, batchRows, 8);
    client.query(copy as unknown as pg.Submittable);
    yield* copy.batches();
    await client.query('COMMIT');
    complete = true;
  } finally {
    // A COPY left unread (the reader stopped early) or failed: the connection is closed, not reused.
    client.release(complete ? undefined : true);
  }
}
