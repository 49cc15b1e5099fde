import { getIntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultLimits } from '../../src/graphql/index.js';
import { databaseTargets, type TestDatabase } from '../support/databases.js';
import type { Client } from 'graphql-ws';
import { startHarness, type Harness } from './harness.js';

/** `count` aliases of one field selection, as one query document. */
function aliases(count: number, selection: string): string {
  return `{ ${Array.from({ length: count }, (_, i) => `a${i}: ${selection}`).join(' ')} }`;
}

/**
 * Subscribes to every event: resolves 'open' once the server holds one more subscriber, or the error's
 * code when the server refuses it.
 */
async function openSubscription(
  api: Harness,
  client: Client,
): Promise<{ outcome: string; message?: string; stop: () => void }> {
  const before = api.server.subscriberCount();
  let refused: string | null = null;
  let message: string | undefined;
  const stop = client.subscribe(
    { query: 'subscription { events { type } }' },
    {
      next: () => {},
      error: (error) => {
        const errors = error as { message?: string; extensions?: { code?: string } }[];
        refused = Array.isArray(errors) ? (errors[0]?.extensions?.code ?? 'error') : 'closed';
        message = Array.isArray(errors) ? errors[0]?.message : undefined;
      },
      complete: () => {},
    },
  );
  for (let i = 0; i < 500 && refused === null && api.server.subscriberCount() === before; i++)
    await new Promise((resolve) => setTimeout(resolve, 10));
  return {
    outcome: refused ?? (api.server.subscriberCount() > before ? 'open' : 'timed out'),
    message,
    stop,
  };
}

/** A POST with a body written by hand (a value too deep for JSON.stringify to write). */
async function postRaw(url: string, body: string) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  return {
    status: response.status,
    body: (await response.json()) as { errors?: { extensions?: { code?: string } }[] },
  };
}

for (const target of databaseTargets) {
  describe(`GraphQL query limits (${target.name})`, () => {
    let database: TestDatabase;
    let api: Harness;

    beforeAll(async () => {
      database = await target.open();
      api = await startHarness(database);
    });
    afterAll(async () => {
      await api?.close();
      await database?.close();
    });

    it("accepts the standard introspection query (graphql-js's getIntrospectionQuery)", async () => {
      const response = await api.request<{ __schema: { types: { name: string }[] } }>(
        getIntrospectionQuery(),
      );
      expect(response.status).toBe(200);
      expect(response.errors).toBeUndefined();
      expect(response.data?.__schema.types.map((type) => type.name)).toContain('Query');
    });

    it('prices introspection by what it reads: many aliases of __schema are refused', async () => {
      const response = await api.request(aliases(20, '__schema { types { name } }'));
      expect(response.status).toBe(400);
      expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(response.errors?.[0]?.message).toMatch(/too expensive/);
    });

    it('refuses 2000 aliases of auditReport(asOf) and 3000 of model(asOf) by their cost, with 400', async () => {
      // Under the token limit (10,000) as 500 aliases; 2000 are refused even before parsing ends.
      for (const selection of [
        'auditReport(modelName: "m", version: 1, asOf: "2026-01-01T00:00:00Z") { modelName }',
        'model(modelName: "m", asOf: "2026-01-01T00:00:00Z") { modelName }',
      ]) {
        const response = await api.request(aliases(500, selection));
        expect(response.status).toBe(400);
        expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
        expect(response.errors?.[0]?.message).toMatch(/too expensive/);
      }
      for (const [count, selection] of [
        [2000, 'auditReport(modelName: "m", version: 1, asOf: "2026-01-01T00:00:00Z") { modelName }'],
        [3000, 'model(modelName: "m", asOf: "2026-01-01T00:00:00Z") { modelName }'],
      ] as const) {
        const response = await api.request(aliases(count, selection));
        expect(response.status).toBe(400);
        expect(response.errors?.[0]?.extensions?.code).toMatch(/BAD_USER_INPUT|GRAPHQL_PARSE_FAILED/);
      }
      // One of each is well within the limit.
      const one = await api.request(
        '{ auditReport(modelName: "m", version: 1, asOf: "2026-01-01T00:00:00Z") { modelName } model(modelName: "m", asOf: "2026-01-01T00:00:00Z") { modelName } }',
      );
      expect(one.status).toBe(200);
      expect(one.errors).toBeUndefined();
    });

    it('answers 400, not 500, to 20k aliases and to more selections than the limit', async () => {
      const twentyThousand = await api.request(aliases(20_000, 'me { actor }'));
      expect(twentyThousand.status).toBe(400);
      // Few tokens but more than 10,000 selections once the fragment is counted where it is spread:
      // the selection limit, counted while estimating the cost.
      const fields = Array.from({ length: 100 }, (_, i) => `f${i}: actor`).join(' ');
      const sixThousand = await api.request(
        `${aliases(110, 'me { ...F }')} fragment F on Viewer { ${fields} }`,
      );
      expect(sixThousand.status).toBe(400);
      expect(sixThousand.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(sixThousand.errors?.[0]?.message).toMatch(/too many selections.*10000/);
    });

    it('answers 400 when the variables do not fit the operation (read while estimating the cost)', async () => {
      const response = await api.request('query ($n: Int!) { log(first: $n) { edges { cursor } } }', {
        n: 'many',
      });
      expect(response.status).toBe(400);
      expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    });

    it('refuses a fragment cycle with 400', async () => {
      const response = await api.request(
        'query { me { ...A } } fragment A on Viewer { actor ...B } fragment B on Viewer { ...A }',
      );
      expect(response.status).toBe(400);
      expect(response.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(response.errors?.[0]?.message).toMatch(/Cannot spread fragment "A" within itself/);
    });

    it('refuses variables nested deeper than the limit with 400, over HTTP and graphql-ws', async () => {
      const mutation =
        'mutation ($l: JSON!) { requestAugmentation(input: { datasetId: \\"d\\", lexicon: $l }) { datasetId } }';
      for (const levels of [defaultLimits.maxInputDepth + 1, 20_000]) {
        const deep = `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
        const response = await postRaw(api.server.url, `{"query":"${mutation}","variables":{"l":${deep}}}`);
        expect(response.status).toBe(400);
        expect(response.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      }
      let deep: unknown = 1;
      for (let i = 0; i < defaultLimits.maxInputDepth + 1; i++) deep = { a: deep };
      const client = api.ws();
      const refused = await new Promise<unknown>((resolve) => {
        client.subscribe(
          { query: 'subscription ($f: EventFilter) { events(filter: $f) { type } }', variables: { f: deep } },
          { next: () => {}, error: resolve, complete: () => resolve(null) },
        );
      });
      expect(JSON.stringify(refused)).toMatch(/nest deeper than the limit of 32/);
    });
  });

  describe(`GraphQL deadline (${target.name})`, () => {
    let database: TestDatabase;
    let api: Harness;

    beforeAll(async () => {
      database = await target.open();
      // A deadline no query reading the database can meet, and a cost limit that lets 100 folds in.
      api = await startHarness(database, { limits: { deadlineMs: 1, maxComplexity: 1_000_000 } });
    });
    afterAll(async () => {
      await api?.close();
      await database?.close();
    });

    it('stops a query past its deadline and answers DEADLINE_EXCEEDED with 504', async () => {
      const response = await api.request(
        aliases(100, 'model(modelName: "m", asOf: "2026-01-01T00:00:00Z") { modelName }'),
      );
      expect(response.status).toBe(504);
      expect(response.data ?? null).toBeNull();
      expect(response.errors?.[0]?.extensions?.code).toBe('DEADLINE_EXCEEDED');
      expect(response.errors?.[0]?.message).toMatch(/deadline of 1 ms/);
    });
  });

  describe(`GraphQL rate limit (${target.name})`, () => {
    let database: TestDatabase;
    let api: Harness;

    beforeAll(async () => {
      database = await target.open();
      // Three requests, then one token back every 100 s: the bucket stays empty during the test.
      api = await startHarness(database, { rateLimit: { burst: 3, requestsPerSecond: 0.01 } });
    });
    afterAll(async () => {
      await api?.close();
      await database?.close();
    });

    it('answers 429 with Retry-After once a token has spent its bucket, and leaves other tokens alone', async () => {
      const token = async (actor: string) =>
        (await api.server.tokens.create({ actor, roles: ['viewer'], createdBy: 'test' })).token;
      const [busy, other, large] = [await token('busy'), await token('other'), await token('large')];
      for (let i = 0; i < 3; i++) expect((await api.request('{ me { actor } }', {}, busy)).status).toBe(200);
      const refused = await fetch(api.server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${busy}` },
        body: JSON.stringify({ query: '{ me { actor } }' }),
      });
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      const body = (await refused.json()) as { errors: { message: string; extensions: { code: string } }[] };
      expect(body.errors[0]?.extensions.code).toBe('RATE_LIMITED');
      expect(body.errors[0]?.message).toMatch(/rate limit/);
      expect((await api.request('{ me { actor } }', {}, other)).status).toBe(200);
      // A large body takes more than one token: 40 KiB takes three, the whole bucket.
      const padded = `{ me { actor } } # ${'x'.repeat(40 * 1024)}`;
      expect((await api.request(padded, {}, large)).status).toBe(200);
      expect((await api.request('{ me { actor } }', {}, large)).status).toBe(429);
      // A document refused before it runs costs 20 times its tokens: the caller's next request waits.
      const careless = await token('careless');
      expect((await api.request('{ nope }', {}, careless)).status).toBe(400);
      expect((await api.request('{ me { actor } }', {}, careless)).status).toBe(429);
    });

    it('limits GET /reports from the same bucket: a report takes 10 tokens (here the whole bucket of 3)', async () => {
      const token = async (actor: string) =>
        (await api.server.tokens.create({ actor, roles: ['viewer'], createdBy: 'test' })).token;
      const [reader, other] = [await token('report-reader'), await token('report-other')];
      const report = (bearer: string) =>
        fetch(new URL('/reports/models/no-such-model/1', api.server.url), {
          headers: { authorization: `Bearer ${bearer}` },
        });
      expect((await report(reader)).status).toBe(404);
      const refused = await report(reader);
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(await refused.json()).toMatchObject({
        code: 'RATE_LIMITED',
        error: expect.stringMatching(/rate limit/),
      });
      // One bucket per caller across routes: the reports spent what /graphql would have used.
      expect((await api.request('{ me { actor } }', {}, reader)).status).toBe(429);
      expect((await report(other)).status).toBe(404);
    });
  });
}

describe('GraphQL subscription limits', () => {
  const [target] = databaseTargets;
  let database: TestDatabase;
  let api: Harness;

  beforeAll(async () => {
    database = await target!.open();
    // Five subscribe messages per caller, then one token back every 100 s; two open subscriptions at most.
    api = await startHarness(database, {
      rateLimit: { burst: 5, requestsPerSecond: 0.01 },
      limits: { ...defaultLimits, maxSubscriptions: 2 },
    });
  });
  afterAll(async () => {
    await api?.close();
    await database?.close();
  });

  it("counts a caller's open subscriptions over all its connections, and takes a rate-limit token per subscribe", async () => {
    const token = async (actor: string) =>
      (await api.server.tokens.create({ actor, roles: ['viewer'], createdBy: 'test' })).token;
    const [busy, other] = [await token('subscriber'), await token('other-subscriber')];
    const [first, second] = [api.ws(busy), api.ws(busy)];
    const one = await openSubscription(api, first);
    expect(one.outcome).toBe('open');
    expect((await openSubscription(api, second)).outcome).toBe('open');
    // A third, on either connection, is over the caller's limit; another caller is not affected.
    expect((await openSubscription(api, first)).outcome).toBe('RATE_LIMITED');
    expect((await openSubscription(api, api.ws(other))).outcome).toBe('open');
    // Completing one makes room again.
    const subscribers = async (count: number) => {
      for (let i = 0; i < 500 && api.server.subscriberCount() !== count; i++)
        await new Promise((resolve) => setTimeout(resolve, 10));
      expect(api.server.subscriberCount()).toBe(count);
    };
    one.stop();
    await subscribers(2);
    const again = await openSubscription(api, first);
    expect(again.outcome).toBe('open');
    again.stop();
    await subscribers(2);
    // Four subscribe messages so far, the refused one included: the fifth is the last the bucket holds,
    // and the sixth is refused by the rate limit, not by the count (one open).
    expect((await openSubscription(api, second)).outcome).toBe('open');
    const sixth = await openSubscription(api, first);
    expect(sixth.outcome).toBe('RATE_LIMITED');
    expect(sixth.message).toMatch(/rate limit is spent/);
  });
});
