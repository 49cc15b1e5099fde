/**
 * The shared event feed pauses while nobody listens (an idle API reads nothing back) and, when someone
 * subscribes again, goes live from the end of the log: no event appended during the pause is replayed as
 * live, none appended after the subscription is missed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresEventStore, type RecordedEvent } from '../../src/eventstore/index.js';
import { EventFeed } from '../../src/graphql/subscriptions/eventFeed.js';
import { pgliteTarget, type TestDatabase } from '../support/databases.js';

describe('the shared event feed', () => {
  let database: TestDatabase;
  let store: PostgresEventStore;

  beforeAll(async () => {
    database = await pgliteTarget.open();
    store = new PostgresEventStore(database, { pollIntervalMs: 20 });
  });
  afterAll(async () => {
    await database?.close();
  });

  const note = (stream: string, n: number) =>
    store.append(stream, [{ type: 'Noted', data: { n } }], 'any', { actor: 'test' });
  const take = async (events: AsyncIterableIterator<RecordedEvent>, count: number) => {
    const got: number[] = [];
    while (got.length < count) {
      const next = await events.next();
      if (next.done) break;
      got.push((next.value.data as { n: number }).n);
    }
    return got;
  };

  it('pauses with no subscriber and goes live from the end of the log for the next one', async () => {
    await note('feed-a', 1);
    const feed = new EventFeed(store, { idleCloseMs: 50 });
    await feed.start();
    expect(feed.live).toBe(true);
    await expect.poll(() => feed.live, { timeout: 5000, interval: 10 }).toBe(false);

    // Appended while paused: not live for a subscriber that comes later.
    await note('feed-a', 2);
    await note('feed-a', 3);
    const first = feed.events();
    await expect.poll(() => feed.live, { timeout: 5000, interval: 10 }).toBe(true);
    await note('feed-a', 4);
    await note('feed-a', 5);
    expect(await take(first, 2)).toEqual([4, 5]);

    // Still open while someone listens, paused again after the last one leaves.
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(feed.live).toBe(true);
    await first.return!();
    await expect.poll(() => feed.live, { timeout: 5000, interval: 10 }).toBe(false);

    // A subscriber with a checkpoint is caught up across the pause, then goes live.
    const log = await store.readStream('feed-a');
    const fromTwo = feed.events(log[0]!.checkpoint);
    expect(await take(fromTwo, 4)).toEqual([2, 3, 4, 5]);
    await note('feed-a', 6);
    expect(await take(fromTwo, 1)).toEqual([6]);
    await fromTwo.return!();
    await feed.close();
    expect(feed.live).toBe(false);
  });
});
