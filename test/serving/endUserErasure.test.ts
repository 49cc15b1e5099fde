/**
 * Erasure per end user: two end users (OpenAI's request `user`) served through one API token, with the log
 * encrypted as on the platform. Forgetting one erases exactly that user's prompts and responses (read model,
 * the log over GraphQL, an audit snapshot), while the other user's, and the token's own unnamed traffic, stay
 * readable. A bad `user` is a 400 that records nothing.
 */
import OpenAI from 'openai';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamSnapshots } from '../../src/graphql/audit/streamSnapshots.js';
import { ERASED } from '../../src/privacy/index.js';
import { DEPLOY, eventually, startTestPlatform, type TestPlatform } from './platform.js';
import { compileGenerationThread } from './support.js';

const DEPLOYMENT = 'assistant-chat';
let platform: TestPlatform;
let client: OpenAI;
let adminToken: string;

beforeAll(async () => {
  const threadEntry = compileGenerationThread();
  platform = await startTestPlatform(threadEntry, {
    adapters: [0],
    shredding: true,
    serving: { pool: { threads: 1, maxQueue: 8, threadEntry } },
  });
  const deployed = await platform.gql(
    DEPLOY,
    { name: DEPLOYMENT, model: 'assistant', version: 1 },
    platform.tokens.approver,
  );
  expect(deployed.errors).toBeUndefined();
  await eventually(() => platform.serving.host.active(DEPLOYMENT), 'the deploy worker to activate v1');
  client = new OpenAI({ apiKey: platform.tokens.app, baseURL: `${platform.baseUrl}/v1`, maxRetries: 0 });
  adminToken = (await platform.graphql.tokens.create({ actor: 'dpo', roles: ['admin'], createdBy: 'test' }))
    .token;
}, 120_000);

afterAll(async () => {
  await platform?.close();
});

type Row = { interaction_id: string; prompt: string; response: string };
const rows = async (ids: readonly string[]) =>
  new Map(
    (
      await sql<Row>`SELECT interaction_id, prompt, response FROM interactions
        WHERE interaction_id IN (${sql.join(ids)})`.execute(platform.database.db)
    ).rows.map((row) => [row.interaction_id, row]),
  );
const interactionEvents = async () =>
  Number(
    (
      await sql<{ n: string }>`SELECT count(*) AS n FROM events WHERE type = 'InteractionRecorded'`.execute(
        platform.database.db,
      )
    ).rows[0]!.n,
  );
const logQuery = `query($s: String!) { log(first: 10, filter: { streamPrefixes: [$s] }) {
  edges { node { type data } } } }`;
const loggedInteraction = async (interactionId: string) => {
  const response = await platform.gql<{ log: { edges: { node: { type: string; data: unknown } }[] } }>(
    logQuery,
    { s: `interaction-${interactionId}` },
    adminToken,
  );
  expect(response.errors).toBeUndefined();
  return response.data!.log.edges.find((edge) => edge.node.type === 'InteractionRecorded')!.node.data as {
    prompt: string;
    response: string;
    subjectId?: string;
  };
};

describe("OpenAI's `user` names the data subject of a served interaction", () => {
  it('refuses a bad user with a 400 that says why, and records nothing', async () => {
    await platform.serving.recorder.flush();
    const before = await interactionEvents();
    const request = {
      model: DEPLOYMENT,
      messages: [{ role: 'user' as const, content: 'hi' }],
      max_tokens: 2,
    };
    for (const [user, why] of [
      ['', /user: .*empty/],
      ['   ', /user: .*empty/],
      ['u'.repeat(201), /user: .*200/],
    ] as const) {
      const error = await client.chat.completions.create({ ...request, user }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OpenAI.BadRequestError);
      expect((error as InstanceType<typeof OpenAI.BadRequestError>).message).toMatch(why);
    }
    const completion = await client.completions
      .create({ model: DEPLOYMENT, prompt: 'hi', max_tokens: 2, user: '' })
      .catch((e: unknown) => e);
    expect(completion).toBeInstanceOf(OpenAI.BadRequestError);
    // Not a string: the client's types forbid it, so over plain HTTP.
    const raw = await fetch(`${platform.baseUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${platform.tokens.app}` },
      body: JSON.stringify({ ...request, user: 42 }),
    });
    expect(raw.status).toBe(400);
    expect(((await raw.json()) as { error: { message: string } }).error.message).toMatch(/^user: /);
    await platform.serving.recorder.flush();
    expect(await interactionEvents()).toBe(before);
  });

  it("forgetting one end user erases exactly that user's exchanges; the other's stay readable", async () => {
    const chat = async (user: string | undefined, content: string) => {
      const answer = await client.chat.completions.create({
        model: DEPLOYMENT,
        messages: [{ role: 'user', content }],
        max_tokens: 4,
        ...(user !== undefined ? { user } : {}),
      });
      return { id: answer.id.replace(/^chatcmpl-/, ''), text: answer.choices[0]!.message.content! };
    };
    const ann = await chat('end-user-ann', 'ann-secret-question');
    const annText = await client.completions.create({
      model: DEPLOYMENT,
      prompt: 'ann-secret-completion',
      max_tokens: 4,
      user: 'end-user-ann',
    });
    const annCompletion = annText.id.replace(/^cmpl-/, '');
    const ben = await chat('end-user-ben', 'ben-question');
    const unnamed = await chat(undefined, 'app-question');
    const ids = [ann.id, annCompletion, ben.id, unnamed.id];
    await platform.serving.recorder.flush();
    await eventually(async () => ((await rows(ids)).size === 4 ? true : undefined), 'the read model');

    // Each exchange's key is its end user's; without a user, the token's actor's.
    const keys = await sql<{ subject_id: string }>`SELECT subject_id FROM subject_keys`.execute(
      platform.database.db,
    );
    expect(keys.rows.map((row) => row.subject_id)).toEqual(
      expect.arrayContaining(['end-user-ann', 'end-user-ben', 'chat-app']),
    );
    const stored = (
      await sql<{
        data: string;
      }>`SELECT data::text AS data FROM events WHERE type = 'InteractionRecorded'`.execute(
        platform.database.db,
      )
    ).rows
      .map((row) => row.data)
      .join('\n');
    expect(stored).not.toContain('secret');
    expect((await loggedInteraction(ann.id)).subjectId).toBe('end-user-ann');
    expect((await loggedInteraction(unnamed.id)).subjectId).toBeUndefined();

    const forgotten = await platform.gql<{ forgetSubject: { id: string } }>(
      `mutation { forgetSubject(subjectId: "end-user-ann", reason: "GDPR Art. 17 request") { id } }`,
      {},
      adminToken,
    );
    expect(forgotten.errors).toBeUndefined();

    // The read model: both of Ann's exchanges erased, Ben's and the app's own as they were.
    const after = await eventually(async () => {
      const current = await rows(ids);
      return current.get(ann.id)!.prompt === ERASED ? current : undefined;
    }, 'the projection to apply the erasure');
    for (const id of [ann.id, annCompletion])
      expect(after.get(id)).toMatchObject({ prompt: ERASED, response: ERASED });
    expect(after.get(ben.id)).toMatchObject({ prompt: 'user: ben-question', response: ben.text });
    expect(after.get(unnamed.id)).toMatchObject({ prompt: 'user: app-question', response: unnamed.text });

    // The log as GraphQL exports it, and an audit snapshot, read the same.
    expect(await loggedInteraction(annCompletion)).toMatchObject({ prompt: ERASED, response: ERASED });
    expect(await loggedInteraction(ben.id)).toMatchObject({
      prompt: 'user: ben-question',
      response: ben.text,
    });
    const audited = await new StreamSnapshots().read(
      { store: platform.platformStore, db: platform.database.db },
      [`interaction-${ann.id}`, `interaction-${ben.id}`],
    );
    for (const stream of audited.values()) expect(stream.integrity.ok).toBe(true);
    const annAudit = JSON.stringify(audited.get(`interaction-${ann.id}`)!.events);
    expect(annAudit).toContain(ERASED);
    expect(annAudit).not.toContain('ann-secret');
    expect(JSON.stringify(audited.get(`interaction-${ben.id}`)!.events)).toContain('ben-question');
  });
  it("a label's `user` on POST /v1/feedback is the subject of its correction: forgetting that user erases it", async () => {
    const answer = await client.chat.completions.create({
      model: DEPLOYMENT,
      messages: [{ role: 'user', content: 'cal-question' }],
      max_tokens: 4,
      user: 'end-user-cal',
    });
    const id = answer.id;
    const interactionId = id.replace(/^chatcmpl-/, '');
    const feedback = (body: Record<string, unknown>) =>
      fetch(`${platform.baseUrl}/v1/feedback`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${platform.tokens.engineer}` },
        body: JSON.stringify({ id, ...body }),
      });
    const labels = async () =>
      (
        await sql<{
          correction: string | null;
          labeler: string;
        }>`SELECT correction, labeler FROM feedback_labels
          WHERE interaction_id = ${interactionId} ORDER BY labeled_at, event_id`.execute(platform.database.db)
      ).rows;

    // A bad user is refused as on the completions, and records nothing.
    for (const [user, why] of [
      ['  ', /user: .*empty/],
      ['u'.repeat(201), /user: .*200/],
      [42, /^user: /],
    ] as const) {
      const refused = await feedback({ correction: 'never recorded', user });
      expect(refused.status).toBe(400);
      expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(why);
    }
    expect((await feedback({ correction: 'cal-secret-correction', user: 'end-user-cal' })).status).toBe(201);
    expect((await feedback({ correction: 'eli-own-correction' })).status).toBe(201);
    await eventually(async () => ((await labels()).length === 2 ? true : undefined), 'the read model');

    // The event names the end user as its subject; without `user`, none (the token's actor, eli, is).
    const logged = await platform.gql<{ log: { edges: { node: { type: string; data: unknown } }[] } }>(
      logQuery,
      { s: `interaction-${interactionId}` },
      adminToken,
    );
    expect(logged.errors).toBeUndefined();
    const labeled = logged
      .data!.log.edges.filter((edge) => edge.node.type === 'FeedbackLabeled')
      .map((edge) => edge.node.data as { subjectId?: string; label: { text?: string } });
    expect(labeled).toHaveLength(2);
    expect(labeled[0]).toMatchObject({ subjectId: 'end-user-cal', label: { text: 'cal-secret-correction' } });
    expect(labeled[1]!.subjectId).toBeUndefined();
    const stored = (
      await sql<{
        data: string;
      }>`SELECT data::text AS data FROM events WHERE type = 'FeedbackLabeled'`.execute(platform.database.db)
    ).rows
      .map((row) => row.data)
      .join('\n');
    expect(stored).not.toContain('cal-secret');

    const forgotten = await platform.gql<{ forgetSubject: { id: string } }>(
      `mutation { forgetSubject(subjectId: "end-user-cal", reason: "GDPR Art. 17 request") { id } }`,
      {},
      adminToken,
    );
    expect(forgotten.errors).toBeUndefined();
    const after = await eventually(async () => {
      const current = await labels();
      return current[0]?.correction === ERASED ? current : undefined;
    }, 'the projection to erase the correction');
    // Cal's correction is gone with the exchange; the engineer's own, on the same interaction, stays.
    expect(after[1]).toMatchObject({ correction: 'eli-own-correction', labeler: 'eli' });
    expect((await loggedInteraction(interactionId)).prompt).toBe(ERASED);
    const relogged = await platform.gql<{ log: { edges: { node: { type: string; data: unknown } }[] } }>(
      logQuery,
      { s: `interaction-${interactionId}` },
      adminToken,
    );
    const texts = relogged
      .data!.log.edges.filter((edge) => edge.node.type === 'FeedbackLabeled')
      .map((edge) => (edge.node.data as { label: { text?: string } }).label.text);
    expect(texts).toEqual([ERASED, 'eli-own-correction']);
  });
});
