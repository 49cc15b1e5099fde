import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresEventStore } from '../../src/eventstore/index.js';
import { TokenStore } from '../../src/graphql/index.js';
import { databaseTargets, type TestDatabase } from '../support/databases.js';
import { collect, startHarness, type Harness } from './harness.js';

const context = { actor: 'test-writer' };

function progress(step: number) {
  return {
    type: 'TrainingProgressReported',
    data: { step, totalSteps: 5, stageIndex: 0, epoch: 0, loss: 2 - step / 10, learningRate: 1e-4 },
  };
}

for (const target of databaseTargets) {
  describe(`GraphQL platform (${target.name})`, () => {
    let database: TestDatabase;
    let api: Harness;

    beforeAll(async () => {
      database = await target.open();
      api = await startHarness(database, {
        limits: { maxComplexity: 2000, maxDepth: 3, maxBodyBytes: 20_000 },
      });
    });
    afterAll(async () => {
      await api?.close();
      await database?.close();
    });

    it('runs in local single-user mode while no token exists', async () => {
      const response = await api.request<{ me: { actor: string; roles: string[]; localMode: boolean } }>(
        '{ me { actor roles localMode } }',
      );
      expect(response.errors).toBeUndefined();
      expect(response.data?.me).toEqual({
        actor: 'local',
        roles: ['VIEWER', 'LABELER', 'ENGINEER', 'APPROVER', 'ADMIN', 'WORKER'],
        localMode: true,
      });
      // Clients that insist on a key (the official openai one) send a placeholder: local mode takes any.
      for (const placeholder of ['sk-local', 'tl_unknown_secret', 'not a token']) {
        const withKey = await api.request<{ me: { actor: string } }>('{ me { actor } }', {}, placeholder);
        expect(withKey.errors, placeholder).toBeUndefined();
        expect(withKey.data?.me.actor).toBe('local');
      }
    });

    it('refuses queries deeper or costlier than the limits, and bodies over the size limit', async () => {
      const shallow = await api.request('{ log(first: 1) { edges { node { type } } } }');
      expect(shallow.errors).toBeUndefined();
      const tooDeep = await api.request('{ log(first: 1) { edges { node { metadata { actor } } } } }');
      expect(tooDeep.errors?.[0]?.message).toMatch(/exceeds maximum operation depth of 3/);
      const costly = await api.request(
        '{ log(first: 500) { edges { cursor node { eventId type streamId } } } }',
      );
      expect(costly.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(costly.errors?.[0]?.message).toMatch(/too expensive.*2000/);
      const big = await api.request(`{ me { actor } } # ${'x'.repeat(30_000)}`);
      expect(big.status).toBe(413);
      expect(big.errors?.[0]?.message).toMatch(/too large/);
    });

    it('pages through the log and a stream with cursors', async () => {
      const streamId = `dataset-${randomUUID()}`;
      await api.store.append(
        streamId,
        [1, 2, 3].map((n) => ({ type: 'Noted', data: { n } })),
        'no_stream',
        context,
      );
      type Page = {
        stream: {
          edges: { cursor: string; node: { data: { n: number } } }[];
          pageInfo: { hasNextPage: boolean; endCursor: string };
        };
      };
      const query =
        'query($s: ID!, $after: String) { stream(streamId: $s, first: 2, after: $after) { edges { cursor node { data } } pageInfo { hasNextPage endCursor } } }';
      const first = await api.request<Page>(query, { s: streamId });
      expect(first.data?.stream.edges.map((edge) => edge.node.data.n)).toEqual([1, 2]);
      expect(first.data?.stream.pageInfo.hasNextPage).toBe(true);
      const second = await api.request<Page>(query, {
        s: streamId,
        after: first.data?.stream.pageInfo.endCursor,
      });
      expect(second.data?.stream.edges.map((edge) => edge.node.data.n)).toEqual([3]);
      expect(second.data?.stream.pageInfo.hasNextPage).toBe(false);

      type LogPage = {
        log: {
          edges: { node: { streamId: string; data: { n: number } } }[];
          pageInfo: { hasNextPage: boolean };
        };
      };
      // The global log shows an event once every older transaction in the cluster has ended (the gap
      // protection), so another test file's open transaction can hold these back for a moment.
      const readLog = () =>
        api.request<LogPage>(
          'query($p: [String!]) { log(first: 10, filter: { streamIds: $p }) { edges { node { streamId data } } pageInfo { hasNextPage } } }',
          { p: [streamId] },
        );
      await expect.poll(async () => (await readLog()).data?.log.edges.length).toBe(3);
      const log = await readLog();
      expect(log.data?.log.edges.map((edge) => edge.node.data.n)).toEqual([1, 2, 3]);
      expect(log.data?.log.pageInfo.hasNextPage).toBe(false);
    });

    it('streams every progress event of a run in order, live, and completes after the end event', async () => {
      const runId = randomUUID();
      await api.store.append(
        `run-${runId}`,
        [{ type: 'TrainingRunRequested', data: { runId } }],
        'no_stream',
        context,
      );
      const before = api.server.subscriberCount();
      type Update = {
        runProgress: {
          type: string;
          step: number | null;
          loss: number | null;
          rewardAccuracy: number | null;
          finished: boolean;
          event: { type: string };
        };
      };
      const subscription = collect<Update>(
        api.ws(),
        'subscription($id: ID!) { runProgress(runId: $id) { type step loss rewardAccuracy finished event { type } } }',
        { id: runId },
        100,
      );
      await expect.poll(() => api.server.subscriberCount()).toBe(before + 1);
      for (let step = 1; step <= 5; step += 1) {
        // The last report is a preference run's: with the fraction of pairs its chosen answers win.
        const event = progress(step);
        const reported = step === 5 ? { ...event, data: { ...event.data, rewardAccuracy: 0.75 } } : event;
        await api.store.append(`run-${runId}`, [reported], 'stream_exists', context);
      }
      // Unrelated events in between must not reach the subscriber.
      await api.store.append(`run-${randomUUID()}`, [progress(1)], 'any', context);
      await api.store.append(
        `run-${runId}`,
        [{ type: 'TrainingRunCompleted', data: { finalLoss: 1.5, steps: 5 } }],
        'stream_exists',
        context,
      );
      const updates = (await subscription.done).map((update) => update.runProgress);
      expect(updates.map((update) => update.type)).toEqual([
        ...Array(5).fill('TRAINING_PROGRESS_REPORTED'),
        'TRAINING_RUN_COMPLETED',
      ]);
      expect(updates.map((update) => update.step)).toEqual([1, 2, 3, 4, 5, null]);
      expect(updates.map((update) => update.loss)).toEqual([1.9, 1.8, 1.7, 1.6, 1.5, 1.5]);
      expect(updates.map((update) => update.finished)).toEqual([false, false, false, false, false, true]);
      expect(updates.map((update) => update.rewardAccuracy)).toEqual([null, null, null, null, 0.75, null]);
      expect(updates[0]!.event.type).toBe('TrainingProgressReported');
      await expect.poll(() => api.server.subscriberCount()).toBe(before);
    });

    it('catches a subscriber up from a checkpoint, then goes live, without gaps or repeats', async () => {
      const streamId = `dataset-${randomUUID()}`;
      const first = await api.store.append(
        streamId,
        [1, 2, 3].map((n) => ({ type: 'Noted', data: { n } })),
        'no_stream',
        context,
      );
      const from = first.events[0]!.checkpoint;
      type Received = { events: { data: { n: number }; checkpoint: string } };
      const subscription = collect<Received>(
        api.ws(),
        'subscription($from: String, $s: [String!]) { events(from: $from, filter: { streamIds: $s }) { data checkpoint } }',
        { from, s: [streamId] },
        4,
      );
      await expect.poll(() => api.server.subscriberCount()).toBeGreaterThan(0);
      await api.store.append(
        streamId,
        [4, 5].map((n) => ({ type: 'Noted', data: { n } })),
        3,
        context,
      );
      const received = await subscription.done;
      expect(received.map((item) => item.events.data.n)).toEqual([2, 3, 4, 5]);
    });

    it('opens its subscription to the log with the first GraphQL subscriber, not at start-up', async () => {
      const store = new PostgresEventStore(database, { pollIntervalMs: 50 });
      let opened = 0;
      const counting = new Proxy(store, {
        get: (target, key, receiver) =>
          key === 'subscribe'
            ? (from: string) => {
                opened++;
                return target.subscribe(from);
              }
            : (Reflect.get(target, key, receiver) as unknown),
      });
      const own = await startHarness(database, { store: counting });
      try {
        const streamId = `dataset-${randomUUID()}`;
        await own.store.append(streamId, [{ type: 'Noted', data: { n: 1 } }], 'no_stream', context);
        expect(opened).toBe(0);
        const subscription = collect<{ events: { data: { n: number } } }>(
          own.ws(),
          'subscription($s: [String!]) { events(filter: { streamIds: $s }) { data } }',
          { s: [streamId] },
          1,
        );
        await expect.poll(() => own.server.subscriberCount()).toBe(1);
        // The feed subscribes once it has read the head of the log, a moment after the subscriber joined.
        await expect.poll(() => opened).toBe(1);
        await own.store.append(streamId, [{ type: 'Noted', data: { n: 2 } }], 1, context);
        expect((await subscription.done).map((item) => item.events.data.n)).toEqual([2]);
      } finally {
        await own.close();
      }
    });

    it('refuses a runProgress subscription for a run that does not exist with NOT_FOUND', async () => {
      const runId = randomUUID();
      const subscription = collect(
        api.ws(),
        'subscription($id: ID!) { runProgress(runId: $id) { type } }',
        { id: runId },
        1,
      );
      await expect(subscription.done).rejects.toThrow(/NOT_FOUND.*does not exist|does not exist.*NOT_FOUND/);
    });

    it('requires a valid bearer token on HTTP and graphql-ws once a token exists', async () => {
      const admin = await api.server.tokens.create({ actor: 'alice', roles: ['admin'], createdBy: 'test' });
      const viewer = await api.server.tokens.create({
        actor: 'victor',
        roles: ['viewer'],
        createdBy: 'test',
      });
      expect(admin.token).toMatch(/^tl_[0-9a-f]{12}_/);

      const anonymous = await api.request('{ me { actor } }');
      expect(anonymous.status).toBe(401);
      expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      expect(anonymous.errors?.[0]?.message).toMatch(/tuneledger token create/);

      const forged = await api.request('{ me { actor } }', {}, `${admin.token.slice(0, -4)}AAAA`);
      expect(forged.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');

      const me = await api.request<{ me: { actor: string; roles: string[]; localMode: boolean } }>(
        '{ me { actor roles localMode } }',
        {},
        viewer.token,
      );
      expect(me.data?.me).toEqual({ actor: 'victor', roles: ['VIEWER'], localMode: false });

      const refusedSocket = collect(api.ws(), 'subscription { events { type } }', {}, 1);
      await expect(refusedSocket.done).rejects.toThrow(/4401: this API requires a token/);

      const streamId = `dataset-${randomUUID()}`;
      const before = api.server.subscriberCount();
      const allowed = collect<{ events: { type: string } }>(
        api.ws(viewer.token),
        'subscription($s: [String!]) { events(filter: { streamIds: $s }) { type } }',
        { s: [streamId] },
        1,
      );
      await expect.poll(() => api.server.subscriberCount()).toBe(before + 1);
      await api.store.append(streamId, [{ type: 'Noted', data: {} }], 'no_stream', context);
      expect(await allowed.done).toEqual([{ events: { type: 'Noted' } }]);

      expect(await api.server.tokens.revoke(viewer.tokenId)).toBe(true);
      const revoked = await api.request('{ me { actor } }', {}, viewer.token);
      expect(revoked.errors?.[0]?.message).toMatch(/revoked/);
      const tokens = await api.server.tokens.list();
      expect(tokens.map((token) => token.actor)).toEqual(['alice']);
    });

    it('closes the open subscriptions of a token once it is revoked, here or by another process', async () => {
      const streamId = `dataset-${randomUUID()}`;
      const subscribe = (token: string) =>
        collect<{ events: { type: string } }>(
          api.ws(token),
          'subscription($s: [String!]) { events(filter: { streamIds: $s }) { type } }',
          { s: [streamId] },
          1,
        );
      const first = await api.server.tokens.create({ actor: 'rita', roles: ['viewer'], createdBy: 'test' });
      const second = await api.server.tokens.create({ actor: 'sam', roles: ['viewer'], createdBy: 'test' });
      const keeper = await api.server.tokens.create({ actor: 'kim', roles: ['viewer'], createdBy: 'test' });
      const before = api.server.subscriberCount();
      const [viaServer, viaOtherProcess, kept] = [
        subscribe(first.token),
        subscribe(second.token),
        subscribe(keeper.token),
      ];
      await expect.poll(() => api.server.subscriberCount()).toBe(before + 3);

      // Revoked through the server's own token store: closed at once.
      expect(await api.server.tokens.revoke(first.tokenId)).toBe(true);
      await expect(viaServer.done).rejects.toThrow(new RegExp(`4401: token ${first.tokenId} was revoked`));
      // Revoked by another process (the CLI opens its own store on the database): closed by the periodic check.
      expect(await new TokenStore(database.db).revoke(second.tokenId)).toBe(true);
      await expect(viaOtherProcess.done).rejects.toThrow(
        new RegExp(`4401: token ${second.tokenId} was revoked`),
      );
      await expect.poll(() => api.server.subscriberCount()).toBe(before + 1);

      // The other token's subscription still receives events.
      await api.store.append(streamId, [{ type: 'Noted', data: {} }], 'no_stream', context);
      expect(await kept.done).toEqual([{ events: { type: 'Noted' } }]);
    });
  });
}
