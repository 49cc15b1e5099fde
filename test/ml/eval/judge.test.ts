import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { judgePredictions, parseJudgeReply, type JudgeItem } from '../../../src/ml/eval/index.js';

// A local OpenAI-compatible endpoint whose reply depends on the prediction being judged.
const replies: Record<string, { status: number; body: string }> = {
  good: { status: 200, body: completion('{"score": 8, "reason": "correct and grounded"}') },
  fenced: {
    status: 200,
    body: completion('Here you go:\n```json\n{"score": 3, "reason": "wrong city"}\n```'),
  },
  prose: { status: 200, body: completion('I would give it about eight out of ten.') },
  outOfRange: { status: 200, body: completion('{"score": 42, "reason": "?"}') },
  notJson: { status: 200, body: '<html>gateway</html>' },
  noChoices: { status: 200, body: '{"object": "chat.completion"}' },
  serverError: { status: 500, body: '{"error": "overloaded"}' },
};

function completion(content: string): string {
  return JSON.stringify({
    object: 'chat.completion',
    choices: [{ index: 0, message: { role: 'assistant', content } }],
  });
}

let server: Server;
let url: string;
const seen: { authorization?: string; model?: string; path?: string }[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const parsed = JSON.parse(body) as { model: string; messages: { content: string }[] };
      seen.push({ authorization: request.headers.authorization, model: parsed.model, path: request.url });
      const user = parsed.messages[1]!.content;
      const key = /Response to grade:\n(\w+)/.exec(user)?.[1] ?? 'serverError';
      const reply = replies[key] ?? replies.serverError!;
      response.writeHead(reply.status, { 'content-type': 'application/json' });
      response.end(reply.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const item = (prediction: string): JudgeItem => ({
  id: prediction,
  instruction: 'Capital of France?',
  references: ['Paris'],
  prediction,
});

describe('LLM judge over an OpenAI-compatible endpoint', () => {
  it('counts good, malformed and failed replies without throwing', async () => {
    const summary = await judgePredictions(Object.keys(replies).map(item), {
      url,
      model: 'judge-model',
      apiKey: 'sk-test',
      concurrency: 3,
    });
    const byId = Object.fromEntries(summary.verdicts.map((verdict) => [verdict.id, verdict.status]));
    expect(byId).toEqual({
      good: 'ok',
      fenced: 'ok',
      prose: 'malformed',
      outOfRange: 'malformed',
      notJson: 'malformed',
      noChoices: 'malformed',
      serverError: 'error',
    });
    expect(summary).toMatchObject({ judged: 2, malformed: 4, errors: 1, meanScore: 5.5 });
    expect(seen[0]).toMatchObject({
      authorization: 'Bearer sk-test',
      model: 'judge-model',
      path: '/v1/chat/completions',
    });
  });

  it('reports an unreachable endpoint as an error', async () => {
    const summary = await judgePredictions([item('good')], {
      url: 'http://127.0.0.1:9/v1',
      model: 'm',
      timeoutMs: 2000,
    });
    expect(summary).toMatchObject({ judged: 0, errors: 1, meanScore: null });
  });

  it('parses replies leniently but checks the score range', () => {
    expect(parseJudgeReply('{"score": "7", "reason": "ok"}', 1, 10)).toEqual({ score: 7, reason: 'ok' });
    expect(parseJudgeReply('Verdict: {"score": 2} thanks', 1, 10)).toEqual({ score: 2, reason: '' });
    expect(parseJudgeReply('{"score": 0}', 1, 10)).toBeUndefined();
    expect(parseJudgeReply('{"reason": "no score"}', 1, 10)).toBeUndefined();
  });
});
