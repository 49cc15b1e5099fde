import type { Kysely } from 'kysely';
import {
  EMPTY_ROOT,
  MerkleFrontier,
  consistencyProofRanges,
  verifyConsistency,
  type LeafRange,
} from '../merkle.js';
import { formatCheckpoint } from '../postgres/checkpoint.js';
import type { Database } from '../postgres/database.js';
import type { LedgerPublicKey } from './ledgerKey.js';
import {
  globalPositionOf,
  readCheckpointEvents,
  readStreamsPage,
  readUnorderedTail,
  type StreamRow,
} from './ledgerLog.js';
import { checkedEventOfRow, checkedEventsInGlobalOrder, type CheckedEvent } from './checkedEvents.js';
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
  /** Events read per round trip. Default 20,000. */
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

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the event store's tables are reached through raw SQL
type Db = Kysely<any>;

/**
 * Checks the whole log: each event's hash against its content, each stream's chain (versions, previousHash
 * links, global order) and its head in the `streams` table, every recorded checkpoint's signature and root
 * against the Merkle tree recomputed from the rows, and a kept checkpoint through a consistency proof to the
 * latest recorded one. Reads in one repeatable-read snapshot (read-only: it holds back no reader): the log once,
 * in global order, a page at a time (the next page is fetched while one is hashed), then the `streams` table
 * once. It keeps one small entry per stream (its version, last hash and last event) for the chains.
 */
export async function verifyLedger(
  database: Database,
  options: VerifyLedgerOptions = {},
): Promise<LedgerVerdict> {
  return database.db
    .transaction()
    .setIsolationLevel('repeatable read')
    .setAccessMode('read only')
    .execute((trx) => new LedgerCheck(database, trx, options).run());
}

const PROBLEMS_KEPT = 1000;

class LedgerCheck {
  private readonly batchSize: number;
  private readonly found: { key: string; problem: LedgerProblem }[] = [];
  private readonly chains = new Map<string, StreamChain>();
  private readonly gaps: StreamChain[] = [];
  private problemCount = 0;

  constructor(
    private readonly database: Database,
    private readonly db: Db,
    private readonly options: VerifyLedgerOptions,
  ) {
    this.batchSize = options.batchSize ?? 20_000;
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
    this.reportMissingVersions();
    const streamsChecked = await this.compareStreamsTable();
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

  /**
   * One pass in global order: every event's content hash, the tree and each checkpoint's root at its size,
   * and each stream's chain (versions, previousHash links, global order), kept per stream in memory.
   */
  private async walkGlobalOrder(
    targets: Map<number, RecordedHead[]>,
    proofRanges: readonly LeafRange[],
  ): Promise<{ size: number; root: string; proof(): Buffer[] }> {
    const frontier = new MerkleFrontier();
    const ranges = proofRanges.map((range) => ({ range, frontier: new MerkleFrontier() }));
    const byStart = [...ranges].sort((a, b) => a.range.start - b.range.start);
    const targetSizes = [...targets.keys()].sort((a, b) => a - b);
    let nextTarget = 0;
    let nextRange = 0;
    let matched = 0;
    let firstUnmatched: { row: CheckedEvent; leafIndex: number } | undefined;
    let diverged = false;
    const checkRoots = (size: number) => {
      const heads = targets.get(size)!;
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
        this.report(first ? keyOf(first.row) : '', {
          kind: 'root-mismatch',
          ...(first ? placeOfRow(first.row, first.leafIndex) : {}),
          reason:
            `the first ${size} events do not hash to the root signed by ${head.what}: an event among leaves ` +
            `${matched}..${size - 1} was changed, re-chained, removed, inserted or reordered` +
            (first
              ? ` (the first of them is ${first.row.stream_id} version ${first.row.stream_version})`
              : ''),
        });
      }
    };
    const passTargets = (size: number) => {
      while (nextTarget < targetSizes.length && targetSizes[nextTarget]! <= size) {
        if (targetSizes[nextTarget] === size) checkRoots(size);
        nextTarget += 1;
      }
    };
    passTargets(0);
    let leafIndex = 0;
    for await (const rows of checkedEventsInGlobalOrder(this.database, this.db, this.batchSize)) {
      for (const row of rows) {
        if (row.altered)
          this.report(keyOf(row), { kind: 'altered', ...placeOfRow(row, leafIndex), reason: row.altered });
        if (leafIndex === matched) firstUnmatched = { row, leafIndex };
        const leaf = row.leaf;
        frontier.push(leaf);
        while (nextRange < byStart.length && byStart[nextRange]!.range.end <= leafIndex) nextRange += 1;
        const range = byStart[nextRange];
        if (range && range.range.start <= leafIndex) range.frontier.push(leaf);
        this.follow(row, leafIndex);
        leafIndex += 1;
        if (nextTarget < targetSizes.length && targetSizes[nextTarget] === leafIndex) passTargets(leafIndex);
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

  /** The event's place in its stream's chain, given the stream's events before it in global order. */
  private follow(row: CheckedEvent, leafIndex: number | undefined): void {
    let chain = this.chains.get(row.stream_id);
    if (!chain) {
      chain = new StreamChain();
      this.chains.set(row.stream_id, chain);
    }
    if (chain.broken) {
      const early = chain.early;
      if (early && row.stream_version < early.row.stream_version) {
        chain.early = undefined;
        this.report(keyOf(early.row), {
          kind: 'out-of-order',
          ...placeOfRow(early.row, early.leafIndex),
          reason:
            `${row.stream_id} version ${early.row.stream_version} comes before version ${row.stream_version} in the ` +
            `log's global order (position ${early.row.global_position} < ${row.global_position}): events were reordered`,
        });
      }
      return;
    }
    const expectedVersion = chain.version + 1;
    if (row.stream_version === expectedVersion && row.previous_hash === chain.hash) {
      chain.version = expectedVersion;
      chain.hash = row.hash;
      chain.last = row;
      return;
    }
    chain.broken = true;
    if (row.stream_version > expectedVersion) {
      // A deleted version, or one moved later in the log: which, the rest of the log tells (`finishChains`).
      chain.early = { row, leafIndex };
      this.gaps.push(chain);
      return;
    }
    this.report(keyOf(row), {
      kind: row.stream_version < expectedVersion ? 'out-of-order' : 'unlinked',
      ...placeOfRow(row, leafIndex),
      reason:
        row.stream_version < expectedVersion
          ? `${row.stream_id} version ${row.stream_version} comes after version ${chain.version} in the log's global order: events were reordered`
          : `${row.stream_id} version ${row.stream_version}: previousHash does not match the hash of version ${chain.version}`,
    });
  }

  /** Streams whose next version never came after a later one: it was deleted. */
  private reportMissingVersions(): void {
    for (const chain of this.gaps) {
      const early = chain.early;
      if (!early) continue;
      const missing = chain.version + 1;
      this.report(keyOf(early.row), {
        kind: 'unlinked',
        streamId: early.row.stream_id,
        streamVersion: missing,
        reason: `${early.row.stream_id} version ${missing} is missing: the next event recorded is version ${early.row.stream_version} (a deleted event)`,
      });
    }
  }

  /**
   * The `streams` table, in one pass, against each stream's chain as the walk left it. A stream ahead of its
   * chain may have events global readers do not see yet (a transaction committed above the oldest running
   * one): those are read and followed before the heads are compared.
   */
  private async compareStreamsTable(): Promise<number> {
    let streamsChecked = this.chains.size;
    let afterStreamId = '';
    const compared = new Set<StreamChain>();
    for (;;) {
      const heads = await readStreamsPage(this.db, afterStreamId, this.batchSize);
      if (heads.length === 0) break;
      afterStreamId = heads[heads.length - 1]!.stream_id;
      for (const head of heads) {
        let chain = this.chains.get(head.stream_id);
        if (!chain || (!chain.broken && head.version > chain.version)) {
          const tail = await readUnorderedTail(this.db, head.stream_id, chain?.version ?? 0);
          if (!chain && tail.length > 0) streamsChecked += 1;
          for (const row of tail.map(checkedEventOfRow)) {
            if (row.altered)
              this.report(keyOf(row), {
                kind: 'altered',
                ...placeOfRow(row, undefined),
                reason: row.altered,
              });
            this.follow(row, undefined);
          }
          chain = this.chains.get(head.stream_id);
        }
        if (!chain) {
          this.report('~', {
            kind: 'stream-head',
            streamId: head.stream_id,
            streamVersion: 1,
            reason: `the streams table records ${head.stream_id} at version ${head.version} but the log holds none of its events`,
          });
          continue;
        }
        compared.add(chain);
        if (!chain.broken) this.compareHead(head.stream_id, chain, head);
      }
    }
    for (const [streamId, chain] of this.chains) {
      if (!compared.has(chain) && !chain.broken) this.compareHead(streamId, chain, undefined);
    }
    return streamsChecked;
  }

  private compareHead(streamId: string, chain: StreamChain, head: StreamRow | undefined): void {
    const key = `${keyOf(chain.last!)}+`;
    const version = chain.version;
    if (!head) {
      this.report(key, {
        kind: 'stream-head',
        streamId,
        streamVersion: version,
        reason: `${streamId} has events up to version ${version} but no row in the streams table`,
      });
    } else if (head.version > version) {
      this.report(key, {
        kind: 'stream-head',
        streamId,
        streamVersion: version + 1,
        reason:
          `the streams table records ${streamId} at version ${head.version} but the log ends at version ` +
          `${version}: version ${version + 1}${head.version > version + 1 ? ` to ${head.version}` : ''} was deleted`,
      });
    } else if (head.version < version) {
      this.report(key, {
        kind: 'stream-head',
        streamId,
        streamVersion: head.version + 1,
        reason:
          `the log holds ${streamId} up to version ${version} but the streams table records version ` +
          `${head.version}: events were added behind the event store's back`,
      });
    } else if (head.last_hash !== chain.hash) {
      this.report(key, {
        kind: 'stream-head',
        streamId,
        streamVersion: version,
        reason: `the hash of ${streamId} version ${version} is not the last hash the streams table records`,
      });
    }
  }
}

/** Where a stream's chain stands in the walk. */
class StreamChain {
  version = 0;
  hash: string | null = null;
  /** The last event that followed its predecessor. */
  last: CheckedEvent | undefined;
  /** The chain broke here; nothing after is checked (one problem per stream). */
  broken = false;
  /** The event that came where its stream's next version should have: a deleted version, or a moved one. */
  early: { row: CheckedEvent; leafIndex: number | undefined } | undefined;
}

function keyOf(row: CheckedEvent): string {
  return formatCheckpoint(row.transaction_id, row.global_position);
}

function placeOfRow(row: CheckedEvent, leafIndex: number | undefined): Partial<LedgerProblem> {
  return {
    streamId: row.stream_id,
    streamVersion: row.stream_version,
    eventId: row.event_id,
    globalPosition: row.global_position,
    ...(leafIndex === undefined ? {} : { leafIndex }),
  };
}

function addTarget(targets: Map<number, RecordedHead[]>, head: RecordedHead): void {
  const list = targets.get(head.checkpoint.treeSize);
  if (list) list.push(head);
  else targets.set(head.checkpoint.treeSize, [head]);
}
