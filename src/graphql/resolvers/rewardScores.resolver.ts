import { Arg, Ctx, Float, Int, Query, Resolver } from 'type-graphql';
import { getModelVersion } from '../../projections/index.js';
import { RewardScoringRequestError } from '../../services/index.js';
import type { ApiContext } from '../context.js';
import { requireAction } from '../context.js';
import { badInput, notFound } from '../errors.js';

/** At most this many answers per request, each text at most MAX_TEXT_CHARS: a reward model scores each. */
export const MAX_ANSWERS = 16;
const MAX_TEXT_CHARS = 8_000;

/** A registered reward model's scores over the API (RLHF: what PPO optimises, and a flywheel signal). */
@Resolver()
export class RewardScoresResolver {
  @Query(() => [Float], {
    description: `The reward of each answer to one prompt by a registered reward-model version, in the order of \`answers\` (at most ${MAX_ANSWERS}). Higher is better; only differences between answers to the same prompt mean something.`,
  })
  async rewardScores(
    @Ctx() context: ApiContext,
    @Arg('modelName') modelName: string,
    @Arg('version', () => Int) version: number,
    @Arg('prompt', { description: 'The instruction, as in a training record.' }) prompt: string,
    @Arg('answers', () => [String]) answers: string[],
    @Arg('input', () => String, { nullable: true, description: "The record's input, if any." })
    input: string | undefined,
  ): Promise<number[]> {
    requireAction(context, 'read', 'score answers with a reward model');
    if (answers.length === 0 || answers.length > MAX_ANSWERS) {
      throw badInput(`answers must hold 1 to ${MAX_ANSWERS} answers; got ${answers.length}`, {
        field: 'answers',
      });
    }
    const tooLong = [prompt, input ?? '', ...answers].find((text) => text.length > MAX_TEXT_CHARS);
    if (tooLong !== undefined) {
      throw badInput(`prompt, input and each answer must be at most ${MAX_TEXT_CHARS} characters`);
    }
    if (prompt.trim() === '') throw badInput('prompt is empty', { field: 'prompt' });
    const scorer = context.deps.rewardScorer;
    if (!scorer) {
      throw new Error(
        'this GraphQL server was started without a reward scorer (GraphqlDependencies.rewardScorer)',
      );
    }
    if (!(await getModelVersion(context.deps.db, modelName, version))) {
      throw notFound(`model ${modelName} v${version} is not registered`);
    }
    try {
      return await scorer.score(
        { name: modelName, version },
        { instruction: prompt, ...(input ? { input } : {}) },
        answers,
      );
    } catch (error) {
      if (error instanceof RewardScoringRequestError) throw badInput(error.message);
      throw error;
    }
  }
}
