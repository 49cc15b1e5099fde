import type { Kysely } from 'kysely';
import { canonicalJsonOfParsed } from '../canonicalJson.js';
import { StreamChainCursor, eventHashOfCanonicalData } from '../hashChain.js';
import {
  EMPTY_ROOT,
  MerkleFrontier,
  consistencyProofRanges,
  leafHash,
  verifyConsistency,
  type LeafRange,
} from '../merkle.js';
import type { Database } from '../postgres/database.js';
import type { LedgerPublicKey } from './ledgerKey.js';
import {
  globalPositionOf,
  readChainPage,
  readCheckpointEvents,
  readLogPage,
  readStreamRows,
  readStreamsWithoutEvents,
  type ChainRow,
  type LogRow,
  type StreamRow,
} from './ledgerLog.js';
import { CHECKPOINT_EVENT_TYPE, LEDGER_STREAM, checkpointEventData } from './ledgerStream.js';
import { checkpointSignatureProblem, type SignedCheckpoint } from './signedCheckpoint.js';

export type LedgerProblemKind =
  /** An event's hash does not match its content. */
  | 'altered'
  /** A stream's version is missing, or an event's previousHash is not its predecessor's hash. */
  | 'unlinked'
  /** A stream's versions are not in the log's global order. */
  | 'out-of-order'
  /** The `streams` table disagrees with the stream's last event (a deleted tail, an event added behind it). */
  | 'stream-head'
  /** The log's first N events do not hash to the root a checkpoint signed. */
  | 'root-mismatch'
  /** A checkpoint covers more events than the log holds. */
  | 'truncated'
  /** A checkpoint is not signed by the ledger key, or cannot be read. */
  | 'checkpoint'
  /** The consistency proof from the kept checkpoint to the latest recorded one fails. */
  | 'inconsistent';

export interface LedgerProblem {
  readonly kind: LedgerProblemKind;
  readonly reason: string;
  readonly streamId?: string;
  readonly streamVersion?: number;
  readonly eventId?: string;
  /** The event's global position (the events table's bigserial), as text. */
  readonly globalPosition?: string;
  /** Its index among the tree's leaves (0-based, in global order). */
  readonly leafIndex?: number;
}

export interface VerifyLedgerOptions {
  /** The key checkpoints must be signed with; without it signatures are not checked (said in the verdict). */
  readonly publicKey?: LedgerPublicKey;
  /** A checkpoint the user kept outside the database: the log must still hold it and extend it. */
  readonly kept?: SignedCheckpoint;
  /** Events read per round trip. Default 5,000. */
  readonly batchSize?: number;
  /** Problems listed in the verdict (all are counted). Default 100. */
  readonly maxProblems?: number;
}

export interface LedgerVerdict {
  readonly ok: boolean;
  /** Events in the tree (global order, below every running transaction when the check began). */
  readonly eventsChecked: number;
  readonly streamsChecked: number;
  readonly treeSize: number;
  readonly rootHash: string;
  readonly checkpointsChecked: number;
  readonly signaturesChecked: boolean;
  /** The problems found, first in log order first: `problems[0]` names the first bad event. */
  readonly problems: readonly LedgerProblem[];
  readonly problemCount: number;
}

interface RecordedHead {
  readonly checkpoint: SignedCheckpoint;
  readonly what: string;
}

interface EventPlace {
  readonly streamId: string;
  readonly streamVersion: number;
  readonly eventId: string;
  readonly checkpoint: string;
  readonly leafIndex: number;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the event store's tables are reached through raw SQL
type Db = Kysely<any>;

/**
 * Checks the whole log: each event's hash against its content, each stream's chain (versions, previousHash
 * links, global order) and its head in the `streams` table, every recorded checkpoint's signature and root
 * against the Merkle tree recomputed from the rows, and a kept checkpoint through a consistency proof to the
 * latest recorded one. Reads in one repeatable-read snapshot (read-only: it holds back no reader), a page at
 * a time.
 */
export async function verifyLedger(
  database: Database,
  options: VerifyLedgerOptions = {},
): Promise<LedgerVerdict> {
  return database.db
    .transaction()
    .setIsolationLevel('repeatable read')
    .setAccessMode('read only')
    .execute((trx) => new LedgerCheck(trx, options).run());
}

const PROBLEMS_KEPT = 1000;

class LedgerCheck {
  private readonly batchSize: number;
  private readonly found: { key: string; problem: LedgerProblem }[] = [];
  private problemCount = 0;

  constructor(
    private readonly db: Db,
    private readonly options: VerifyLedgerOptions,
  ) {
    this.batchSize = options.batchSize ?? 5000;
  }

  async run(): Promise<LedgerVerdict> {
    const { targets, latest, checkpointsChecked } = await this.recordedCheckpoints();
    const kept = this.options.kept;
    if (kept) {
      if (this.options.publicKey) {
        const wrong = checkpointSignatureProblem(kept, this.options.publicKey);
        if (wrong) this.report('', { kind: 'checkpoint', reason: `the kept checkpoint is ${wrong}` });
      }
      addTarget(targets, { checkpoint: kept, what: `the kept checkpoint (tree size ${kept.treeSize})` });
    }
    const proofRanges =
      kept && latest && latest.treeSize >= kept.treeSize
        ? consistencyProofRanges(kept.treeSize, latest.treeSize)
        : [];
    if (kept && (!latest || latest.treeSize < kept.treeSize)) {
      this.report('', {
        kind: 'truncated',
        reason:
          `the log's recorded checkpoints end at tree size ${latest?.treeSize ?? 0}, before the kept checkpoint's ` +
          `${kept.treeSize}: checkpoints (and perhaps events) were removed`,
      });
    }
    const tree = await this.walkGlobalOrder(targets, proofRanges);
    if (kept && latest && latest.treeSize >= kept.treeSize && latest.treeSize <= tree.size) {
      const proof = tree.proof();
      if (
        !verifyConsistency(
          kept.treeSize,
          latest.treeSize,
          Buffer.from(kept.rootHash, 'hex'),
          Buffer.from(latest.rootHash, 'hex'),
          proof,
        )
      ) {
        this.report('', {
          kind: 'inconsistent',
          reason:
            `the consistency proof from the kept checkpoint (tree size ${kept.treeSize}) to the latest recorded ` +
            `one (tree size ${latest.treeSize}) fails: the log is not an extension of the one you kept`,
        });
      }
    }
    const streamsChecked = await this.walkStreams();
    this.found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return {
      ok: this.problemCount === 0,
      eventsChecked: tree.size,
      streamsChecked,
      treeSize: tree.size,
      rootHash: tree.root,
      checkpointsChecked,
      signaturesChecked: this.options.publicKey !== undefined,
      problems: this.found.slice(0, this.options.maxProblems ?? 100).map(({ problem }) => problem),
      problemCount: this.problemCount,
    };
  }

  /** `key` orders problems like the log (a store checkpoint); '' puts one first. */
  private report(key: string, problem: LedgerProblem): void {
    this.problemCount += 1;
    if (this.found.length < PROBLEMS_KEPT) this.found.push({ key, problem });
  }

  private async recordedCheckpoints(): Promise<{
    targets: Map<number, RecordedHead[]>;
    latest?: SignedCheckpoint;
    checkpointsChecked: number;
  }> {
    const targets = new Map<number, RecordedHead[]>();
    let latest: SignedCheckpoint | undefined;
    let checkpointsChecked = 0;
    // A page at a time: only each checkpoint's signed fields are kept, not its subtrees.
    let afterVersion = 0;
    for (;;) {
      const rows = await readCheckpointEvents(this.db, { afterVersion, limit: this.batchSize });
      if (rows.length === 0) break;
      afterVersion = rows[rows.length - 1]!.stream_version;
      for (const row of rows) {
        const place = {
          streamId: LEDGER_STREAM,
          streamVersion: row.stream_version,
          eventId: row.event_id,
          globalPosition: globalPositionOf(row.checkpoint),
        };
        const data = row.type === CHECKPOINT_EVENT_TYPE ? checkpointEventData(row.data) : undefined;
        if (!data) {
          this.report(row.checkpoint, {
            kind: 'checkpoint',
            ...place,
            reason: `${row.type} is not a ledger checkpoint`,
          });
          continue;
        }
        checkpointsChecked += 1;
        const checkpoint: SignedCheckpoint = {
          treeSize: data.treeSize,
          rootHash: data.rootHash,
          timestamp: data.timestamp,
          keyId: data.keyId,
          signature: data.signature,
        };
        if (this.options.publicKey) {
          const wrong = checkpointSignatureProblem(checkpoint, this.options.publicKey);
          if (wrong) {
            this.report(row.checkpoint, {
              kind: 'checkpoint',
              ...place,
              reason: `the checkpoint is ${wrong}`,
            });
            continue;
          }
        }
        addTarget(targets, {
          checkpoint,
          what: `the checkpoint at ${LEDGER_STREAM} version ${row.stream_version}`,
        });
        if (!latest || checkpoint.treeSize >= latest.treeSize) latest = checkpoint;
      }
    }
    return { targets, latest, checkpointsChecked };
  }

  /** Pass 1, global order: every event's content hash, the tree, and each checkpoint's root at its size. */
  private async walkGlobalOrder(
    targets: Map<number, RecordedHead[]>,
    proofRanges: readonly LeafRange[],
  ): Promise<{ size: number; root: string; proof(): Buffer[] }> {
    const frontier = new MerkleFrontier();
    const ranges = proofRanges.map((range) => ({ range, frontier: new MerkleFrontier() }));
    const byStart = [...ranges].sort((a, b) => a.range.start - b.range.start);
    let nextRange = 0;
    let matched = 0;
    let firstUnmatched: EventPlace | undefined;
    let diverged = false;
    const checkRoots = (size: number) => {
      const heads = targets.get(size);
      if (!heads) return;
      const root = frontier.root().toString('hex');
      for (const head of heads) {
        if (head.checkpoint.rootHash === root) {
          matched = Math.max(matched, size);
          continue;
        }
        if (diverged) {
          this.problemCount += 1;
          continue;
        }
        diverged = true;
        const first = firstUnmatched;
        this.report(first?.checkpoint ?? '', {
          kind: 'root-mismatch',
          ...(first ? placeOf(first) : {}),
          reason:
            `the first ${size} events do not hash to the root signed by ${head.what}: an event among leaves ` +
            `${matched}..${size - 1} was changed, re-chained, removed, inserted or reordered` +
            (first ? ` (the first of them is ${first.streamId} version ${first.streamVersion})` : ''),
        });
      }
    };
    checkRoots(0);
    let from = '';
    let page = readLogPage(this.db, from, this.batchSize);
    let leafIndex = 0;
    for (;;) {
      const rows = await page;
      if (rows.length === 0) break;
      from = rows[rows.length - 1]!.checkpoint;
      // Fetch the next page while this one is hashed.
      page = readLogPage(this.db, from, this.batchSize);
      for (const row of rows) {
        const place: EventPlace = {
          streamId: row.stream_id,
          streamVersion: row.stream_version,
          eventId: row.event_id,
          checkpoint: row.checkpoint,
          leafIndex,
        };
        const altered = contentProblem(row);
        if (altered) this.report(row.checkpoint, { kind: 'altered', ...placeOf(place), reason: altered });
        if (leafIndex === matched) firstUnmatched = place;
        const leaf = leafHash(Buffer.from(row.hash, 'hex'));
        frontier.push(leaf);
        while (nextRange < byStart.length && byStart[nextRange]!.range.end <= leafIndex) nextRange += 1;
        const range = byStart[nextRange];
        if (range && range.range.start <= leafIndex) range.frontier.push(leaf);
        leafIndex += 1;
        checkRoots(leafIndex);
      }
    }
    const size = leafIndex;
    for (const [treeSize, heads] of [...targets].sort(([a], [b]) => a - b)) {
      if (treeSize <= size) continue;
      for (const head of heads) {
        this.report(`~${String(treeSize).padStart(20, '0')}`, {
          kind: 'truncated',
          leafIndex: size,
          reason:
            `${head.what} covers ${treeSize} events but the log holds ${size}: events from leaf ${size} on ` +
            'were removed (the log was truncated)',
        });
      }
    }
    return {
      size,
      root: (size === 0 ? EMPTY_ROOT : frontier.root()).toString('hex'),
      proof: () => ranges.map((entry) => entry.frontier.root()),
    };
  }

  /** Pass 2, stream order: versions, previousHash links, global order and the `streams` table, stream by stream. */
  private async walkStreams(): Promise<number> {
    let streamsChecked = 0;
    let current:
      | { streamId: string; cursor: StreamChainCursor; last?: ChainRow; head?: StreamRow; broken: boolean }
      | undefined;
    const finish = () => {
      if (!current || current.broken) return;
      const { streamId, cursor, head, last } = current;
      const key = `${last!.checkpoint}+`;
      if (!head) {
        this.report(key, {
          kind: 'stream-head',
          streamId,
          streamVersion: cursor.version,
          reason: `${streamId} has events up to version ${cursor.version} but no row in the streams table`,
        });
      } else if (head.version > cursor.version) {
        this.report(key, {
          kind: 'stream-head',
          streamId,
          streamVersion: cursor.version + 1,
          reason:
            `the streams table records ${streamId} at version ${head.version} but the log ends at version ` +
            `${cursor.version}: version ${cursor.version + 1}${head.version > cursor.version + 1 ? ` to ${head.version}` : ''} was deleted`,
        });
      } else if (head.version < cursor.version) {
        this.report(key, {
          kind: 'stream-head',
          streamId,
          streamVersion: head.version + 1,
          reason:
            `the log holds ${streamId} up to version ${cursor.version} but the streams table records version ` +
            `${head.version}: events were added behind the event store's back`,
        });
      } else if (head.last_hash !== cursor.hash) {
        this.report(key, {
          kind: 'stream-head',
          streamId,
          streamVersion: cursor.version,
          reason: `the hash of ${streamId} version ${cursor.version} is not the last hash the streams table records`,
        });
      }
    };
    let after = { streamId: '', version: 0 };
    let carried = new Map<string, StreamRow>();
    for (;;) {
      const rows = await readChainPage(this.db, after, this.batchSize);
      if (rows.length === 0) break;
      const ids = [...new Set(rows.map((row) => row.stream_id))].filter((id) => !carried.has(id));
      const heads = new Map([...carried, ...(await readStreamRows(this.db, ids))]);
      for (const row of rows) {
        if (!current || row.stream_id !== current.streamId) {
          finish();
          streamsChecked += 1;
          current = {
            streamId: row.stream_id,
            cursor: new StreamChainCursor(),
            head: heads.get(row.stream_id),
            broken: false,
          };
        }
        if (current.broken) continue;
        const place = {
          streamId: row.stream_id,
          streamVersion: row.stream_version,
          eventId: row.event_id,
          globalPosition: globalPositionOf(row.checkpoint),
        };
        const expectedVersion = current.cursor.version + 1;
        const unlinked = current.cursor.follow({
          streamVersion: row.stream_version,
          previousHash: row.previous_hash,
          hash: row.hash,
        });
        if (unlinked) {
          current.broken = true;
          const missing = row.stream_version > expectedVersion;
          this.report(row.checkpoint, {
            kind: 'unlinked',
            ...place,
            ...(missing
              ? { streamVersion: expectedVersion, eventId: undefined, globalPosition: undefined }
              : {}),
            reason: missing
              ? `${row.stream_id} version ${expectedVersion} is missing: the next event recorded is version ${row.stream_version} (a deleted event)`
              : `${row.stream_id} version ${row.stream_version}: ${unlinked}`,
          });
          continue;
        }
        if (current.last && row.checkpoint <= current.last.checkpoint) {
          current.broken = true;
          this.report(row.checkpoint, {
            kind: 'out-of-order',
            ...place,
            reason:
              `${row.stream_id} version ${row.stream_version} comes before version ${current.last.stream_version} ` +
              `in the log's global order (position ${place.globalPosition} < ${globalPositionOf(current.last.checkpoint)}): events were reordered`,
          });
          continue;
        }
        current.last = row;
      }
      const last = rows[rows.length - 1]!;
      after = { streamId: last.stream_id, version: last.stream_version };
      carried = new Map(current?.head ? [[current.streamId, current.head]] : []);
    }
    finish();
    for (const head of await readStreamsWithoutEvents(this.db, 100)) {
      this.report('~', {
        kind: 'stream-head',
        streamId: head.stream_id,
        streamVersion: 1,
        reason: `the streams table records ${head.stream_id} at version ${head.version} but the log holds none of its events`,
      });
    }
    return streamsChecked;
  }
}

function addTarget(targets: Map<number, RecordedHead[]>, head: RecordedHead): void {
  const list = targets.get(head.checkpoint.treeSize);
  if (list) list.push(head);
  else targets.set(head.checkpoint.treeSize, [head]);
}

function placeOf(place: EventPlace): Partial<LedgerProblem> {
  return {
    streamId: place.streamId,
    streamVersion: place.streamVersion,
    eventId: place.eventId,
    globalPosition: globalPositionOf(place.checkpoint),
    leafIndex: place.leafIndex,
  };
}

/** Why the row's hash is not its content's, or undefined when it is. */
function contentProblem(row: LogRow): string | undefined {
  let recomputed: string;
  try {
    recomputed = eventHashOfCanonicalData(
      {
        eventId: row.event_id,
        streamId: row.stream_id,
        streamVersion: row.stream_version,
        type: row.type,
        schemaVersion: row.schema_version,
        data: row.data,
        actor: row.actor,
        correlationId: row.correlation_id,
        causationId: row.causation_id,
        recordedAt: row.recorded_at,
        previousHash: row.previous_hash,
      },
      canonicalJsonOfParsed(row.data),
    );
  } catch (error) {
    return `${row.stream_id} version ${row.stream_version}: its content cannot be hashed: ${(error as Error).message}`;
  }
  return recomputed === row.hash
    ? undefined
    : `${row.stream_id} version ${row.stream_version}: its hash does not match its content (the event was altered)`;
}
