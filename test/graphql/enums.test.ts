import { GraphQLEnumType, isEnumType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { DATASET_FORMATS } from '../../src/data/formats/datasetRecord.js';
import {
  datasetFormat,
  modelStage,
  promotionStage,
  trainingLossKinds,
  trainingMethodKinds,
  transformKind,
} from '../../src/domain/index.js';
import { buildApiSchema } from '../../src/graphql/schema.js';
import { graphqlEnumOf, graphqlEnumValueName } from '../../src/graphql/types/enums.js';
import {
  deploymentStatuses,
  evaluationStatuses,
  jobKinds,
  jobStatuses,
  runStatuses,
} from '../../src/projections/index.js';

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
};

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
});
