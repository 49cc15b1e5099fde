import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { copyRowsOut } from './copyOut.js';
import { pgliteDialect } from './pgliteDialect.js';

export type DatabaseKind = 'postgres' | 'pglite';

/** A notification callback; returns a function that stops listening. */
export type Listen = (channel: string, onNotify: (payload: string) => void) => Promise<() => Promise<void>>;

export interface Database {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- every area adds its own tables
  readonly db: Kysely<any>;
  readonly kind: DatabaseKind;
  /** LISTEN on a channel: a dedicated connection on PostgreSQL, PGlite's own listen when embedded. */
  readonly listen: Listen;
  /**
   * PostgreSQL only: the rows of `COPY (select) TO STDOUT`, in batches of whole lines, read on a connection of its own in the
   * snapshot `pg_export_snapshot()` gave in a transaction still open (copyOut.ts). A whole-table read in one
   * statement, without a page's round trip or the driver's row objects.
   */
  readonly copyRowsOut?: (
    select: string,
    snapshot: string,
    settings?: Readonly<Record<string, string>>,
  ) => AsyncIterable<Buffer>;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** postgres://... When given, PostgreSQL through `pg`; otherwise embedded PGlite. */
  readonly databaseUrl?: string;
  /** PGlite data directory; 'memory://' keeps everything in memory. Default: './.data'. */
  readonly dataDir?: string;
  /** PostgreSQL pool size (default 10). */
  readonly poolSize?: number;
  /**
   * Called when a PostgreSQL connection fails outside a statement (terminated, server restarting). The
   * database reconnects by itself; this is for the log. Default: ignored.
   */
  readonly onConnectionError?: (error: unknown) => void;
}

export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<Database> {
  if (options.databaseUrl)
    return openPostgres(options.databaseUrl, options.poolSize ?? 10, options.onConnectionError ?? (() => {}));
  return openPglite(options.dataDir ?? './.data');
}

async function openPostgres(
  databaseUrl: string,
  poolSize: number,
  onConnectionError: (error: unknown) => void,
): Promise<Database> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: poolSize });
  // A connection that dies (pg_terminate_backend, a server restart) must not crash the process. The pool
  // only listens for errors on idle clients; a client checked out between two statements (a transaction,
  // a Kysely query about to start) emits 'error' with no listener, which node turns into an exception.
  // The statement in flight fails with the error; the pool discards the client and the next query reconnects.
  pool.on('error', onConnectionError);
  pool.on('connect', (client) => client.on('error', onConnectionError));
  try {
    await pool.query('SELECT 1');
  } catch (error) {
    await pool.end();
    throw new Error(
      `cannot connect to PostgreSQL at ${redact(databaseUrl)}: ${(error as Error).message}. ` +
        'Check DATABASE_URL, or unset it to use the embedded database.',
    );
  }
  const db = new Kysely({ dialect: new PostgresDialect({ pool }) });
  const listener = new ListenConnection(databaseUrl, onConnectionError);
  return {
    db,
    kind: 'postgres',
    listen: (channel, onNotify) => listener.listen(channel, onNotify),
    copyRowsOut: (select, snapshot, settings) => copyRowsOut(pool, select, snapshot, settings),
    async close() {
      await listener.close();
      await db.destroy();
    },
  };
}

const LISTEN_RETRY_FIRST_MS = 100;
const LISTEN_RETRY_MAX_MS = 5000;

/**
 * The one connection that LISTENs for every channel. When it is lost it reconnects with backoff and
 * LISTENs again, then wakes every listener once: a NOTIFY sent while it was away is gone, so each
 * listener reads what it may have missed (the subscriptions read from their checkpoint on a wake-up).
 */
class ListenConnection {
  private readonly callbacks = new Map<string, Set<(payload: string) => void>>();
  private client: pg.Client | undefined;
  /** Connections that failed, so that one failing while it was being set up is not adopted. */
  private readonly lostClients = new WeakSet<pg.Client>();
  private connecting: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryMs = LISTEN_RETRY_FIRST_MS;
  private closed = false;

  constructor(
    private readonly databaseUrl: string,
    private readonly onConnectionError: (error: unknown) => void,
  ) {}

  /** Resolves once LISTENing, or after a failed attempt (it keeps trying; the caller polls meanwhile). */
  async listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>> {
    let set = this.callbacks.get(channel);
    const fresh = !set;
    if (!set) {
      set = new Set();
      this.callbacks.set(channel, set);
    }
    set.add(onNotify);
    if (!this.client) await this.connect();
    // Also after connect(): one already under way may have LISTENed before this channel was added
    // (LISTEN twice is a no-op).
    const client = this.client;
    if (client && fresh) {
      await client
        .query(`LISTEN ${quoteIdentifier(channel)}`)
        .catch((error: unknown) => this.lost(error, client));
    }
    return async () => {
      set.delete(onNotify);
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    await this.connecting;
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => {});
  }

  private connect(): Promise<void> {
    this.connecting ??= (async () => {
      const client = new pg.Client({ connectionString: this.databaseUrl });
      client.on('error', (error) => this.lost(error, client));
      client.on('end', () => this.lost(undefined, client));
      client.on('notification', (message) => this.notify(message.channel, message.payload ?? ''));
      try {
        await client.connect();
        for (const channel of this.callbacks.keys()) await client.query(`LISTEN ${quoteIdentifier(channel)}`);
      } catch (error) {
        await client.end().catch(() => {});
        this.lost(error, client);
        return;
      }
      if (this.closed || this.lostClients.has(client)) {
        await client.end().catch(() => {});
        return;
      }
      const reconnected = this.retryMs > LISTEN_RETRY_FIRST_MS;
      this.client = client;
      this.retryMs = LISTEN_RETRY_FIRST_MS;
      if (reconnected) for (const channel of this.callbacks.keys()) this.notify(channel, '');
    })().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  /** The connection is gone (or never came): forget it and try again after the backoff. */
  private lost(error: unknown, client: pg.Client | undefined = this.client): void {
    if (error !== undefined) this.onConnectionError(error);
    if (client) this.lostClients.add(client);
    if (client && this.client !== client && this.client !== undefined) return; // an older connection
    if (client === this.client) this.client = undefined;
    if (this.closed || this.retryTimer) return;
    const delay = this.retryMs;
    this.retryMs = Math.min(LISTEN_RETRY_MAX_MS, this.retryMs * 2);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (!this.closed && !this.client) void this.connect();
    }, delay);
    this.retryTimer.unref();
  }

  private notify(channel: string, payload: string): void {
    for (const callback of this.callbacks.get(channel) ?? []) callback(payload);
  }
}

async function openPglite(dataDir: string): Promise<Database> {
  const pglite = await PGlite.create(dataDir);
  const db = new Kysely({ dialect: pgliteDialect(pglite) });
  return {
    db,
    kind: 'pglite',
    async listen(channel, onNotify) {
      const unlisten = await pglite.listen(channel, onNotify);
      return async () => {
        if (!pglite.closed) await unlisten();
      };
    },
    async close() {
      await db.destroy();
      if (!pglite.closed) await pglite.close();
    },
  };
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}
