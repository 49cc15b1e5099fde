/**
 * The memoryEstimate query over a schema holding just its resolver (the API schema registers it beside the
 * others): the same numbers as the library, bytes past 2^31 intact, and errors a user can act on.
 */
import 'reflect-metadata';
import { graphql, type GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import { MemoryEstimateResolver } from '../../../src/graphql/resolvers/memoryEstimate.resolver.js';
import { estimateTrainingMemory } from '../../../src/ml/memory/index.js';

const query = `query($input: MemoryEstimateInput!) {
  memoryEstimate(input: $input) { parameters trainableParameters totalBytes totalGiB fits maxBatchSizeThatFits advice }
}`;
const llama2_7b = {
  vocabSize: 32000,
  hiddenSize: 4096,
  intermediateSize: 11008,
  numLayers: 32,
  numHeads: 32,
};

describe('memoryEstimate query', () => {
  let schema: GraphQLSchema;
  beforeAll(async () => {
    schema = await buildSchema({ resolvers: [MemoryEstimateResolver], validate: false });
  });
  const run = (input: Record<string, unknown>) =>
    graphql({
      schema,
      source: query,
      variableValues: { input },
      contextValue: { viewer: { actor: 'ana', roles: ['engineer'], tokenId: null } },
    });

  it('answers with the library estimate and a verdict', async () => {
    const result = await run({
      ...llama2_7b,
      method: 'LORA',
      loraR: 8,
      batchSize: 4,
      sequenceLength: 512,
      weightBytes: 2,
      deviceMemoryGiB: 24,
    });
    expect(result.errors).toBeUndefined();
    const expected = estimateTrainingMemory({
      model: { ...llama2_7b, numKvHeads: 32, headDim: 128, tieWordEmbeddings: false },
      method: { kind: 'lora', r: 8, targetModules: ['q_proj', 'v_proj'] },
      batchSize: 4,
      sequenceLength: 512,
      weightBytes: 2,
      deviceBytes: 24 * 1024 ** 3,
    });
    expect(result.data?.memoryEstimate).toMatchObject({
      parameters: 6_738_415_616,
      trainableParameters: 4_194_304,
      totalBytes: expected.totalBytes,
      fits: expected.fits,
      maxBatchSizeThatFits: expected.maxBatchSizeThatFits,
    });
  });

  it('refuses an unknown method or target module with BAD_USER_INPUT', async () => {
    const method = await run({ ...llama2_7b, method: 'QLORA', batchSize: 1, sequenceLength: 8 });
    expect(method.errors?.[0]?.message).toContain('"QLORA" does not exist in "MemoryEstimateMethod" enum');
    const target = await run({
      ...llama2_7b,
      method: 'LORA',
      loraTargets: ['qproj'],
      batchSize: 1,
      sequenceLength: 8,
    });
    expect(target.errors?.[0]?.message).toContain('qproj');
    expect(target.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});
