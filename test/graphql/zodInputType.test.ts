import {
  getNullableType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
  type GraphQLInputType,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  augmentationCompletionInput,
  candidateInput,
  datasetRevisionInput,
  degradationInput,
  evaluationCompletionInput,
  evaluationRequestInput,
  interactionInput,
  labelInput,
  progressInput,
  runCompletionInput,
  trainingRunRequestInput,
} from '../../src/graphql/resolvers/commandInputs.js';
import { buildApiSchema } from '../../src/graphql/schema.js';
import { inputValue, zodInputType } from '../../src/graphql/types/zodInputType.js';

/** Each generated input type of the contract and the zod schema its resolver validates with. */
const sources: Record<string, z.ZodType> = {
  TrainingRunRequestInput: trainingRunRequestInput,
  EvaluationRequestInput: evaluationRequestInput,
  DatasetRevisionInput: datasetRevisionInput,
  ProgressInput: progressInput,
  RunCompletionInput: runCompletionInput,
  AugmentationCompletionInput: augmentationCompletionInput,
  EvaluationCompletionInput: evaluationCompletionInput,
  DegradationInput: degradationInput,
  InteractionInput: interactionInput,
  CandidateInput: candidateInput,
  FeedbackLabelInput: labelInput,
};

type Def = { type: string } & Record<string, unknown>;
const defOf = (schema: z.ZodType) => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** The schema under optional/default/pipe wrappers, and whether a value may be left out. */
function bare(schema: z.ZodType): { schema: z.ZodType; optional: boolean } {
  const def = defOf(schema);
  if (['optional', 'nullable', 'default', 'prefault'].includes(def.type)) {
    return { schema: bare(def['innerType'] as z.ZodType).schema, optional: true };
  }
  if (def.type === 'readonly') return bare(def['innerType'] as z.ZodType);
  if (def.type === 'pipe') return bare(def['in'] as z.ZodType);
  return { schema, optional: false };
}

/**
 * Where the GraphQL type and the zod schema disagree, written independently of the generator: field names,
 * which fields may be left out, enum values, list shapes and scalars. Empty when they correspond.
 */
function disagreements(type: GraphQLInputType, schema: z.ZodType, path: string): string[] {
  const named = getNullableType(type);
  const def = defOf(schema);
  if (def.type === 'object' || (def.type === 'union' && typeof def['discriminator'] === 'string')) {
    if (!isInputObjectType(named)) return [`${path}: zod has an object, GraphQL ${String(type)}`];
    const options =
      def.type === 'object' ? [schema] : (def['options'] as z.ZodType[]).map((option) => option);
    const discriminator = def.type === 'union' ? (def['discriminator'] as string) : undefined;
    const zodFields = new Map<string, { schema: z.ZodType; optional: boolean; kinds: string[] }>();
    for (const option of options) {
      for (const [key, field] of Object.entries(defOf(option)['shape'] as Record<string, z.ZodType>)) {
        const { schema: inner, optional } = bare(field);
        const kinds = key === discriminator ? (defOf(inner)['values'] as string[]) : [];
        const seen = zodFields.get(key);
        zodFields.set(key, {
          schema: seen?.schema ?? inner,
          // In a union only the discriminator is required: the other fields belong to some kinds.
          optional: discriminator !== undefined ? key !== discriminator : optional,
          kinds: [...(seen?.kinds ?? []), ...kinds],
        });
      }
    }
    const graphqlFields = named.getFields();
    const problems = [
      ...[...zodFields.keys()]
        .filter((key) => !(key in graphqlFields))
        .map((key) => `${path}.${key}: in zod, not in ${named.name}`),
      ...Object.keys(graphqlFields)
        .filter((key) => !zodFields.has(key))
        .map((key) => `${path}.${key}: in ${named.name}, not in zod`),
    ];
    for (const [key, field] of zodFields) {
      const graphqlField = graphqlFields[key];
      if (!graphqlField) continue;
      if (isNonNullType(graphqlField.type) === field.optional) {
        problems.push(
          `${path}.${key}: optional in zod ${field.optional}, nullable in GraphQL ${!field.optional}`,
        );
      }
      if (key === discriminator) {
        const kindType = getNullableType(graphqlField.type);
        const values = isEnumType(kindType) ? kindType.getValues().map((value) => value.value as string) : [];
        if (JSON.stringify([...values].sort()) !== JSON.stringify([...field.kinds].sort())) {
          problems.push(
            `${path}.${key}: kinds ${field.kinds.join(',')} in zod, ${values.join(',')} in GraphQL`,
          );
        }
        continue;
      }
      problems.push(...disagreements(graphqlField.type, field.schema, `${path}.${key}`));
    }
    return problems;
  }
  if (def.type === 'array') {
    if (!isListType(named)) return [`${path}: zod has a list, GraphQL ${String(type)}`];
    return disagreements(named.ofType, bare(def['element'] as z.ZodType).schema, `${path}[]`);
  }
  if (def.type === 'enum' || def.type === 'literal') {
    const zodValues =
      def.type === 'enum' ? Object.values(def['entries'] as object) : (def['values'] as unknown[]);
    if (!isEnumType(named)) return [`${path}: zod has an enum, GraphQL ${String(type)}`];
    const values = named.getValues().map((value) => value.value);
    return JSON.stringify([...values].sort()) === JSON.stringify([...zodValues].sort())
      ? []
      : [`${path}: ${zodValues.join(',')} in zod, ${values.join(',')} in GraphQL`];
  }
  if (!isScalarType(named)) return [`${path}: zod has ${def.type}, GraphQL ${String(type)}`];
  const expected =
    def.type === 'string'
      ? ['String', 'ID']
      : def.type === 'boolean'
        ? ['Boolean']
        : def.type === 'number'
          ? [/int/.test(String(def['format'])) ? 'Int' : 'Float']
          : ['JSON'];
  return expected.includes(named.name) ? [] : [`${path}: zod ${def.type}, GraphQL ${named.name}`];
}

describe('input types generated from zod (zodInputType)', () => {
  it.each(Object.entries(sources))(
    '%s corresponds to its zod schema field by field',
    async (name, schema) => {
      const type = (await buildApiSchema()).getType(name);
      expect(isInputObjectType(type), `${name} is an input type of the schema`).toBe(true);
      expect(disagreements(type as GraphQLInputType, schema, name)).toEqual([]);
    },
  );

  it('the correspondence check sees a field zod has and GraphQL lacks', async () => {
    const type = (await buildApiSchema()).getType('CandidateInput') as GraphQLInputType;
    expect(disagreements(type, candidateInput.extend({ score: z.number() }), 'CandidateInput')).toEqual([
      'CandidateInput.score: in zod, not in CandidateInput',
    ]);
  });

  it('a training method is one input: kind required, each kind’s fields optional, kinds from the domain', async () => {
    const method = (await buildApiSchema()).getType('TrainingMethodInput');
    if (!isInputObjectType(method)) throw new Error('TrainingMethodInput is missing');
    const fields = method.getFields();
    expect(String(fields['kind']!.type)).toBe('TrainingMethodKind!');
    expect(String(fields['rewardModel']!.type)).toBe('ModelRefInput');
    expect(String(fields['r']!.type)).toBe('Int');
    expect(String(fields['parameters']!.type)).toBe('TrainedParametersInput');
  });

  it('refuses a union whose kinds give one field two types', () => {
    const clash = z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('a'), size: z.string() }),
      z.object({ kind: z.literal('b'), size: z.number() }),
    ]);
    expect(() => zodInputType('ZodInputTypeClashInput', clash)).toThrow(
      /ZodInputTypeClashInput\.size: the a and b kinds give it different types/,
    );
  });

  it('inputValue leaves out null fields of input objects and keeps JSON values whole', () => {
    class Nested {
      constructor(
        readonly kind: string,
        readonly r: number | null,
      ) {}
    }
    class Outer {
      constructor(
        readonly method: Nested,
        readonly stages: Nested[] | null,
        readonly params: Record<string, unknown>,
      ) {}
    }
    const given = new Outer(new Nested('lora', null), null, { note: null, list: [1, null] });
    expect(inputValue(given)).toEqual({ method: { kind: 'lora' }, params: { note: null, list: [1, null] } });
    expect(Object.getPrototypeOf(inputValue(given))).toBe(Object.prototype);
  });
});
