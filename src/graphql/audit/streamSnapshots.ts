import { sql, type Kysely } from 'kysely';
import type { EventStore, RecordedEvent, VerifyResult } from '../../eventstore/index.js';
import { PostgresEventStore } from '../../eventstore/index.js';
import { VerifiedChains } from './verifiedChains.js';

export interface VerifiedStream {
  readonly events: readonly RecordedEvent[];
  /** The events as stored (what the hashes cover), where decoding changed them (personal fields encrypted). */
  readonly storedEvents?: readonly RecordedEvent[];
  readonly integrity: VerifyResult;
  /** What StreamSnapshots.fingerprints gave for the rows read (PostgreSQL store), else null. */
  readonly fingerprint: string | null;
}

interface Snapshot extends VerifiedStream {
  readonly fingerprint: string;
}

/**
 * The involved streams of an audit report, read and verified, reusing earlier work while the stored
 * rows are unchanged. With the PostgreSQL store, one SQL query fingerprints every involved stream
 * by the identity of its stored row versions: (ctid, xmin) of every row, in version order. PostgreSQL
 * never changes a stored row in place: an UPDATE (even one that bypasses the append-only trigger)
 * writes a new row version with the writing transaction's xmin at a new ctid, and a DELETE or
 * re-INSERT changes the rows' set, so any change to a stream changes its fingerprint, and the
 * stream is read and its chain recomputed; tampering is still reported. This reads no event
 * content (about a tenth of the cost of hashing every row's text). A stream whose fingerprint
 * matches a snapshot is neither re-read nor re-hashed, because its rows are exactly those that
 * were verified. Other stores read every stream and memoise the chain check on what was read.
 */
export class StreamSnapshots {
  private readonly snapshots = new Map<string, Snapshot>();
  private cachedEvents = 0;
  private readonly chains = new VerifiedChains();

  constructor(private readonly maxCachedEvents = 200_000) {}

  async read(
    deps: { readonly store: EventStore; readonly db: Kysely<unknown> },
    streamIds: readonly string[],
  ): Promise<Map<string, VerifiedStream>> {
    const out = new Map<string, VerifiedStream>();
    if (streamIds.length === 0) return out;
    // Chains are verified on the events as stored; the report shows them decoded (a forgotten subject's
    // texts as erased), decoded on every read so that an erasure shows at once.
    const stored = deps.store.stored ?? deps.store;
    const decoded = async (streams: Map<string, VerifiedStream>): Promise<Map<string, VerifiedStream>> => {
      const decode = deps.store.decode?.bind(deps.store);
      if (!decode) return new Map(streamIds.map((id) => [id, streams.get(id)!]));
      return new Map(
        await Promise.all(
          streamIds.map(async (id) => {
            const stream = streams.get(id)!;
            return [
              id,
              { ...stream, storedEvents: stream.events, events: await decode(stream.events) },
            ] as const;
          }),
        ),
      );
    };
    if (!(stored instanceof PostgresEventStore)) {
      await Promise.all(
        streamIds.map(async (streamId) => {
          const events = await stored.readStream(streamId);
          out.set(streamId, { events, integrity: this.chains.verify(streamId, events), fingerprint: null });
        }),
      );
      return decoded(out);
    }
    const fingerprints = await StreamSnapshots.fingerprints(deps.db, streamIds);
    await Promise.all(
      streamIds.map(async (streamId) => {
        const fingerprint = fingerprints.get(streamId)!;
        const known = this.snapshots.get(streamId);
        if (known && known.fingerprint === fingerprint) {
          out.set(streamId, known);
          return;
        }
        const events = await stored.readStream(streamId);
        const integrity = this.chains.verify(streamId, events);
        const snapshot: Snapshot = { events, integrity, fingerprint };
        out.set(streamId, snapshot);
        // Remember it only when the read matches what was fingerprinted (no append in between).
        if (events.length === Number(fingerprint.split(':')[0])) this.remember(streamId, snapshot);
      }),
    );
    return decoded(out);
  }

  /**
   * `<row count>:<md5 of the row versions' identity>` of each stream, as stored now (PostgreSQL
   * store only; see the class comment). A stream with no rows reads as `0:`.
   */
  static async fingerprints(db: Kysely<unknown>, streamIds: readonly string[]): Promise<Map<string, string>> {
    const rows = await sql<{ stream_id: string; n: number; fingerprint: string }>`
      SELECT stream_id, count(*)::int AS n,
        md5(string_agg(e.ctid::text || e.xmin::text, ',' ORDER BY stream_version)) AS fingerprint
      FROM events e WHERE stream_id = ANY(${[...streamIds]}::text[]) GROUP BY stream_id`.execute(db);
    const found = new Map(rows.rows.map((row) => [row.stream_id, `${row.n}:${row.fingerprint}`]));
    return new Map(streamIds.map((streamId) => [streamId, found.get(streamId) ?? '0:']));
  }

  private remember(streamId: string, snapshot: Snapshot): void {
    const old = this.snapshots.get(streamId);
    if (old) {
      this.cachedEvents -= old.events.length;
      this.snapshots.delete(streamId);
    }
    if (snapshot.events.length > this.maxCachedEvents) return;
    while (this.cachedEvents + snapshot.events.length > this.maxCachedEvents) {
      const [oldestId, oldest] = this.snapshots.entries().next().value!;
      this.snapshots.delete(oldestId);
      this.cachedEvents -= oldest.events.length;
    }
    this.snapshots.set(streamId, snapshot);
    this.cachedEvents += snapshot.events.length;
  }
}
