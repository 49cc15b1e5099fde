import type express from 'express';
import type { Kysely } from 'kysely';
import {
  CHECKPOINT_EVENT_TYPE,
  checkpointEventData,
  readCheckpointEvents,
  type LedgerPublicKey,
} from '../../eventstore/index.js';
import { mayPerform } from '../auth/roles.js';
import type { Viewer } from '../auth/viewer.js';
import { toApiError } from '../errors.js';

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

/**
 * GET /ledger/checkpoints[?limit=N]: the ledger's signed checkpoints, newest first, with the public key that
 * signs them, so a user can keep a copy outside the database and check the log against it later
 * (`tuneledger verify --from FILE`). Authenticated like /graphql; any role may read.
 */
export function mountLedgerRoutes(
  app: express.Express,
  db: Kysely<unknown>,
  publicKey: LedgerPublicKey | undefined,
  authenticate: (header?: string) => Promise<Viewer>,
  onInternal: (error: unknown) => void,
): void {
  app.get('/ledger/checkpoints', async (req, res) => {
    try {
      const viewer = await authenticate(req.headers.authorization);
      if (!mayPerform(viewer.roles, 'read')) {
        res.status(403).json({ error: `${viewer.actor} may not read the ledger`, code: 'FORBIDDEN' });
        return;
      }
      const limit = req.query.limit === undefined ? DEFAULT_LIMIT : Number(req.query.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
        res.status(400).json({
          error: `limit must be a whole number from 1 to ${MAX_LIMIT}`,
          code: 'BAD_USER_INPUT',
        });
        return;
      }
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the event store's tables are reached through raw SQL
      const rows = await readCheckpointEvents(db as Kysely<any>, { newestFirst: true, limit });
      const checkpoints = rows.flatMap((row) => {
        const data = row.type === CHECKPOINT_EVENT_TYPE ? checkpointEventData(row.data) : undefined;
        if (!data) return [];
        const { treeSize, rootHash, timestamp, keyId, signature } = data;
        return [{ treeSize, rootHash, timestamp, keyId, signature, streamVersion: row.stream_version }];
      });
      res.json({ publicKey: publicKey?.pem ?? null, keyId: publicKey?.keyId ?? null, checkpoints });
    } catch (error) {
      const mapped = toApiError(error, onInternal);
      const status =
        mapped.code === 'UNAUTHENTICATED' ? 401 : mapped.code === 'INTERNAL_SERVER_ERROR' ? 500 : 400;
      res.status(status).json({ error: mapped.message, code: mapped.code });
    }
  });
}
