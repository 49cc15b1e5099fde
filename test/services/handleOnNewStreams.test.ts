import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { interactionDecider, interactionStream } from '../../src/domain/index.js';
import { PostgresEventStore } from '../../src/eventstore/index.js';
import { CommandHandler, deterministicEventId, manualClock } from '../../src/services/index.js';
import { pgliteTarget, type TestDatabase } from '../support/databases.js';

let database: TestDatabase;
let store: PostgresEventStore;
let handler: CommandHandler;
const at = manualClock(new Date('2026-11-28T00:00:00Z')).now().toISOString();

beforeAll(async () => {
  database = await pgliteTarget.open();
  store = new PostgresEventStore(database);
  handler = new CommandHandler(store);
});
afterAll(async () => {
  await store.close();
  await database.close();
});

const record = (interactionId: string) => ({
  type: 'RecordInteraction' as const,
  interactionId,
  deploymentName: 'prod',
  model: { name: 'm', version: 1 },
  prompt: 'user: hi',
  response: 'hello',
  latencyMs: 3,
  tokens: { prompt: 2, completion: 1 },
  at,
});

describe('CommandHandler.handleOnNewStreams', () => {
  it('writes new streams in one append and gives every other command what handle would give', async () => {
    // h-2 exists already: a label for it is refused against a new stream but holds against the real one.
    await handler.handle(interactionDecider, interactionStream('h-2'), record('h-2'), { actor: 'app' });
    const label = {
      type: 'LabelFeedback' as const,
      interactionId: 'h-2',
      label: { kind: 'thumbs' as const, up: true },
      labeler: 'ana',
      at,
    };
    const outcomes = await handler.handleOnNewStreams(interactionDecider, [
      {
        streamId: interactionStream('h-1'),
        command: record('h-1'),
        context: { actor: 'app', idempotencyKey: 'k1' },
      },
      { streamId: interactionStream('h-2'), command: label, context: { actor: 'ana' } },
      // Named twice: the second is decided against what the first wrote, and refused by the domain.
      { streamId: interactionStream('h-1'), command: record('h-1'), context: { actor: 'app' } },
      // A label on an interaction nobody recorded: the domain's refusal, as handle gives it.
      {
        streamId: interactionStream('h-9'),
        command: { ...label, interactionId: 'h-9' },
        context: { actor: 'ana' },
      },
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'rejected']);
    expect((outcomes[2] as PromiseRejectedResult).reason).toMatchObject({
      code: 'INTERACTION_ALREADY_RECORDED',
    });
    expect((outcomes[3] as PromiseRejectedResult).reason).toMatchObject({ code: 'INTERACTION_NOT_FOUND' });
    const first = (outcomes[0] as PromiseFulfilledResult<{ events: readonly { eventId: string }[] }>).value;
    expect(first.events[0]!.eventId).toBe(deterministicEventId('k1', interactionStream('h-1'), 0));
    expect((await store.readStream(interactionStream('h-1'))).map((e) => e.type)).toEqual([
      'InteractionRecorded',
    ]);
    expect((await store.readStream(interactionStream('h-2'))).map((e) => e.type)).toEqual([
      'InteractionRecorded',
      'FeedbackLabeled',
    ]);
    expect(await store.readStream(interactionStream('h-9'))).toEqual([]);

    // The same key again: the events first recorded come back, nothing is appended.
    const [again] = await handler.handleOnNewStreams(interactionDecider, [
      {
        streamId: interactionStream('h-1'),
        command: record('h-1'),
        context: { actor: 'app', idempotencyKey: 'k1' },
      },
    ]);
    expect(again).toMatchObject({ status: 'fulfilled', value: { version: 1 } });
    expect((await store.readStream(interactionStream('h-1'))).length).toBe(1);
  });
});
