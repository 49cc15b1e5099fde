/**
 * The API client of workers with no database: a call made while the API is away is retried with backoff
 * until the API answers; a domain refusal comes back as the services' DomainError; other refusals are not
 * retried. A real HTTP server on loopback stands in for the platform's /graphql.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { isDomainError } from '../../../src/domain/index.js';
import { ApiClient, ApiRequestError } from '../../../src/workers/index.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

function listen(port: number, answer: (body: string) => unknown, status = 200): Promise<Server> {
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(answer(body)));
    });
  });
  servers.push(server);
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

const urlOf = (server: Server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

async function freePort(): Promise<number> {
  const server = await listen(0, () => ({}));
  const port = (server.address() as AddressInfo).port;
  servers.splice(servers.indexOf(server), 1);
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('ApiClient', () => {
  it('retries a call while nothing listens, with the same body, until the API comes up', async () => {
    const port = await freePort();
    const client = new ApiClient({
      url: `http://127.0.0.1:${port}`,
      token: 't',
      initialBackoffMs: 50,
      maxBackoffMs: 200,
    });
    const bodies: string[] = [];
    const call = client.graphql<{ ok: boolean }>('mutation Ping($key: String) { ping(key: $key) }', {
      key: 'k-1',
    });
    await new Promise((resolve) => setTimeout(resolve, 400));
    await listen(port, (body) => {
      bodies.push(body);
      return { data: { ok: true } };
    });
    await expect(call).resolves.toEqual({ ok: true });
    expect(bodies).toHaveLength(1);
    expect(JSON.parse(bodies[0]!).variables).toEqual({ key: 'k-1' });
  });

  it('retries DATABASE_UNAVAILABLE, and gives up on a 503 after retryForMs', async () => {
    let calls = 0;
    const server = await listen(0, () => {
      calls++;
      return calls < 3
        ? { errors: [{ message: 'down', extensions: { code: 'DATABASE_UNAVAILABLE' } }] }
        : { data: { ok: 1 } };
    });
    const client = new ApiClient({ url: urlOf(server), token: 't', initialBackoffMs: 20, maxBackoffMs: 50 });
    await expect(client.graphql('query Q { ok }')).resolves.toEqual({ ok: 1 });
    expect(calls).toBe(3);

    const unavailable = await listen(0, () => ({}), 503);
    const impatient = new ApiClient({
      url: urlOf(unavailable),
      token: 't',
      initialBackoffMs: 20,
      retryForMs: 150,
    });
    await expect(impatient.graphql('query Q { ok }')).rejects.toThrow(/stayed unreachable/);
  });

  it('turns a domain refusal into a DomainError and does not retry refusals', async () => {
    let calls = 0;
    // A refusal by the run's state: the payload's userErrors, in data.
    const server = await listen(0, () => {
      calls++;
      return {
        data: {
          claimTrainingRun: {
            streamId: null,
            userErrors: [
              {
                code: 'RUN_ALREADY_CLAIMED',
                message: 'run r1 is held by gpu-box-a',
                details: { leaseUntil: '2026-01-01T00:00:00Z' },
              },
            ],
          },
        },
      };
    });
    const client = new ApiClient({ url: urlOf(server), token: 't' });
    const error: unknown = await client.graphql('mutation Claim { claim }').catch((e: unknown) => e);
    expect(isDomainError(error) && error.code).toBe('RUN_ALREADY_CLAIMED');
    expect(isDomainError(error) && error.details['leaseUntil']).toBe('2026-01-01T00:00:00Z');
    expect(calls).toBe(1);
    // A refusal of the caller (a lease another worker holds) stays a GraphQL error with its domainCode.
    const notHolder = await listen(0, () => ({
      errors: [
        {
          message: 'gpu-box-b does not hold run r1',
          extensions: { code: 'FORBIDDEN', domainCode: 'RUN_NOT_LEASE_HOLDER', runId: 'r1' },
        },
      ],
    }));
    const lost: unknown = await new ApiClient({ url: urlOf(notHolder), token: 't' })
      .graphql('mutation Beat { heartbeat }')
      .catch((e: unknown) => e);
    expect(isDomainError(lost) && lost.code).toBe('RUN_NOT_LEASE_HOLDER');
    expect(isDomainError(lost) && lost.details['runId']).toBe('r1');
    const forbidden = await listen(0, () => ({
      errors: [{ message: 'no', extensions: { code: 'FORBIDDEN' } }],
    }));
    const refusal: unknown = await new ApiClient({ url: urlOf(forbidden), token: 't' })
      .graphql('query Q { x }')
      .catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(ApiRequestError);
    expect((refusal as ApiRequestError).code).toBe('FORBIDDEN');
  });
});
