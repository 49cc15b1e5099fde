import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
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
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** postgres://... When given, PostgreSQL through `pg`; otherwise embedded PGlite. */
  readonly databaseUrl?: string;
  /** PGlite data directory; 'memory://' keeps everything in memory. Default: './.data'. */
  readonly dataDir?: string;
  /** PostgreSQL pool size (default 10). */
  readonly poolSize?: number;
}

export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<Database> {
  if (options.databaseUrl) return openPostgres(options.databaseUrl, options.poolSize ?? 10);
  return openPglite(options.dataDir ?? './.data');
}

async function openPostgres(databaseUrl: string, poolSize: number): Promise<Database> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: poolSize });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => {});
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

  let listener: Promise<pg.Client> | undefined;
  const callbacks = new Map<string, Set<(payload: string) => void>>();
  const listenerClient = () =>
    (listener ??= (async () => {
      const client = new pg.Client({ connectionString: databaseUrl });
      client.on('error', () => {});
      client.on('notification', (message) => {
        for (const callback of callbacks.get(message.channel) ?? []) callback(message.payload ?? '');
      });
      await client.connect();
      return client;
    })());

  const listen: Listen = async (channel, onNotify) => {
    const client = await listenerClient();
    let set = callbacks.get(channel);
    if (!set) {
      set = new Set();
      callbacks.set(channel, set);
      await client.query(`LISTEN ${quoteIdentifier(channel)}`);
    }
    set.add(onNotify);
    return async () => {
      set.delete(onNotify);
    };
  };

  return {
    db,
    kind: 'postgres',
    listen,
    async close() {
      if (listener) await (await listener).end().catch(() => {});
      await db.destroy();
    },
  };
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
