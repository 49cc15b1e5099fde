import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresEventStore } from '../../src/eventstore/index.js';
import { InteractionRecorder, type CapturedInteraction } from '../../src/serving/index.js';
import { createServices, systemClock, uuidIds, type Services } from '../../src/services/index.js';
import { pgliteTarget, type TestDatabase } from '../support/databases.js';

let database: TestDatabase;
let store: PostgresEventStore;
let services: Services;

beforeAll(async () => {
  database = await pgliteTarget.open();
  store = new PostgresEventStore(database);
  services = createServices({ store, clock: systemClock, ids: uuidIds });
});
afterAll(async () => {
  await store.close();
  await database.close();
});

const interaction = (i: number): CapturedInteraction => ({
  interactionId: `i-${i}`,
  deploymentName: 'prod',
  model: { name: 'm', version: 1 },
  prompt: `user: question ${i}`,
  response: `answer ${i}`,
  latencyMs: 12.5,
  tokens: { prompt: 10, completion: 3 },
  meanTokenEntropy: 0.5,
  actor: 'app',
});

describe('interaction recorder', () => {
  it('buffers without waiting on the log, then appends every interaction once, one stream each', async () => {
    const recorder = new InteractionRecorder(services.feedback, { batchSize: 8, flushMs: 5 });
    for (let i = 0; i < 20; i++) expect(recorder.record(interaction(i))).toBeUndefined();
    // Nothing was appended synchronously: record() only queues.
    expect(recorder.recorded).toBe(0);
    await recorder.whenRecorded('i-19');
    await recorder.flush();
    expect(recorder.recorded).toBe(20);
    const stream = await store.readStream('interaction-i-7');
    expect(stream.map((e) => e.type)).toEqual(['InteractionRecorded']);
    expect(stream[0]!.data).toMatchObject({
      interactionId: 'i-7',
      deploymentName: 'prod',
      tokens: { prompt: 10, completion: 3 },
    });
    expect(stream[0]!.metadata.actor).toBe('app');
    // The same interaction again is refused by the domain and counted as dropped, never recorded twice.
    const dropped: string[] = [];
    const again = new InteractionRecorder(services.feedback, {
      onDropped: (_n, reason) => dropped.push(reason),
    });
    again.record({ ...interaction(7), response: 'different' });
    await again.close();
    expect((await store.readStream('interaction-i-7')).length).toBe(1);
    await recorder.close();
  });

  it('writes a batch in one transaction, keeps going past refused interactions, and never doubles one', async () => {
    // Interaction 201 is already in the log under another key: the domain refuses recording it again.
    await services.feedback.recordInteraction(
      { ...interaction(201), interactionId: 'i-201' },
      { actor: 'earlier', idempotencyKey: 'some-other-key' },
    );
    // Interaction 202 was recorded by an earlier flush under the recorder's own key: a retry, not a refusal.
    const earlier = new InteractionRecorder(services.feedback);
    earlier.record(interaction(202));
    await earlier.close();
    const dropped: string[] = [];
    const recorder = new InteractionRecorder(services.feedback, {
      batchSize: 16,
      flushMs: 1000,
      onDropped: (_n, reason) => dropped.push(reason),
    });
    for (let i = 200; i < 208; i++) recorder.record(interaction(i));
    recorder.record({ ...interaction(208), latencyMs: -1 }); // invalid: the event schema refuses it
    await recorder.flush();
    expect(recorder.recorded).toBe(7); // 200, 202 (the retry) and 203-207
    expect(dropped).toHaveLength(2);
    expect(dropped[0]).toMatch(/i-201.*already recorded/);
    expect(dropped[1]).toMatch(/i-208/);
    const streams = await Promise.all(
      [200, 201, 202, 203, 204, 205, 206, 207, 208].map((i) => store.readStream(`interaction-i-${i}`)),
    );
    expect(streams.map((events) => events.length)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 0]);
    expect(streams[1]![0]!.metadata.actor).toBe('earlier');
    // The new ones went in as one append: one transaction (the checkpoint's first part) for all six.
    const transactions = new Set([0, 3, 4, 5, 6, 7].map((i) => streams[i]![0]!.checkpoint.split(':')[0]));
    expect(transactions.size).toBe(1);
    expect(streams[2]![0]!.checkpoint.split(':')[0]).not.toBe([...transactions][0]);
    for (const events of streams.slice(0, 8)) expect(events[0]!.metadata.previousHash).toBeNull();
    await recorder.close();
  });

  it('drops and counts what does not fit its buffer instead of growing without bound', async () => {
    const reasons: string[] = [];
    const recorder = new InteractionRecorder(services.feedback, {
      maxBuffered: 3,
      flushMs: 1000,
      batchSize: 100,
      onDropped: (_n, r) => reasons.push(r),
    });
    for (let i = 100; i < 105; i++) recorder.record(interaction(i));
    expect(recorder.dropped).toBe(2);
    expect(reasons).toEqual(['the capture buffer is full', 'the capture buffer is full']);
    await recorder.close();
    expect(recorder.recorded).toBe(3);
  });
});
