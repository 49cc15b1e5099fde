import { createHash } from 'node:crypto';
import type { RecordedEvent, VerifyResult } from '../../eventstore/index.js';
import { verifyChain } from '../../eventstore/index.js';

/**
 * verifyChain memoised on exactly what was read. Recomputing a chain canonicalises and hashes every
 * event (seconds for a run stream with thousands of progress events under load); a fingerprint of
 * the events as read (native JSON.stringify + one sha256) is an order of magnitude cheaper. The
 * result is reused only when the stream id, its length and the fingerprint of every event's content
 * and metadata are all unchanged, so it is the same pure function of the same input: an event
 * altered behind the store's back changes the fingerprint and is verified (and caught) again.
 */
export class VerifiedChains {
  private readonly results = new Map<
    string,
    { readonly fingerprint: string; readonly result: VerifyResult }
  >();

  constructor(private readonly maxStreams = 2000) {}

  verify(streamId: string, events: readonly RecordedEvent[]): VerifyResult {
    const fingerprint = fingerprintOf(events);
    const cached = this.results.get(streamId);
    if (cached && cached.fingerprint === fingerprint) return cached.result;
    const result = verifyChain(streamId, events);
    if (this.results.size >= this.maxStreams && !cached) {
      // Drop the oldest entry (Map keeps insertion order): a bounded cache, not a leak.
      const oldest = this.results.keys().next().value;
      if (oldest !== undefined) this.results.delete(oldest);
    }
    this.results.set(streamId, { fingerprint, result });
    return result;
  }
}

function fingerprintOf(events: readonly RecordedEvent[]): string {
  const hash = createHash('sha256');
  hash.update(String(events.length));
  for (const event of events) {
    // Every field verifyChain reads; JSON.stringify keeps key order as read, so any change shows.
    hash.update(
      JSON.stringify([
        event.eventId,
        event.streamId,
        event.streamVersion,
        event.type,
        event.schemaVersion,
        event.data,
        event.metadata,
      ]),
    );
  }
  return hash.digest('hex');
}
