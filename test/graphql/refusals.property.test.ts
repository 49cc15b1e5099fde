/**
 * No client error and no conflict is ever a 500. Generated wrong, missing, oversized and concurrent inputs are
 * sent over HTTP to every mutation of the schema and to the REST routes (OpenAI-compatible /v1 and /reports) of
 * a real platform; each answer must be a refusal with a stable code (or a success), and a refused request must
 * leave the event log as it was. Bounded runs: about a minute on a loaded 2-core machine.
 */
import fc from 'fast-check';
import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApiSchema } from '../../src/graphql/schema.js';
import { startTestPlatform, type TestPlatform } from '../serving/platform.js';
import { compileGenerationThread } from '../serving/support.js';
import { countEvents } from '../support/databases.js';

/** The codes a refusal may carry; INTERNAL_SERVER_ERROR is not among them. */
const STABLE_CODES = new Set([
  'BAD_USER_INPUT',
  'GRAPHQL_VALIDATION_FAILED',
  'GRAPHQL_PARSE_FAILED',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONFLICT',
  'IDEMPOTENCY_KEY_REUSED',
]);

const INTERACTION = '0190a8f0-0000-7000-8000-0000000f00d5';
/** Names the platform knows, so generated inputs reach past "not found" into the rules now and then. */
const knownNames = ['chat', 'assistant', 'prod', INTERACTION, 'nope', ''];
const jsonKeys = [
  'model',
  'dataset',
  'suites',
  'gate',
  'judge',
  'name',
  'version',
  'id',
  'revision',
  'kind',
  'up',
  'value',
  'text',
  'category',
  'step',
  'totalSteps',
  'stageIndex',
  'epoch',
  'loss',
  'learningRate',
  'metrics',
  'categories',
  'errorTaxonomy',
  'artifacts',
  'content',
  'format',
  'baseModel',
  'method',
  'stages',
  'seed',
  'interactionId',
  'deploymentName',
  'prompt',
  'response',
  'tokens',
  'latencyMs',
  'artifactHash',
  'finalLoss',
  'steps',
  'durationMs',
  'tokensSeen',
  'contentHash',
  'recordCount',
  'byteSize',
  'splits',
  'transform',
  'piiReport',
  'qualityReport',
  'metric',
  'baseline',
  'current',
  'window',
  'policy',
];

const oversized = fc.constantFrom(10_000, 300_000).map((length) => 'x'.repeat(length));
const anyJson = fc.jsonValue({ maxDepth: 3 });
const objectish = fc.oneof(
  fc.dictionary(fc.constantFrom(...jsonKeys), fc.oneof(anyJson, fc.constantFrom(...knownNames)), {
    maxKeys: 6,
  }),
  fc.dictionary(
    fc.constantFrom(...jsonKeys),
    fc.dictionary(fc.constantFrom(...jsonKeys), anyJson, { maxKeys: 3 }),
    {
      maxKeys: 4,
    },
  ),
);

const DELETE = Symbol('delete');

/** Valid arguments of the mutations with structured inputs: one part at a time is then broken. */
const templates: Record<string, Record<string, unknown>> = {
  requestEvaluation: {
    input: {
      model: { name: 'assistant', version: 1 },
      dataset: { id: 'chat', revision: 1 },
      suites: ['EXACT_MATCH', 'F1'],
      gate: [{ metric: 'f1', op: 'GTE', value: 0.5 }],
    },
  },
  requestTrainingRun: {
    input: {
      baseModel: { name: 'tiny', source: { kind: 'PATH', path: '/tmp' } },
      dataset: { id: 'chat', revision: 1 },
      method: { kind: 'LORA', r: 4, alpha: 8, dropout: 0, targetModules: ['q_proj'] },
      stages: [{ name: 'sft', learningRate: 1e-3, batchSize: 2, epochs: 1 }],
      loss: { kind: 'CROSS_ENTROPY' },
      seed: 7,
    },
  },
  labelFeedback: { interactionId: INTERACTION, label: { rating: 3 } },
  recordInteraction: {
    input: {
      deploymentName: 'prod',
      model: { name: 'assistant', version: 1 },
      prompt: 'p',
      response: 'r',
      latencyMs: 1,
      tokens: { prompt: 1, completion: 1 },
    },
  },
  addDatasetRevision: {
    datasetId: 'chat',
    input: {
      contentHash: 'a'.repeat(64),
      recordCount: 10,
      byteSize: 1000,
      splits: {
        train: { hash: 'b'.repeat(64), recordCount: 9, byteSize: 900 },
        eval: { hash: 'c'.repeat(64), recordCount: 1, byteSize: 100 },
      },
      transform: { kind: 'INGEST', params: {} },
      piiReport: { counts: { email: 1 } },
      qualityReport: { rejected: [] },
    },
  },
  detectDegradation: {
    deploymentName: 'prod',
    input: {
      metric: 'OUTPUT_ENTROPY',
      baseline: 1,
      current: 2,
      window: { from: '2026-01-01T00:00:00Z', to: '2026-01-01T01:00:00Z', samples: 10 },
      policy: { maxChangePct: 10 },
    },
  },
  generateCandidates: { prompt: 'p', candidates: [{ text: 'a' }, { text: 'b' }] },
  reportProgress: {
    runId: 'nope',
    input: { step: 1, totalSteps: 5, stageIndex: 0, epoch: 0, loss: 1, learningRate: 1e-4 },
  },
  ingestDataset: {
    input: { name: 'generated', format: 'ALPACA', content: '{"instruction":"a","output":"b"}' },
  },
};

/** Every path into a value (objects and arrays), the value itself first. */
function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== 'object') return [prefix];
  const entries = Array.isArray(value)
    ? value.map((item, index) => [index, item] as const)
    : Object.entries(value);
  return [prefix, ...entries.flatMap(([key, item]) => pathsOf(item, [...prefix, key]))];
}

/** The value with the part at `path` deleted or replaced. */
function broken(value: unknown, path: readonly (string | number)[], replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const copy = (Array.isArray(value) ? [...value] : { ...(value as object) }) as Record<
    string | number,
    unknown
  >;
  const [head, ...rest] = path;
  const next = broken(copy[head!], rest, replacement);
  if (next === DELETE) delete copy[head!];
  else copy[head!] = next;
  return copy;
}

/** The template's arguments with one part (an argument, or a field deep in an input) broken. */
function nearValid(name: string, template: Record<string, unknown>) {
  const paths = pathsOf(template).filter((path) => path.length > 0);
  return fc
    .tuple(
      fc.constantFrom(...paths),
      fc.oneof(fc.constant(DELETE), fc.constant(null), anyJson, oversized, fc.constant([]), fc.constant({})),
    )
    .map(([path, replacement]) => broken(template, path, replacement) as Record<string, unknown>)
    .map((variables) => ({ name, variables }));
}

/**
 * A value for an argument of this type: often of the right type, often not, sometimes huge or missing. Input
 * objects get their own fields (to `depth` levels), so generated inputs pass GraphQL's checks and reach zod.
 */
function valueFor(type: GraphQLInputType, depth = 0): fc.Arbitrary<unknown> {
  const wrong = fc.oneof(fc.constant(null), fc.boolean(), fc.integer(), fc.string({ maxLength: 8 }));
  if (isNonNullType(type)) return fc.oneof({ weight: 4, arbitrary: valueFor(type.ofType, depth) }, wrong);
  if (isListType(type)) {
    return fc.oneof(fc.array(valueFor(type.ofType, depth), { maxLength: 4 }), valueFor(type.ofType, depth));
  }
  const named = getNamedType(type);
  if (isEnumType(named)) {
    return fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...named.getValues().map((value) => value.name)) },
      wrong,
    );
  }
  if (isInputObjectType(named)) {
    if (depth >= 3) return fc.oneof(objectish, wrong);
    const fields = Object.values(named.getFields()).map(
      (field) =>
        [field.name, fc.option(valueFor(field.type, depth + 1), { nil: undefined, freq: 4 })] as const,
    );
    const shaped = fc
      .record(Object.fromEntries(fields))
      .map((value) => Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)));
    return fc.oneof({ weight: 4, arbitrary: shaped }, objectish, wrong);
  }
  if (!isScalarType(named)) return fc.oneof(objectish, wrong);
  switch (named.name) {
    case 'String':
    case 'ID':
      return fc.oneof(
        { weight: 3, arbitrary: fc.string({ maxLength: 24 }) },
        { weight: 2, arbitrary: fc.constantFrom(...knownNames) },
        { weight: 1, arbitrary: oversized },
        { weight: 1, arbitrary: wrong },
      );
    case 'Int':
      return fc.oneof(
        fc.integer({ min: -3, max: 5 }),
        fc.constantFrom(2 ** 31, -(2 ** 31) - 1),
        fc.double(),
        wrong,
      );
    case 'Float':
      return fc.oneof(fc.double({ noNaN: true }), wrong);
    case 'Boolean':
      return fc.oneof(fc.boolean(), wrong);
    case 'DateTime':
      return fc.oneof(
        fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
        fc.string({ maxLength: 12 }),
        wrong,
      );
    default:
      // JSON
      return fc.oneof({ weight: 4, arbitrary: objectish }, anyJson, oversized, wrong);
  }
}

/** A document calling the mutation with every argument as a variable, and variables for some of them. */
function callOf(field: GraphQLField<unknown, unknown>): fc.Arbitrary<{
  name: string;
  query: string;
  variables: Record<string, unknown>;
}> {
  const declared = field.args.map((arg: GraphQLArgument) => `$${arg.name}: ${String(arg.type)}`);
  const passed = field.args.map((arg) => `${arg.name}: $${arg.name}`);
  // A command payload's refusals by a domain rule are its userErrors (docs/graphql.md, Mutations).
  const returned = getNamedType(field.type);
  const selection =
    isObjectType(returned) && returned.getInterfaces().some((i) => i.name === 'CommandPayload')
      ? '{ __typename userErrors { code kind } }'
      : '{ __typename }';
  const query =
    declared.length > 0
      ? `mutation(${declared.join(', ')}) { m: ${field.name}(${passed.join(', ')}) ${selection} }`
      : `mutation { m: ${field.name} ${selection} }`;
  const values = Object.fromEntries(
    field.args.map((arg) => [arg.name, fc.option(valueFor(arg.type), { nil: undefined, freq: 6 })]),
  );
  const generated = fc.record(values).map((variables) => ({
    name: field.name,
    query,
    variables: Object.fromEntries(Object.entries(variables).filter(([, value]) => value !== undefined)),
  }));
  const template = templates[field.name];
  if (!template) return generated;
  return fc.oneof(
    generated,
    nearValid(field.name, template).map(({ name, variables }) => ({ name, query, variables })),
  );
}

let platform: TestPlatform;
let token: string;
let calls: fc.Arbitrary<{ name: string; query: string; variables: Record<string, unknown> }>;

beforeAll(async () => {
  platform = await startTestPlatform(compileGenerationThread(), { adapters: [0] });
  token = (
    await platform.graphql.tokens.create({
      actor: 'prober',
      roles: ['admin', 'engineer', 'approver', 'worker'],
      createdBy: 'ops',
    })
  ).token;
  await platform.services.feedback.recordInteraction(
    {
      interactionId: INTERACTION,
      deploymentName: 'prod',
      model: { name: 'assistant', version: 1 },
      prompt: 'p',
      response: 'r',
      latencyMs: 1,
      tokens: { prompt: 1, completion: 1 },
    },
    { actor: 'serving' },
  );
  const schema = await buildApiSchema();
  calls = fc.oneof(...Object.values(schema.getMutationType()!.getFields()).map(callOf));
}, 180_000);

afterAll(async () => {
  await platform?.close();
});

interface Answer {
  readonly status: number;
  readonly body: {
    data?: { m?: { userErrors?: { code: string; kind: string }[] } | null } | null;
    errors?: { message: string; extensions?: { code?: string } }[];
    error?: unknown;
  };
}

async function post(path: string, body: unknown): Promise<Answer> {
  const response = await fetch(`${platform.baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Answer['body'] };
}

async function get(path: string): Promise<Answer> {
  const response = await fetch(`${platform.baseUrl}${path}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const text = await response.text();
  expect(response.headers.get('content-type'), `${path}: ${text.slice(0, 200)}`).toMatch(/json/);
  return { status: response.status, body: JSON.parse(text) as Answer['body'] };
}

/**
 * A GraphQL answer is a success or a refusal with a stable code, never a 5xx nor INTERNAL_SERVER_ERROR: a
 * GraphQL error, or a payload's user error (a domain rule of kind NOT_FOUND or CONFLICT).
 */
function expectGraphqlRefusalOrSuccess(what: string, answer: Answer): boolean {
  expect(answer.status, `${what}: ${JSON.stringify(answer.body).slice(0, 500)}`).toBeLessThan(500);
  const errors = answer.body.errors ?? [];
  for (const error of errors) {
    expect(STABLE_CODES, `${what}: ${error.message}`).toContain(error.extensions?.code);
  }
  const userErrors = answer.body.data?.m?.userErrors ?? [];
  for (const userError of userErrors) expect(['NOT_FOUND', 'CONFLICT'], what).toContain(userError.kind);
  return errors.length > 0 || userErrors.length > 0;
}

describe('refusals are 4xx with a stable code and record nothing', () => {
  it('every mutation, with generated wrong, missing and oversized arguments', async () => {
    await fc.assert(
      fc.asyncProperty(calls, async (call) => {
        const before = await countEvents(platform.database);
        const answer = await post('/graphql', { query: call.query, variables: call.variables });
        const refused = expectGraphqlRefusalOrSuccess(
          `${call.name}(${JSON.stringify(call.variables).slice(0, 300)})`,
          answer,
        );
        if (refused) expect(await countEvents(platform.database), call.name).toBe(before);
      }),
      { numRuns: 250 },
    );
  }, 240_000);

  it('names the field of an input zod refuses (requestEvaluation with no suites) and records nothing', async () => {
    const before = await countEvents(platform.database);
    const answer = await post('/graphql', {
      query:
        'mutation($input: EvaluationRequestInput!) { m: requestEvaluation(input: $input) { __typename } }',
      variables: {
        input: { model: { name: 'assistant', version: 1 }, dataset: { id: 'chat', revision: 1 }, suites: [] },
      },
    });
    expect(answer.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(answer.body.errors?.[0]?.message).toMatch(/input\.suites/);
    expect(await countEvents(platform.database)).toBe(before);
  });

  it('bursts of concurrent duplicates, with and without one idempotency key', async () => {
    await fc.assert(
      fc.asyncProperty(calls, fc.boolean(), async (call, keyed) => {
        const variables = keyed
          ? { ...call.variables, idempotencyKey: `burst-${call.name}` }
          : call.variables;
        const answers = await Promise.all(
          Array.from({ length: 8 }, () => post('/graphql', { query: call.query, variables })),
        );
        for (const answer of answers) expectGraphqlRefusalOrSuccess(call.name, answer);
      }),
      { numRuns: 20 },
    );
  }, 240_000);

  it('the OpenAI-compatible routes, with generated bodies and unknown paths', async () => {
    const body = fc.oneof(
      objectish,
      anyJson,
      fc.record({
        model: fc.constantFrom('nope', 'prod', ''),
        messages: fc.oneof(
          fc.array(fc.record({ role: fc.constantFrom('user', 'system', 'x'), content: fc.string() }), {
            maxLength: 2,
          }),
          anyJson,
        ),
        prompt: fc.oneof(fc.string(), anyJson),
      }),
      fc.record({
        interaction_id: fc.constantFrom(INTERACTION, `chatcmpl-${INTERACTION}`, 'nope', ''),
        thumbs: fc.oneof(fc.constantFrom('up', 'down', 'sideways'), anyJson),
        rating: fc.oneof(fc.integer({ min: -1, max: 7 }), anyJson),
      }),
    );
    const route = fc.oneof(
      fc.constantFrom('/v1/chat/completions', '/v1/completions', '/v1/feedback'),
      fc.stringMatching(/^[a-z/]{0,12}$/).map((path) => `/v1/${path}`),
    );
    await fc.assert(
      fc.asyncProperty(route, body, async (path, payload) => {
        const before = await countEvents(platform.database);
        const answer = await post(path, payload);
        if (answer.status < 300) return;
        const what = `POST ${path} ${JSON.stringify(payload).slice(0, 200)}: ${JSON.stringify(answer.body)}`;
        expect(answer.status, what).toBeGreaterThanOrEqual(400);
        expect(answer.status, what).toBeLessThan(500);
        expect(answer.body.error, what).toMatchObject({
          type: expect.any(String),
          message: expect.any(String),
        });
        expect(await countEvents(platform.database), what).toBe(before);
      }),
      { numRuns: 80 },
    );
    const unknown = await get('/v1/no/such/route');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatchObject({ type: 'invalid_request_error', code: 'unknown_url' });
  }, 240_000);

  it('the report routes, with generated names, versions and times', async () => {
    const segment = fc.oneof(
      fc.constantFrom(...knownNames.filter(Boolean)),
      fc.stringMatching(/^[\w.-]{1,12}$/),
    );
    const asOf = fc.oneof(
      fc.constant(undefined),
      fc.constantFrom('notadate', '', '2026-13-45', 'yesterday'),
      fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
    );
    const path = fc.oneof(
      fc
        .tuple(segment, fc.oneof(fc.integer({ min: -2, max: 3 }).map(String), segment), asOf)
        .map(
          ([name, version, time]) =>
            `/reports/models/${name}/${version}${time === undefined ? '' : `?asOf=${encodeURIComponent(time)}`}`,
        ),
      fc
        .tuple(segment, asOf, fc.constantFrom('json', 'md', 'pdf'))
        .map(
          ([name, time, format]) =>
            `/reports/deployments/${name}?format=${format}${time === undefined ? '' : `&asOf=${encodeURIComponent(time)}`}`,
        ),
    );
    await fc.assert(
      fc.asyncProperty(path, async (route) => {
        const response = await fetch(`${platform.baseUrl}${route}`, {
          headers: { authorization: `Bearer ${token}` },
        });
        const text = await response.text();
        expect(response.status, `${route}: ${text.slice(0, 300)}`).toBeLessThan(500);
      }),
      { numRuns: 60 },
    );
    const notADate = await get('/reports/deployments/prod?asOf=notadate');
    expect(notADate.status).toBe(400);
    expect(notADate.body).toMatchObject({ code: 'BAD_USER_INPUT' });
  }, 240_000);
});
