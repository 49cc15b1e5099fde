import { WrongExpectedVersionError } from '../errors.js';
import type { EventStore, RecordedEvent } from '../eventStore.js';
import { MerkleFrontier, leafHashOfHex } from '../merkle.js';
import type { Database } from '../postgres/database.js';
import type { LedgerSigningKey } from './ledgerKey.js';
import { readCheckpointEvents, readHead, readLeaves } from './ledgerLog.js';
import {
  CHECKPOINT_EVENT_TYPE,
  LEDGER_STREAM,
  checkpointEventData,
  type CheckpointEventData,
} from './ledgerStream.js';
import { checkpointSignatureProblem, signCheckpoint, type SignedCheckpoint } from './signedCheckpoint.js';

export interface RecordCheckpointOptions {
  /** Leaves read per round trip. Default 10,000. */
  readonly batchSize?: number;
  /** Record nothing when the only events since the last checkpoint are checkpoints (a periodic run). */
  readonly skipWhenIdle?: boolean;
  readonly now?: () => Date;
}

export interface RecordedCheckpoint {
  readonly checkpoint: SignedCheckpoint;
  /** The checkpoint event, or undefined when nothing was recorded (skipWhenIdle and no new events). */
  readonly event?: RecordedEvent;
}

const MAX_ATTEMPTS = 5;

/**
 * Signs the Merkle root of the log as global readers see it now and records it as an event on the ledger
 * stream. The event covers the events before it, never itself. It continues from the previous checkpoint's
 * subtrees when that one was signed by the same key and its subtrees fold to its root; otherwise it hashes
 * the whole log. Two processes checkpointing at once: the later append is refused and it starts over.
 */
export async function recordLedgerCheckpoint(
  database: Database,
  store: EventStore,
  key: LedgerSigningKey,
  options: RecordCheckpointOptions = {},
): Promise<RecordedCheckpoint> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await recordOnce(database, store, key, options);
    } catch (error) {
      if (!(error instanceof WrongExpectedVersionError) || attempt >= MAX_ATTEMPTS) throw error;
    }
  }
}

async function recordOnce(
  database: Database,
  store: EventStore,
  key: LedgerSigningKey,
  options: RecordCheckpointOptions,
): Promise<RecordedCheckpoint> {
  const batchSize = options.batchSize ?? 10_000;
  const [latestRow] = await readCheckpointEvents(database.db, { newestFirst: true, limit: 1 });
  const latest = latestRow ? checkpointEventData(latestRow.data) : undefined;
  const resumable =
    latest && !checkpointSignatureProblem(latest, key.publicKey) ? resumeFrom(latest) : undefined;
  const frontier = resumable ?? new MerkleFrontier();
  let from = resumable ? latest!.lastEvent : '';
  const head = await readHead(database.db);
  let onlyCheckpoints = true;
  while (from < head) {
    const leaves = await readLeaves(database.db, from, batchSize);
    if (leaves.length === 0) break;
    for (const leaf of leaves) {
      if (leaf.checkpoint > head) break;
      frontier.push(leafHashOfHex(leaf.hash));
      if (leaf.stream_id !== LEDGER_STREAM) onlyCheckpoints = false;
      from = leaf.checkpoint;
    }
  }
  const rootHash = frontier.root().toString('hex');
  if (options.skipWhenIdle && latest && onlyCheckpoints && resumable) {
    const { treeSize, rootHash: signedRoot, timestamp, keyId, signature } = latest;
    return { checkpoint: { treeSize, rootHash: signedRoot, timestamp, keyId, signature } };
  }
  const checkpoint = signCheckpoint(key, {
    treeSize: frontier.size,
    rootHash,
    timestamp: (options.now?.() ?? new Date()).toISOString(),
  });
  const data: CheckpointEventData = {
    ...checkpoint,
    lastEvent: from,
    subtrees: frontier.subtrees().map((hash) => hash.toString('hex')),
  };
  const result = await store.append(
    LEDGER_STREAM,
    [{ type: CHECKPOINT_EVENT_TYPE, data }],
    latestRow ? latestRow.stream_version : 'no_stream',
    { actor: 'ledger' },
  );
  return { checkpoint, event: result.events[0] };
}

/** The previous checkpoint's tree (its signature was checked), when its subtrees really fold to its root. */
function resumeFrom(latest: CheckpointEventData): MerkleFrontier | undefined {
  try {
    const frontier = MerkleFrontier.resume(
      latest.treeSize,
      latest.subtrees.map((hash) => Buffer.from(hash, 'hex')),
    );
    return frontier.root().toString('hex') === latest.rootHash ? frontier : undefined;
  } catch {
    return undefined;
  }
}
