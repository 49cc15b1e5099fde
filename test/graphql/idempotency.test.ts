/**
 * Idempotency keys as a client meets them over HTTP, and concurrent writes that do not conflict in meaning:
 * a key reused with another payload is refused and records nothing; every duplicate of one request, at once
 * or later, is told it was replayed and gets the first answer; 20 labels on one interaction at once all land.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresEventStore } from '../../src/eventstore/index.js';
import { allProjections, ProjectionRunner } from '../../src/projections/index.js';
import { createServices, systemClock, uuidIds } from '../../src/services/index.js';
import { countEvents, databaseTargets, type TestDatabase } from '../support/databases.js';
import { startHarness, type Harness } from './harness.js';

type Payload = { id: string; replayed: boolean; eventIds: string[]; version: number };
type Errors = { message: string; extensions?: { code?: string } & Record<string, unknown> }[] | undefined;

const register = `mutation($name: String!, $key: String) {
  m: registerDataset(name: $name, format: ALPACA, idempotencyKey: $key) { id replayed eventIds version }
}`;
const label = `mutation($id: ID!, $label: FeedbackLabelInput!, $key: String) {
  m: labelFeedback(interactionId: $id, label: $label, idempotencyKey: $key) { id replayed eventIds version }
}`;
const interaction = (interactionId: string) => ({
  interactionId,
  deploymentName: 'prod',
  model: { name: 'tiny', version: 1 },
  prompt: 'p',
  response: 'r',
  latencyMs: 1,
  tokens: { prompt: 1, completion: 1 },
});

for (const target of databaseTargets) {
  describe(`idempotency keys and concurrent writes (${target.name})`, () => {
    let database: TestDatabase;
    let store: PostgresEventStore;
    let api: Harness;
    let runner: ProjectionRunner;

    beforeAll(async () => {
      database = await target.open();
      store = new PostgresEventStore(database, { pollIntervalMs: 50 });
      runner = new ProjectionRunner({ db: database.db, store, projections: allProjections });
      runner.start();
      api = await startHarness(database, {
        services: createServices({ store, clock: systemClock, ids: uuidIds }),
        projections: runner,
      });
    });
    afterAll(async () => {
      await api?.close();
      await runner?.stop();
      await database?.close();
    });

    const call = async (query: string, variables: Record<string, unknown>) => {
      const response = await api.request<{ m: Payload }>(query, variables);
      return { payload: response.data?.m, errors: response.errors as Errors };
    };

    it('refuses a key reused with another payload (IDEMPOTENCY_KEY_REUSED) and records nothing', async () => {
      const first = await call(register, { name: 'first-name', key: 'reuse-1' });
      expect(first.errors).toBeUndefined();
      const before = await countEvents(database);
      const other = await call(register, { name: 'another-name', key: 'reuse-1' });
      expect(other.errors?.[0]?.extensions?.code).toBe('IDEMPOTENCY_KEY_REUSED');
      expect(other.errors?.[0]?.message).toMatch(/reuse-1.*different request/);
      expect(await countEvents(database)).toBe(before);
      // The same request again is still a replay with the first answer.
      const again = await call(register, { name: 'first-name', key: 'reuse-1' });
      expect(again.payload).toEqual({ ...first.payload, replayed: true });
    });

    it('refuses an empty or oversized key (BAD_USER_INPUT) and records nothing; 256 characters is accepted', async () => {
      const before = await countEvents(database);
      for (const key of ['', '   ', 'k'.repeat(257), 'k'.repeat(300_000)]) {
        const answer = await call(register, { name: `long-key-${key.length}`, key });
        expect(answer.errors?.[0]?.extensions?.code, `key of ${key.length}`).toBe('BAD_USER_INPUT');
        expect(answer.errors?.[0]?.message).toMatch(/idempotencyKey must be 1 to 256 characters/);
      }
      expect(await countEvents(database)).toBe(before);
      const longest = await call(register, { name: 'longest-key', key: 'k'.repeat(256) });
      expect(longest.errors).toBeUndefined();
      expect(await call(register, { name: 'longest-key', key: 'k'.repeat(256) })).toMatchObject({
        payload: { replayed: true },
      });
    });

    it('the store itself refuses an oversized key or stream id with a clear error, whoever calls it', async () => {
      const event = { type: 'Probe', data: {} };
      await expect(
        store.append('probe-1', [event], 'any', {
          actor: 't',
          idempotency: { key: 'k'.repeat(257), fingerprint: 'f' },
        }),
      ).rejects.toThrow(/idempotency key must be 1 to 256 characters/);
      await expect(store.append('p'.repeat(513), [event], 'any', { actor: 't' })).rejects.toThrow(
        /at most 512/,
      );
    });

    it('refuses 20 concurrent requests under one key with different payloads but one, recording one', async () => {
      const before = await countEvents(database);
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, index) => call(register, { name: `burst-${index}`, key: 'burst-1' })),
      );
      const accepted = answers.filter((answer) => !answer.errors);
      expect(accepted).toHaveLength(1);
      expect(accepted[0]!.payload!.replayed).toBe(false);
      for (const refused of answers.filter((answer) => answer.errors)) {
        expect(refused.errors?.[0]?.extensions?.code).toBe('IDEMPOTENCY_KEY_REUSED');
      }
      expect(await countEvents(database)).toBe(before + 1);
    });

    it('answers 20 concurrent duplicates of one request with the first answer: one recorded, 19 replayed', async () => {
      const before = await countEvents(database);
      const answers = await Promise.all(
        Array.from({ length: 20 }, () => call(register, { name: 'same-payload', key: 'same-1' })),
      );
      for (const answer of answers) expect(answer.errors).toBeUndefined();
      expect(await countEvents(database)).toBe(before + 1);
      const fresh = answers.filter((answer) => !answer.payload!.replayed);
      expect(fresh).toHaveLength(1);
      for (const answer of answers) {
        expect({ ...answer.payload, replayed: false }).toEqual(fresh[0]!.payload);
      }
    });

    it('records 20 concurrent feedback labels on one interaction, every one of them', async () => {
      const recorded = await call(
        `mutation($input: InteractionInput!) { m: recordInteraction(input: $input) { id replayed eventIds version } }`,
        { input: interaction('0190a8f0-0000-7000-8000-00000000beef') },
      );
      expect(recorded.errors).toBeUndefined();
      const interactionId = recorded.payload!.id;
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, index) =>
          call(label, { id: interactionId, label: { rating: (index % 5) + 1 } }),
        ),
      );
      for (const answer of answers) expect(answer.errors).toBeUndefined();
      const events = await store.readStream(`interaction-${interactionId}`);
      expect(events.filter((event) => event.type === 'FeedbackLabeled')).toHaveLength(20);
      expect(new Set(answers.map((answer) => answer.payload!.version)).size).toBe(20);
    });

    it('replays concurrent duplicate labels under one key once, and refuses the key on another interaction', async () => {
      const ids = ['0190a8f0-0000-7000-8000-00000000c0de', '0190a8f0-0000-7000-8000-00000000d00d'];
      for (const id of ids) {
        expect(
          (
            await call(
              `mutation($input: InteractionInput!) { m: recordInteraction(input: $input) { id replayed eventIds version } }`,
              { input: interaction(id) },
            )
          ).errors,
        ).toBeUndefined();
      }
      const answers = await Promise.all(
        Array.from({ length: 10 }, () =>
          call(label, { id: ids[0], label: { thumbs: 'UP' }, key: 'label-1' }),
        ),
      );
      for (const answer of answers) expect(answer.errors).toBeUndefined();
      expect(answers.filter((answer) => answer.payload!.replayed)).toHaveLength(9);
      const before = await countEvents(database);
      const elsewhere = await call(label, {
        id: ids[1],
        label: { thumbs: 'UP' },
        key: 'label-1',
      });
      expect(elsewhere.errors?.[0]?.extensions?.code).toBe('IDEMPOTENCY_KEY_REUSED');
      expect(await countEvents(database)).toBe(before);
    });
  });
}
