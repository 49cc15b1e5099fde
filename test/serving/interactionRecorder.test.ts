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
