import { sql } from 'kysely';
import type { ReadModelTransaction } from './projection.js';
import type { ReadModelDatabase } from './schema.js';

type Row = Record<string, unknown>;
const ROWS_PER_STATEMENT = 1000;

/**
 * A batch's working copy of rows of one table, keyed by its primary key column: load the rows the
 * batch touches in one SELECT, change them in memory event by event, write the changed ones back
 * in one multi-row upsert. Same result as one statement per event, a few round trips per batch.
 * Timestamps are kept as ISO strings and jsonb columns as values while in memory.
 */
export class RowBatch {
  private readonly rows = new Map<string, Row>();
  private readonly dirty = new Set<string>();

  /**
   * `lockRows`: for a table that writers other than its projection also update (the job queue's
   * claims, heartbeats and releases): rows are loaded FOR UPDATE, so such a write waits for this
   * batch to commit, or this batch reads it, and the batch never writes back a row as it was
   * before someone else changed it.
   */
  constructor(
    private readonly table: keyof ReadModelDatabase,
    private readonly key: string,
    private readonly jsonColumns: readonly string[],
    private readonly options: { readonly lockRows?: boolean } = {},
  ) {}

  private get forUpdate() {
    return this.options.lockRows ? sql` FOR UPDATE` : sql``;
  }

  /** Loads the rows with these keys (those not loaded yet). */
  async load(trx: ReadModelTransaction, keys: Iterable<string>): Promise<void> {
    const missing = [...new Set(keys)].filter((key) => !this.rows.has(key));
    for (let i = 0; i < missing.length; i += ROWS_PER_STATEMENT) {
      const { rows } =
        await sql<Row>`SELECT * FROM ${sql.table(this.table)} WHERE ${sql.ref(this.key)} IN (${sql.join(
          missing.slice(i, i + ROWS_PER_STATEMENT),
        )})${this.forUpdate}`.execute(trx);
      for (const row of rows) this.rows.set(String(row[this.key]), normalise(row));
    }
  }

  /** Loads the rows a condition selects (e.g. all jobs of some streams). */
  async loadWhere(trx: ReadModelTransaction, column: string, values: readonly string[]): Promise<void> {
    if (values.length === 0) return;
    const { rows } =
      await sql<Row>`SELECT * FROM ${sql.table(this.table)} WHERE ${sql.ref(column)} IN (${sql.join(
        values,
      )})${this.forUpdate}`.execute(trx);
    for (const row of rows) {
      const key = String(row[this.key]);
      if (!this.rows.has(key)) this.rows.set(key, normalise(row));
    }
  }

  get(key: string): Row | undefined {
    return this.rows.get(key);
  }

  values(): IterableIterator<Row> {
    return this.rows.values();
  }

  insert(row: Row): void {
    const key = String(row[this.key]);
    this.rows.set(key, { ...row });
    this.dirty.add(key);
  }

  /** Assigns columns of an existing row; a row that does not exist is left alone (as an UPDATE would). */
  update(key: string, change: Row | ((row: Row) => Row)): void {
    const row = this.rows.get(key);
    if (!row) return;
    Object.assign(row, typeof change === 'function' ? change(row) : change);
    this.dirty.add(key);
  }

  async flush(trx: ReadModelTransaction): Promise<void> {
    const changed = [...this.dirty].map((key) => this.rows.get(key)!);
    if (changed.length === 0) return;
    // Rows this batch inserted may omit nullable columns; they are written as NULL.
    const columns = [...new Set(changed.flatMap((row) => Object.keys(row)))];
    for (let i = 0; i < changed.length; i += ROWS_PER_STATEMENT) {
      const slice = changed.slice(i, i + ROWS_PER_STATEMENT);
      const values = sql.join(
        slice.map(
          (row) =>
            sql`(${sql.join(
              columns.map((column) =>
                this.jsonColumns.includes(column)
                  ? sql`${toJson(row[column])}::jsonb`
                  : sql`${row[column] ?? null}`,
              ),
            )})`,
        ),
      );
      const updates = sql.join(
        columns.filter((c) => c !== this.key).map((c) => sql`${sql.ref(c)} = excluded.${sql.ref(c)}`),
      );
      await sql`INSERT INTO ${sql.table(this.table)} (${sql.join(columns.map((c) => sql.ref(c)))})
        VALUES ${values}
        ON CONFLICT (${sql.ref(this.key)}) DO UPDATE SET ${updates}`.execute(trx);
    }
    this.dirty.clear();
  }
}

function toJson(value: unknown): string | null {
  return value === undefined || value === null ? null : JSON.stringify(value);
}

function normalise(row: Row): Row {
  const out: Row = {};
  for (const [column, value] of Object.entries(row))
    out[column] = value instanceof Date ? value.toISOString() : value;
  return out;
}
