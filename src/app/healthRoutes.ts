import { sql } from 'kysely';
import type express from 'express';
import type { Database } from '../eventstore/index.js';
import type { ProjectionRunner } from '../projections/index.js';

/** Events a projection may be behind the head of the log while the process still reports ready. */
export const READY_MAX_PROJECTION_LAG = 1000;
/** How long /readyz waits for the database before calling it unreachable. */
const READY_DATABASE_TIMEOUT_MS = 2000;

export interface HealthRoutesOptions {
  readonly database: Database;
  readonly projections: ProjectionRunner;
  readonly maxProjectionLag?: number;
}

/**
 * GET /health (and /healthz): the process is up and answering (200, no database involved). GET /readyz: 200 when the
 * database answers and no projection is more than `maxProjectionLag` events behind the head of the log,
 * 503 otherwise; both JSON, neither needs a token (load balancers and orchestrators call them).
 */
export function mountHealthRoutes(app: express.Express, options: HealthRoutesOptions): void {
  const maxLag = options.maxProjectionLag ?? READY_MAX_PROJECTION_LAG;
  app.get(['/health', '/healthz'], (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const reasons: string[] = [];
    let lag: Record<string, number> | undefined;
    try {
      await withTimeout(sql`SELECT 1`.execute(options.database.db), READY_DATABASE_TIMEOUT_MS);
      // One more than the bound is enough to tell "too far behind".
      lag = await withTimeout(options.projections.lag(maxLag + 1), READY_DATABASE_TIMEOUT_MS);
      const behind = Object.entries(lag).filter(([, events]) => events > maxLag);
      for (const [name, events] of behind) reasons.push(`projection ${name} is ${events}+ events behind`);
    } catch (error) {
      reasons.push(`database unreachable: ${(error as Error).message}`);
    }
    const ready = reasons.length === 0;
    res.status(ready ? 200 : 503).json({
      status: ready ? 'ready' : 'unavailable',
      database: reasons.some((reason) => reason.startsWith('database')) ? 'unreachable' : 'ok',
      maxProjectionLag: maxLag,
      ...(lag ? { projectionLag: lag } : {}),
      ...(ready ? {} : { reasons }),
    });
  });
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
