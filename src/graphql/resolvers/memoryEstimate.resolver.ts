import { Arg, Ctx, Field, Float, InputType, Int, ObjectType, Query, Resolver } from 'type-graphql';
import { DEFAULT_LORA, LINEAR_MODULES, type LinearModule } from '../../ml/index.js';
import { estimateTrainingMemory, type MemoryEstimateMethod } from '../../ml/memory/index.js';
import { MemoryEstimateMethodEnum } from '../types/enums.js';
import type { ApiContext } from '../context.js';
import { requireAction } from '../context.js';
import { badInput } from '../errors.js';

@InputType({ description: 'A LLaMA shape, a method and a batch shape to estimate fine-tuning memory for.' })
export class MemoryEstimateInput {
  @Field(() => Int) vocabSize!: number;
  @Field(() => Int) hiddenSize!: number;
  @Field(() => Int) intermediateSize!: number;
  @Field(() => Int) numLayers!: number;
  @Field(() => Int) numHeads!: number;
  @Field(() => Int, { nullable: true, description: 'Default numHeads (no GQA).' }) numKvHeads?: number;
  @Field({ nullable: true, defaultValue: false }) tieWordEmbeddings?: boolean;
  @Field(() => MemoryEstimateMethodEnum) method!: MemoryEstimateMethod;
  @Field(() => Int, { nullable: true, defaultValue: DEFAULT_LORA.r }) loraR?: number;
  @Field(() => [String], { nullable: true, defaultValue: [...DEFAULT_LORA.targetModules] })
  loraTargets?: string[];
  @Field(() => Int, { description: 'Sequences per forward pass (micro-batch).' }) batchSize!: number;
  @Field(() => Int) sequenceLength!: number;
  @Field(() => Float, { nullable: true, defaultValue: 4, description: 'Bytes per weight: 4, 2, 1 or 0.5.' })
  weightBytes?: number;
  @Field({ nullable: true, defaultValue: false }) gradientCheckpointing?: boolean;
  @Field(() => Float, { nullable: true, description: 'Device memory in GiB to check against.' })
  deviceMemoryGiB?: number;
}

@ObjectType({
  description: 'Estimated memory of a fine-tuning configuration (bytes as floats: they pass 2^31).',
})
export class MemoryEstimateType {
  @Field(() => Float) parameters!: number;
  @Field(() => Float) trainableParameters!: number;
  @Field(() => Float) weightsBytes!: number;
  @Field(() => Float) gradientsBytes!: number;
  @Field(() => Float) optimizerBytes!: number;
  @Field(() => Float) activationsBytes!: number;
  @Field(() => Float) totalBytes!: number;
  @Field(() => Float) totalGiB!: number;
  @Field({ nullable: true }) fits?: boolean;
  @Field(() => Int, { nullable: true }) maxBatchSizeThatFits?: number;
  @Field() advice!: string;
}

@Resolver()
export class MemoryEstimateResolver {
  @Query(() => MemoryEstimateType, {
    description:
      'Memory for weights, gradients, optimizer state and activations of a fine-tuning setup, and whether it fits a device.',
  })
  memoryEstimate(
    @Arg('input', () => MemoryEstimateInput) input: MemoryEstimateInput,
    @Ctx() context: ApiContext,
  ): MemoryEstimateType {
    requireAction(context, 'read', 'estimate training memory');
    const targets = input.loraTargets ?? ['q_proj', 'v_proj'];
    const unknown = targets.filter((t) => !(LINEAR_MODULES as readonly string[]).includes(t));
    if (unknown.length > 0)
      throw badInput(`loraTargets: ${unknown.join(', ')} not among ${LINEAR_MODULES.join(', ')}`);
    const positive = {
      vocabSize: input.vocabSize,
      hiddenSize: input.hiddenSize,
      intermediateSize: input.intermediateSize,
      numLayers: input.numLayers,
      numHeads: input.numHeads,
      batchSize: input.batchSize,
      sequenceLength: input.sequenceLength,
    };
    for (const [name, value] of Object.entries(positive))
      if (value < 1) throw badInput(`${name} must be at least 1, got ${value}`);
    if (input.hiddenSize % input.numHeads !== 0)
      throw badInput(`hiddenSize ${input.hiddenSize} is not a multiple of numHeads ${input.numHeads}`);
    const estimate = estimateTrainingMemory({
      model: {
        vocabSize: input.vocabSize,
        hiddenSize: input.hiddenSize,
        intermediateSize: input.intermediateSize,
        numLayers: input.numLayers,
        numHeads: input.numHeads,
        numKvHeads: input.numKvHeads ?? input.numHeads,
        headDim: input.hiddenSize / input.numHeads,
        tieWordEmbeddings: input.tieWordEmbeddings ?? false,
      },
      method:
        input.method === 'full'
          ? { kind: 'full' }
          : { kind: 'lora', r: input.loraR ?? DEFAULT_LORA.r, targetModules: targets as LinearModule[] },
      batchSize: input.batchSize,
      sequenceLength: input.sequenceLength,
      weightBytes: input.weightBytes ?? 4,
      gradientCheckpointing: input.gradientCheckpointing ?? false,
      ...(input.deviceMemoryGiB != null ? { deviceBytes: input.deviceMemoryGiB * 1024 ** 3 } : {}),
    });
    return { ...estimate, totalGiB: estimate.totalBytes / 1024 ** 3 };
  }
}
