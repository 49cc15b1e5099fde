import { Arg, Ctx, FieldResolver, ID, Int, Query, Resolver, Root, UseMiddleware } from 'type-graphql';
import { MutationRequest } from './mutationRequest.js';
import { listPreferencePrompts, preferenceRankings, type PreferencePrompt } from '../../projections/index.js';
import { requireAction, type ApiContext } from '../context.js';
import { CommandMutation } from '../types/commandPayload.type.js';
import { subjects } from './payloadSubjects.js';
import { toConnection } from '../types/connection.js';
import {
  PreferencePromptConnection,
  PreferencePromptType,
  PreferenceRankingType,
  toPreferencePrompt,
  toPreferenceRanking,
} from '../types/preference.type.js';
import { CandidateInput, candidateInput, parseInput } from './commandInputs.js';
import { z } from 'zod';
import { execute, idempotencyKeyArg, services } from './commandExecution.js';
import { afterArg, beforeArg, firstArg, lastArg, pageArgs, readPage } from './paging.js';

const keyOf = (row: PreferencePrompt) => [row.generated_at.toISOString(), row.prompt_id];

/**
 * RLHF preference data: a prompt's candidate answers (the seed's three) recorded, then ranked best first by
 * people; the rankings are what a reward model trains on.
 */
@Resolver(() => PreferencePromptType)
export class PreferenceResolver {
  @Query(() => PreferencePromptConnection, { description: 'Preference prompts, oldest first.' })
  async preferencePrompts(
    @Ctx() context: ApiContext,
    @Arg('first', () => Int, firstArg(20)) first: number | undefined,
    @Arg('after', () => String, afterArg) after: string | undefined,
    @Arg('last', () => Int, lastArg) last: number | undefined,
    @Arg('before', () => String, beforeArg) before: string | undefined,
    @Arg('rankedOnly', { defaultValue: false, description: 'Only prompts someone has ranked.' })
    rankedOnly: boolean,
  ) {
    requireAction(context, 'read', 'read preference data');
    const page = await readPage(() =>
      listPreferencePrompts(context.deps.db, { ...pageArgs({ first, after, last, before }, 20), rankedOnly }),
    );
    return toConnection(page, keyOf, toPreferencePrompt);
  }

  @FieldResolver(() => [PreferenceRankingType], {
    description: 'Every ranking of this prompt, oldest first.',
  })
  async rankings(@Root() prompt: PreferencePromptType, @Ctx() context: ApiContext) {
    return (await preferenceRankings(context.deps.db, prompt.promptId)).map(toPreferenceRanking);
  }

  @CommandMutation(subjects.preferencePrompt, {
    description:
      'Record the candidate answers generated for a prompt (engineer), 2 to 8 of them. The payload id is the prompt id.',
  })
  @UseMiddleware(MutationRequest)
  async generateCandidates(
    @Ctx() context: ApiContext,
    @Arg('prompt') prompt: string,
    @Arg('candidates', () => [CandidateInput]) candidates: object[],
    @Arg('promptId', () => ID, { nullable: true }) promptId: string | undefined,
    @Arg('idempotencyKey', () => String, idempotencyKeyArg) idempotencyKey: string | undefined,
  ) {
    const parsed = parseInput('candidates', z.array(candidateInput), candidates);
    return execute(context, 'data', 'record preference candidates', idempotencyKey, async (command) => {
      const result = await services(context).feedback.generateCandidates(
        { prompt, candidates: parsed, ...(promptId !== undefined ? { promptId } : {}) },
        command,
      );
      return { ...result, id: result.promptId };
    });
  }

  @CommandMutation(subjects.preferencePrompt, {
    description:
      "Rank a prompt's candidates, best first, as the calling person (labeler or engineer): every candidate once.",
  })
  @UseMiddleware(MutationRequest)
  rankPreference(
    @Ctx() context: ApiContext,
    @Arg('promptId', () => ID) promptId: string,
    @Arg('ranking', () => [ID]) ranking: string[],
    @Arg('idempotencyKey', () => String, idempotencyKeyArg) idempotencyKey: string | undefined,
  ) {
    return execute(context, 'label', 'rank preferences', idempotencyKey, (command) =>
      services(context).feedback.rankPreference({ promptId, ranking }, command),
    );
  }
}
