import type { Logger } from 'pino';
import {
  recordLedgerCheckpoint,
  type Database,
  type EventStore,
  type LedgerSigningKey,
} from '../eventstore/index.js';

/**
 * Records a signed ledger checkpoint every `intervalSeconds` while the server runs (none while only checkpoints
 * were appended since the last one). One at a time; `stop()` waits for the one under way.
 */
export function startLedgerCheckpointer(options: {
  database: Database;
  store: EventStore;
  key: LedgerSigningKey;
  intervalSeconds: number;
  logger: Logger;
}): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  const tick = () => {
    if (running) return;
    running = recordLedgerCheckpoint(options.database, options.store, options.key, { skipWhenIdle: true })
      .then(({ checkpoint, event }) => {
        if (event)
          options.logger.info(
            { treeSize: checkpoint.treeSize, rootHash: checkpoint.rootHash },
            'ledger checkpoint signed',
          );
      })
      .catch((error: unknown) =>
        options.logger.error({ err: error }, 'ledger checkpoint failed; retrying at the next interval'),
      )
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(tick, options.intervalSeconds * 1000);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
