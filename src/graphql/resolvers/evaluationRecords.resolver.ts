import { Arg, Ctx, ID, Resolver, UseMiddleware } from 'type-graphql';
import type { ApiContext } from '../context.js';
import { CommandMutation } from '../types/commandPayload.type.js';
import { execute, idempotencyKeyArg, services, workerIdFor } from './commandExecution.js';
import { MutationRequest } from './mutationRequest.js';
import { subjects } from './payloadSubjects.js';

/**
 * The labels an evaluation worker gives the records it scored, for a worker outside this process: the
 * worker role may record interactions but not label them (labelFeedback needs a labeling role), so this
 * one label, on this evaluation's own interactions, by the worker that holds its live lease, has its own
 * mutation.
 */
@UseMiddleware(MutationRequest)
@Resolver()
export class EvaluationRecordsResolver {
  @CommandMutation(subjects.interaction, {
    description:
      "Label scored record recordId of a held evaluation with its error category (worker): the interaction eval-<evaluationId>-<recordId>, recorded first with recordInteraction, gets its automatic first label, which a person's later labelFeedback corrects. Refused unless the caller holds the evaluation's live lease.",
  })
  labelScoredRecord(
    @Ctx() context: ApiContext,
    @Arg('evaluationId', () => ID) evaluationId: string,
    @Arg('recordId', () => ID) recordId: string,
    @Arg('category') category: string,
    @Arg('workerId', () => String, { nullable: true }) workerId: string | undefined,
    @Arg('idempotencyKey', () => String, idempotencyKeyArg) idempotencyKey: string | undefined,
  ) {
    return execute(context, 'work', 'label scored records', idempotencyKey, async (command) => {
      const result = await services(context).evaluations.labelScoredRecord(
        { evaluationId, recordId, category, workerId: workerIdFor(context, workerId) },
        command,
      );
      return { ...result, id: result.interactionId };
    });
  }
}
