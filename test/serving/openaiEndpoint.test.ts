import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InteractionRecorded } from '../../src/domain/index.js';
import { TokenStore } from '../../src/graphql/index.js';
import { DEPLOY, eventually, startTestPlatform, type TestPlatform } from './platform.js';
import { compileGenerationThread } from './support.js';

const DEPLOYMENT = 'assistant-chat';
let platform: TestPlatform;
let client: OpenAI;

beforeAll(async () => {
  const threadEntry = compileGenerationThread();
  platform = await startTestPlatform(threadEntry, {
    adapters: [0],
    serving: {
      pool: { threads: 1, maxBatch: 2, maxQueue: 2, threadEntry },
      // Short, so the revocation test sees the cache expire.
      authCacheMs: 400,
      outputFilter: {
        blocklist: ['forbidden'],
        patterns: [{ name: 'zeds', pattern: 'zzzz' }],
        refusal: 'Refused by policy.',
      },
      classifiers: [
        { name: 'no-q', classify: (text) => ({ blocked: text.includes('qqqq'), reason: 'q-run' }) },
      ],
      // The serving PII policy: IBANs get joinable pseudonyms, IPv4 addresses are kept, the rest redacted.
      piiRedaction: { policy: { iban: 'pseudonymise', ipv4: 'keep' }, key: 'serving-test-key-0123' },
    },
  });
  const deployed = await platform.gql(
    DEPLOY,
    { name: DEPLOYMENT, model: 'assistant', version: 1 },
    platform.tokens.approver,
  );
  expect(deployed.errors).toBeUndefined();
  await eventually(() => platform.serving.host.active(DEPLOYMENT), 'the deploy worker to activate v1');
  client = new OpenAI({ apiKey: platform.tokens.app, baseURL: `${platform.baseUrl}/v1`, maxRetries: 0 });
}, 120_000);

afterAll(async () => {
  await platform?.close();
});

describe('the OpenAI-compatible endpoint, through the official openai client', () => {
  it('lists the active deployment as a model', async () => {
    const models = await client.models.list();
    expect(models.data.map((m) => [m.id, m.owned_by])).toEqual([[DEPLOYMENT, 'assistant v1']]);
  });

  it('answers a chat completion, and streams the same answer as server-sent events', async () => {
    const request = {
      model: DEPLOYMENT,
      messages: [{ role: 'user' as const, content: 'Name a colour.' }],
      max_tokens: 8,
    };
    const whole = await client.chat.completions.create(request);
    expect(whole.id).toMatch(/^chatcmpl-/);
    expect(whole.object).toBe('chat.completion');
    expect(whole.usage?.completion_tokens).toBeGreaterThan(0);
    expect(whole.usage!.total_tokens).toBe(whole.usage!.prompt_tokens + whole.usage!.completion_tokens);
    const text = whole.choices[0]!.message.content!;
    expect(text.length).toBeGreaterThan(0);

    const stream = await client.chat.completions.create({
      ...request,
      stream: true,
      stream_options: { include_usage: true },
    });
    const parts: string[] = [];
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined | null;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      if (chunk.usage) usage = chunk.usage;
      for (const choice of chunk.choices) {
        if (choice.delta.content) parts.push(choice.delta.content);
        if (choice.finish_reason) finish = choice.finish_reason;
      }
    }
    // Greedy decoding: the streamed pieces put together are the answer the plain request got.
    expect(parts.join('')).toBe(text);
    expect(chunks).toBeGreaterThan(2);
    expect(['stop', 'length']).toContain(finish);
    expect(usage?.completion_tokens).toBe(whole.usage!.completion_tokens);
  });

  it('serves text completions, plain and streamed', async () => {
    const plain = await client.completions.create({
      model: DEPLOYMENT,
      prompt: 'Once upon a time',
      max_tokens: 6,
    });
    expect(plain.object).toBe('text_completion');
    const streamed = await client.completions.create({
      model: DEPLOYMENT,
      prompt: 'Once upon a time',
      max_tokens: 6,
      stream: true,
    });
    let text = '';
    for await (const chunk of streamed) text += chunk.choices[0]?.text ?? '';
    expect(text).toBe(plain.choices[0]!.text);
  });

  it('refuses a bad token (401) and an unknown deployment (404) with OpenAI-shaped errors', async () => {
    const stranger = new OpenAI({
      apiKey: 'tl_000000000000_nope',
      baseURL: `${platform.baseUrl}/v1`,
      maxRetries: 0,
    });
    await expect(stranger.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    await expect(
      client.chat.completions.create({ model: 'nowhere', messages: [{ role: 'user', content: 'hi' }] }),
    ).rejects.toMatchObject({ status: 404, code: 'model_not_found' });
    await expect(
      client.chat.completions.create({ model: DEPLOYMENT, messages: [], max_tokens: 2 }),
    ).rejects.toMatchObject({ status: 400 });
  });

  it('refuses a prompt longer than the context with context_length_exceeded, as OpenAI does, and records nothing', async () => {
    // The test model's context is 256 tokens of a byte-level tokenizer.
    const long = `Summarise this: ${'lorem ipsum '.repeat(2000)}`;
    const refusal = {
      status: 400,
      code: 'context_length_exceeded',
      type: 'invalid_request_error',
      param: 'messages',
    };
    const messages = [{ role: 'user' as const, content: long }];
    const plain = client.chat.completions.create({ model: DEPLOYMENT, messages });
    await expect(plain).rejects.toMatchObject(refusal);
    await expect(plain).rejects.toThrow(/This model's maximum context length is 256 tokens/);
    // Streamed: still a 400 before any event, not a stream that breaks off.
    await expect(
      client.chat.completions.create({ model: DEPLOYMENT, messages, stream: true }),
    ).rejects.toMatchObject(refusal);
    await expect(
      client.completions.create({ model: DEPLOYMENT, prompt: long, max_tokens: 4 }),
    ).rejects.toMatchObject({ ...refusal, param: 'prompt' });
    // A prompt that fits, but not with the completion asked for (OpenAI's rule): refused too.
    const fits = [{ role: 'user' as const, content: 'x'.repeat(50) }];
    await expect(
      client.chat.completions.create({ model: DEPLOYMENT, messages: fits, max_tokens: 200 }),
    ).rejects.toMatchObject(refusal);
    // Without max_tokens the answer gets what the context leaves.
    const answered = await client.chat.completions.create({ model: DEPLOYMENT, messages: fits });
    expect(answered.usage!.prompt_tokens).toBeGreaterThan(50);
    expect(answered.usage!.prompt_tokens + answered.usage!.completion_tokens).toBeLessThanOrEqual(256);
    // The answered request is recorded; the refused ones never are.
    const id = answered.id.replace(/^chatcmpl-/, '');
    await eventually(
      async () => (await recordedInteractions()).some((i) => i.interactionId === id) || undefined,
      'the answered interaction to be recorded',
    );
    expect((await recordedInteractions()).filter((i) => i.prompt.includes('lorem ipsum'))).toEqual([]);
  });

  it('keeps a token in use checked in the background, and refuses it once revoked in another process', async () => {
    const created = await platform.graphql.tokens.create({
      actor: 'short-lived',
      roles: ['viewer'],
      createdBy: 'test',
    });
    const models = () =>
      fetch(`${platform.baseUrl}/v1/models`, { headers: { authorization: `Bearer ${created.token}` } });
    // In steady use across several cache periods (400 ms), the token keeps working.
    const until = Date.now() + 1_000;
    while (Date.now() < until) {
      expect((await models()).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // Revoked by another TokenStore on the same database (as `tuneledger token revoke` does): this process
    // hears nothing, so the token is refused once its cache time is over.
    expect(await new TokenStore(platform.database.db).revoke(created.tokenId)).toBe(true);
    await eventually(
      async () => ((await models()).status === 401 ? true : undefined),
      'the revoked token refused',
    );
    // Refused from then on, not only once.
    for (let i = 0; i < 3; i++) expect((await models()).status).toBe(401);
  });

  it('refuses a token revoked through this server from the next request on', async () => {
    const created = await platform.graphql.tokens.create({
      actor: 'revoked',
      roles: ['viewer'],
      createdBy: 'test',
    });
    const chat = () =>
      fetch(`${platform.baseUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${created.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          model: DEPLOYMENT,
          messages: [{ role: 'user', content: 'hi' }],
          max_tokens: 1,
        }),
      });
    expect((await chat()).status).toBe(200);
    // Checked and cached just now: without word of the revocation it would be trusted for 400 ms more.
    expect(await platform.graphql.tokens.revoke(created.tokenId)).toBe(true);
    const refused = await chat();
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toContain('revoked');
  });

  it('replaces a blocked answer by the refusal and flags it, in plain and streamed answers', async () => {
    // The tiny base repeats the prompt's last character, so a prompt ending in "z" makes "zzzz...".
    const plain = await client.completions.create({ model: DEPLOYMENT, prompt: 'buzz', max_tokens: 8 });
    expect(plain.choices[0]).toMatchObject({ text: 'Refused by policy.', finish_reason: 'content_filter' });
    const streamed = await client.completions.create({
      model: DEPLOYMENT,
      prompt: 'buzz',
      max_tokens: 8,
      stream: true,
    });
    let text = '';
    let finish: string | null | undefined;
    for await (const chunk of streamed) {
      text += chunk.choices[0]?.text ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(text).not.toContain('zzzz');
    expect(text).toContain('Refused by policy.');
    expect(finish).toBe('content_filter');
    const classified = await client.completions.create({ model: DEPLOYMENT, prompt: 'Iraq', max_tokens: 8 });
    expect(classified.choices[0]!.text).toBe('Refused by policy.');
    // Streamed, a classifier judges the text before it is sent: no "qqqq" ever reaches the client, and what
    // went out before the refusal (text the classifier let through) was sent in parts as it was judged.
    const classifiedStream = await client.completions.create({
      model: DEPLOYMENT,
      prompt: 'Iraq',
      max_tokens: 32,
      stream: true,
    });
    const parts: string[] = [];
    let classifiedFinish: string | null | undefined;
    for await (const chunk of classifiedStream) {
      parts.push(chunk.choices[0]?.text ?? '');
      classifiedFinish = chunk.choices[0]?.finish_reason ?? classifiedFinish;
    }
    expect(parts.join('')).not.toContain('qqqq');
    expect(parts.join('')).toContain('Refused by policy.');
    expect(classifiedFinish).toBe('content_filter');
    await platform.serving.recorder.flush();
    const filtered = await recordedInteractions();
    expect(filtered.map((i) => i.filtered?.rule)).toEqual(
      expect.arrayContaining(['pattern:zeds', 'classifier:no-q:q-run']),
    );
  });

  it('redacts PII before the model and the log: no planted value reaches any event', async () => {
    const planted = ['jane.doe@example.com', '+1 415 555 0134', '4111 1111 1111 1111'];
    const answer = await client.chat.completions.create({
      model: DEPLOYMENT,
      messages: [
        { role: 'system', content: `Escalate to ${planted[0]}.` },
        { role: 'user', content: `Call me on ${planted[1]}, card ${planted[2]}.` },
      ],
      max_tokens: 4,
    });
    await platform.serving.recorder.flush();
    const interactionId = answer.id.replace('chatcmpl-', '');
    const recorded = (await recordedInteractions()).find((i) => i.interactionId === interactionId);
    expect(recorded?.prompt).toContain('[EMAIL]');
    expect(recorded?.prompt).toContain('[PHONE]');
    expect(recorded?.filtered).toMatchObject({ stage: 'input' });
    const log = JSON.stringify(await readWholeLog());
    for (const value of planted) expect(log).not.toContain(value);
  });

  it('applies the serving PII policy: a pseudonym for an IBAN, an IP address kept, an SSN redacted', async () => {
    const answer = await client.completions.create({
      model: DEPLOYMENT,
      prompt: 'Pay DE89 3704 0044 0532 0130 00 from 10.1.2.3, SSN 123-45-6789',
      max_tokens: 3,
    });
    await platform.serving.recorder.flush();
    const interactionId = answer.id.replace('cmpl-', '');
    const recorded = (await recordedInteractions()).find((i) => i.interactionId === interactionId);
    expect(recorded?.prompt).toMatch(/^Pay \[IBAN:[0-9a-f]{8}\] from 10\.1\.2\.3, SSN \[SSN\]$/);
    expect(JSON.stringify(await readWholeLog())).not.toContain('DE89 3704');
  });

  it('takes feedback on a served interaction through POST /v1/feedback', async () => {
    const answer = await client.chat.completions.create({
      model: DEPLOYMENT,
      messages: [{ role: 'user', content: 'Hello' }],
      max_tokens: 3,
    });
    // No flush first: the endpoint waits for the batched capture of this interaction itself.
    const posted = await postFeedback({ id: answer.id, rating: 4 });
    expect(posted.status).toBe(201);
    const interactionId = answer.id.replace('chatcmpl-', '');
    const events = await platform.store.readStream(`interaction-${interactionId}`);
    expect(events.map((e) => e.type)).toEqual(['InteractionRecorded', 'FeedbackLabeled']);
    expect(events[1]!.data).toMatchObject({ label: { kind: 'rating', value: 4 }, labeler: 'chat-app' });
    expect((await postFeedback({ id: answer.id, rating: 9 })).status).toBe(400);
    // A correction teaches the model: a serving client's (viewer) token may not send one; an engineer's may.
    const refused = await postFeedback({ id: answer.id, correction: 'Say hi.' });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe(
      'labeler_role_not_allowed',
    );
    expect(await platform.store.readStream(`interaction-${interactionId}`)).toHaveLength(2);
    const corrected = await postFeedback({ id: answer.id, correction: 'Say hi.' }, platform.tokens.engineer);
    expect(corrected.status).toBe(201);
    expect((await platform.store.readStream(`interaction-${interactionId}`))[2]!.data).toMatchObject({
      label: { kind: 'correction', text: 'Say hi.' },
      labeler: 'eli',
      labelerRole: 'engineer',
    });

    // Through GraphQL too, at once: labelFeedback waits for the batched capture of what it labels.
    const next = await client.chat.completions.create({
      model: DEPLOYMENT,
      messages: [{ role: 'user', content: 'Hello again' }],
      max_tokens: 3,
    });
    const labelled = await platform.gql(
      'mutation($i: ID!) { labelFeedback(interactionId: $i, label: { thumbs: UP }) { eventTypes } }',
      { i: next.id.replace('chatcmpl-', '') },
      platform.tokens.engineer,
    );
    expect(labelled.errors).toBeUndefined();
    expect(labelled.data).toEqual({ labelFeedback: { eventTypes: ['FeedbackLabeled'] } });
    expect((await postFeedback({ interaction_id: 'never-served', thumbs: 'up' })).status).toBe(404);
  });

  it('answers 503 with Retry-After when the generation queue is full, and serves the rest', async () => {
    const { responses } = await saturate();
    const statuses = responses.map((r) => r.status);
    expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);
    // A batch of two generating plus two queued: the pool holds four at a time, so a wave of six serves at least four.
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(4);
    const refused = responses.filter((r) => r.status === 503);
    expect(refused[0]!.headers.get('retry-after')).toBe('1');
    expect(((await refused[0]!.json()) as { error: { code: string } }).error.code).toBe('queue_full');
  });

  it('stops generating for a client that went away mid-stream', async () => {
    const controller = new AbortController();
    const stream = await client.completions.create(
      { model: DEPLOYMENT, prompt: 'Go on', max_tokens: 240, stream: true },
      { signal: controller.signal },
    );
    try {
      for await (const chunk of stream) if (chunk.choices[0]?.text) controller.abort();
    } catch {
      // The client reports the abort its own way (an error or the end of the iteration).
    }
    expect(controller.signal.aborted).toBe(true);
    await eventually(
      () => (platform.serving.pool.busy() === 0 ? true : undefined),
      'the thread to be free',
      10_000,
    );
    await platform.serving.recorder.flush();
    const last = (await recordedInteractions()).filter((i) => i.response !== '').at(-1)!;
    expect(last.tokens.completion).toBeLessThan(240);
  });

  it('exports Prometheus metrics at /metrics', async () => {
    const refusedBefore = await refusedCount();
    const { refused } = await saturate();
    expect(await refusedCount()).toBe(refusedBefore + refused);
    const response = await fetch(`${platform.baseUrl}/metrics`);
    const text = await response.text();
    expect(response.headers.get('content-type')).toContain('text/plain');
    expect(text).toMatch(
      /tuneledger_serving_requests_total\{deployment="assistant-chat",endpoint="chat",status="200"\} \d+/,
    );
    expect(text).toContain(
      'tuneledger_serving_active_version{deployment="assistant-chat",model="assistant"} 1',
    );
    expect(text).toMatch(/tuneledger_serving_filter_hits_total\{stage="input",rule="pii:email"\} 1/);
    expect(text).toMatch(
      /tuneledger_serving_tokens_total\{deployment="assistant-chat",kind="completion"\} \d+/,
    );
    expect(text).toContain('tuneledger_serving_request_duration_seconds_bucket');
  });
});

async function postFeedback(body: Record<string, unknown>, token = platform.tokens.app): Promise<Response> {
  return fetch(`${platform.baseUrl}/v1/feedback`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
}

async function readWholeLog() {
  const events = [];
  let checkpoint = '';
  for (;;) {
    const page = await platform.store.readAll(checkpoint, 1000);
    events.push(...page.events);
    if (page.events.length === 0) return events;
    checkpoint = page.checkpoint;
  }
}

async function recordedInteractions(): Promise<InteractionRecorded['data'][]> {
  return (await readWholeLog())
    .filter((e) => e.type === 'InteractionRecorded')
    .map((e) => e.data as InteractionRecorded['data']);
}

/** The count of requests refused with 503 so far, as /metrics exports it (0 before the first). */
async function refusedCount(): Promise<number> {
  const text = await (await fetch(`${platform.baseUrl}/metrics`)).text();
  const line =
    /tuneledger_serving_requests_total\{deployment="assistant-chat",endpoint="chat",status="503"\} (\d+)/.exec(
      text,
    );
  return line ? Number(line[1]) : 0;
}

/**
 * Sends waves of six concurrent chat requests until one of them is turned away: whether a wave finds the pool
 * full depends on how fast the thread answers, so the test waits for the condition instead of counting on it.
 */
async function saturate(): Promise<{ responses: Response[]; refused: number }> {
  const send = () =>
    fetch(`${platform.baseUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${platform.tokens.app}` },
      body: JSON.stringify({
        model: DEPLOYMENT,
        messages: [{ role: 'user', content: 'Tell me a story' }],
        max_tokens: 60,
      }),
    });
  let refused = 0;
  for (let wave = 0; wave < 20; wave++) {
    const responses = await Promise.all(Array.from({ length: 6 }, send));
    const inWave = responses.filter((r) => r.status === 503).length;
    refused += inWave;
    if (inWave > 0) return { responses, refused };
    await Promise.all(responses.map((r) => r.arrayBuffer()));
  }
  throw new Error(
    '20 waves of 6 concurrent requests never filled a pool of one thread (batch of 2) and a queue of 2',
  );
}
