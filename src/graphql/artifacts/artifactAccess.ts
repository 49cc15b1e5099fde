import { sql, type Kysely } from 'kysely';
import { mayPerform, rolesAllowing } from '../auth/roles.js';
import type { Viewer } from '../auth/viewer.js';

/** Why a caller may not touch an artifact, in words that say what to do; null when it may. */
export type AccessRefusal = string | null;

/**
 * Who may read and write artifacts over HTTP:
 * - read (GET): any role that may read, for an artifact a recorded event cites (a dataset revision,
 *   checkpoint, adapter, model version or evaluation output: what an audit report can name). Admins read
 *   anything. A worker reads only while it holds a job: what its job needs is cited by the job's inputs.
 * - write (PUT): engineers and admins (base models, datasets), and a worker while it holds a live job (its
 *   checkpoints and outputs).
 * A citation never goes away (the log is append-only), so cited hashes are remembered in memory.
 */
export class ArtifactAccess {
  private readonly cited = new Set<string>();

  constructor(private readonly db: Kysely<unknown>) {}

  async mayRead(viewer: Viewer, hash: string): Promise<AccessRefusal> {
    if (viewer.roles.includes('admin')) return null;
    if (!mayPerform(viewer.roles, 'read')) {
      return `${viewer.actor} may not read artifacts; this needs one of the roles ${rolesAllowing('read').join(', ')}`;
    }
    const onlyWorker = viewer.roles.every((role) => role === 'worker');
    if (onlyWorker && !(await this.holdsLiveJob(viewer.actor))) {
      return `${viewer.actor} holds no job: a worker may download artifacts only while it holds a live lease (claim a job first)`;
    }
    if (!(await this.isCited(hash))) {
      return `artifact ${hash} is not cited by any recorded event, so ${viewer.actor} may not read it (only an admin may read uncited artifacts)`;
    }
    return null;
  }

  async mayWrite(viewer: Viewer): Promise<AccessRefusal> {
    if (mayPerform(viewer.roles, 'data')) return null;
    if (mayPerform(viewer.roles, 'work')) {
      if (await this.holdsLiveJob(viewer.actor)) return null;
      return `${viewer.actor} holds no job: a worker may upload artifacts only while it holds a live lease (claim a job first)`;
    }
    return `${viewer.actor} (roles: ${viewer.roles.join(', ') || 'none'}) may not upload artifacts; this needs an engineer or admin token, or a worker token holding a job`;
  }

  private async holdsLiveJob(actor: string): Promise<boolean> {
    const { rows } = await sql<{ held: number }>`
      SELECT 1 AS held FROM jobs
      WHERE claimed_by = ${actor} AND status = 'running' AND (lease_until IS NULL OR lease_until > now())
      LIMIT 1`.execute(this.db);
    return rows.length > 0;
  }

  private async isCited(hash: string): Promise<boolean> {
    if (this.cited.has(hash)) return true;
    // The hash is 64 hex digits (checked by the route), so it is safe inside LIKE.
    const { rows } = await sql<{ cited: number }>`
      SELECT 1 AS cited FROM events WHERE data::text LIKE ${`%${hash}%`} LIMIT 1`.execute(this.db);
    if (rows.length === 0) return false;
    this.cited.add(hash);
    return true;
  }
}
