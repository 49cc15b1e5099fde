/**
 * A GraphQL `events` subscriber without a checkpoint receives only what is appended after it joined,
 * also when the log's newest positions order differently as text ("9" after "10"): the feed opens at the
 * event store's head, and a wrong head replayed old events to the first subscriber.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseTargets, type TestDatabase } from '../support/databases.js';
import { collect, startHarness, type Harness } from './harness.js';

const context = { actor: 'test-writer' };

for (const target of databaseTargets) {
  describe(`a fresh events subscriber (${target.name})`, () => {
    let database: TestDatabase;
    let api: Harness;

    beforeAll(async () => {
      // A database of its own: positions start at 1, so the first append spans 9 and 10.
      database = await target.open();
      api = await startHarness(database);
    });
    afterAll(async () => {
      await api?.close();
      await database?.close();
    });

    it('receives no event appended before it subscribed', async () => {
      const streamId = `dataset-${randomUUID()}`;
      const old = await api.store.append(
        streamId,
        Array.from({ length: 10 }, (_, n) => ({ type: 'Noted', data: { n } })),
        'no_stream',
        context,
      );
      expect(old.events.at(-1)!.checkpoint).toMatch(/:0+10$/);
      // On PostgreSQL other databases' transactions may hold the append back from readers for a moment.
      await expect.poll(() => api.store.head(), { timeout: 15_000, interval: 50 }).not.toBe('');

      const subscription = collect<{ events: { data: { n: number } } }>(
        api.ws(),
        'subscription($s: [String!]) { events(filter: { streamIds: $s }) { data } }',
        { s: [streamId] },
        1,
      );
      await expect.poll(() => api.server.subscriberCount()).toBe(1);
      await api.store.append(streamId, [{ type: 'Noted', data: { n: 10 } }], 10, context);
      expect((await subscription.done).map((item) => item.events.data.n)).toEqual([10]);
    });
  });
}
