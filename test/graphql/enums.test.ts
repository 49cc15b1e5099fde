import { GraphQLEnumType, GraphQLError, isEnumType } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATASET_FORMATS, MESSAGE_ROLES } from '../../src/data/formats/datasetRecord.js';
import {
  datasetFormat,
  feedbackLabelKinds,
  modelStage,
  promotionStage,
  trainingLossKinds,
  trainingMethodKinds,
  transformKind,
} from '../../src/domain/index.js';
import { buildApiSchema } from '../../src/graphql/schema.js';
import { roles } from '../../src/graphql/auth/roles.js';
import { graphqlEnumOf, graphqlEnumValueName } from '../../src/graphql/types/enums.js';
import { runProgressEventTypes } from '../../src/graphql/types/runProgressEventTypes.js';
import { memoryEstimateMethods } from '../../src/ml/memory/index.js';
import {
  deploymentHistoryKinds,
  deploymentStatuses,
  evaluationStatuses,
  jobKinds,
  jobStatuses,
  lineageNodeKinds,
  lineageRelations,
  runStatuses,
} from '../../src/projections/index.js';
import { pgliteTarget, type TestDatabase } from '../support/databases.js';
import { startHarness, type Harness } from './harness.js';

/** Each closed-set enum of the contract and the domain (or read model) list it must carry, no more, no less. */
const sources: Record<string, readonly string[]> = {
  DatasetFormat: datasetFormat.options,
  TransformKind: transformKind.options,
  ModelStage: modelStage.options,
  PromotionStage: promotionStage.options,
  TrainingMethodKind: trainingMethodKinds,
  LossKind: trainingLossKinds,
  RunStatus: runStatuses,
  JobKind: jobKinds,
  JobStatus: jobStatuses,
  EvaluationStatus: evaluationStatuses,
  DeploymentStatus: deploymentStatuses,
  ...enumsOfFormerStrings(),
};

/** The enums that replaced String fields and arguments of closed sets (see CHANGELOG.md, Unreleased). */
function enumsOfFormerStrings(): Record<string, readonly string[]> {
  return {
    MessageRole: MESSAGE_ROLES,
    FeedbackLabelKind: feedbackLabelKinds,
    LineageNodeKind: lineageNodeKinds,
    LineageRelation: lineageRelations,
    DeploymentHistoryKind: deploymentHistoryKinds,
    Role: roles,
    MemoryEstimateMethod: memoryEstimateMethods,
    RunProgressEventType: runProgressEventTypes,
  };
}

const enumOf = async (name: string): Promise<GraphQLEnumType> => {
  const type = (await buildApiSchema()).getType(name);
  if (!isEnumType(type)) throw new Error(`${name} is not an enum of the schema`);
  return type;
};

describe('GraphQL enums of closed sets', () => {
  it.each(Object.entries(sources))(
    '%s carries exactly the domain values, named in UPPER_CASE',
    async (name, values) => {
      const type = await enumOf(name);
      const members = type.getValues().map((value) => [value.name, value.value as string] as const);
      expect(members.map(([, value]) => value).sort()).toEqual([...values].sort());
      for (const [graphqlName, value] of members) {
        expect(graphqlName).toMatch(/^[A-Z][A-Z0-9_]*$/);
        expect(graphqlName).toBe(graphqlEnumValueName(value));
      }
    },
  );

  it('every enum value of the schema is UPPER_CASE', async () => {
    const schema = await buildApiSchema();
    const lower = Object.values(schema.getTypeMap())
      .filter((type): type is GraphQLEnumType => isEnumType(type) && !type.name.startsWith('__'))
      .flatMap((type) => type.getValues().map((value) => `${type.name}.${value.name}`))
      .filter((coordinate) => !/\.[A-Z][A-Z0-9_]*$/.test(coordinate));
    expect(lower).toEqual([]);
  });

  it('names domain values: kebab-case, camelCase and snake_case words become UPPER_CASE words', () => {
    expect(graphqlEnumValueName('openai-messages')).toBe('OPENAI_MESSAGES');
    expect(graphqlEnumValueName('rolling-back')).toBe('ROLLING_BACK');
    expect(graphqlEnumValueName('entityLoss')).toBe('ENTITY_LOSS');
    expect(graphqlEnumValueName('chat_template')).toBe('CHAT_TEMPLATE');
    expect(graphqlEnumValueName('lora')).toBe('LORA');
  });

  it('refuses a list whose values would share a GraphQL name', () => {
    expect(() => graphqlEnumOf('Clash', ['rolling-back', 'rolling_back'], 'two spellings')).toThrow(
      /both become ROLLING_BACK/,
    );
  });

  it("the ingest pipeline's formats are the domain's", () => {
    expect([...DATASET_FORMATS].sort()).toEqual([...datasetFormat.options].sort());
  });

  it.each(Object.entries(enumsOfFormerStrings()))(
    '%s: every domain value round-trips through its GraphQL name; an unknown name is refused',
    async (name, values) => {
      const type = await enumOf(name);
      for (const value of values) {
        const graphqlName = type.serialize(value);
        expect(graphqlName).toBe(graphqlEnumValueName(value));
        expect(type.parseValue(graphqlName)).toBe(value);
      }
      // The refusal a variable gets (HTTP 400, BAD_USER_INPUT), never a value passed on to a resolver.
      expect(() => type.parseValue('NOT_A_VALUE')).toThrow(GraphQLError);
      // A domain value in its lowercase spelling is not a GraphQL name either.
      expect(() => type.parseValue(values[values.length - 1])).toThrow(GraphQLError);
    },
  );
});

describe('enums of former String fields over HTTP', () => {
  let database: TestDatabase;
  let api: Harness;
  beforeAll(async () => {
    database = await pgliteTarget.open();
    api = await startHarness(database);
  });
  afterAll(async () => {
    await api?.close();
    await database?.close();
  });

  const estimate = (method: string) =>
    `{ memoryEstimate(input: {vocabSize: 32000, hiddenSize: 64, intermediateSize: 128, numLayers: 2, numHeads: 4, method: ${method}, batchSize: 1, sequenceLength: 8}) { trainableParameters } }`;

  it('takes a MemoryEstimateMethod name and answers the estimate of its domain value', async () => {
    const [full, lora] = await Promise.all([api.request(estimate('FULL')), api.request(estimate('LORA'))]);
    expect(full.errors).toBeUndefined();
    expect(lora.errors).toBeUndefined();
    const trainable = (response: typeof full) =>
      (response.data as { memoryEstimate: { trainableParameters: number } }).memoryEstimate
        .trainableParameters;
    expect(trainable(lora)).toBeLessThan(trainable(full));
  });

  it('refuses an unknown or lowercase method as a client error (400), in the document or a variable', async () => {
    for (const method of ['QLORA', '"lora"']) {
      const response = await api.request(estimate(method));
      expect(response.status).toBe(400);
      expect(response.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    }
    const variable = await api.request(
      `query($input: MemoryEstimateInput!) { memoryEstimate(input: $input) { totalBytes } }`,
      {
        input: {
          vocabSize: 32000,
          hiddenSize: 64,
          intermediateSize: 128,
          numLayers: 2,
          numHeads: 4,
          method: 'lora',
          batchSize: 1,
          sequenceLength: 8,
        },
      },
    );
    expect(variable.status).toBe(400);
    expect(variable.errors?.[0]?.message).toContain('MemoryEstimateMethod');
  });

  it('answers the roles of the caller as Role names', async () => {
    const me = await api.request<{ me: { roles: string[] } }>('{ me { roles } }');
    expect(me.data?.me.roles).toEqual(roles.map(graphqlEnumValueName));
  });
});
