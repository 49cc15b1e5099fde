/** Requesting an evaluation (engineers); the work on it: evaluationWork.resolver.ts. */
import { Arg, Ctx, Resolver, UseMiddleware } from 'type-graphql';
import { type ApiContext } from '../context.js';
import { CommandMutation } from '../types/commandPayload.type.js';
import { subjects } from './payloadSubjects.js';
import { evaluationRequestInput, EvaluationRequestInput, parseInput } from './commandInputs.js';
import { execute, idempotencyKeyArg, services } from './commandExecution.js';
import { MutationRequest } from './mutationRequest.js';

@UseMiddleware(MutationRequest)
@Resolver()
export class EvaluationCommandsResolver {
  @CommandMutation(subjects.evaluation, {
    description: 'Request an evaluation (engineer) (EvaluationRequested of EVENTS.md).',
  })
  requestEvaluation(
    @Ctx() context: ApiContext,
    @Arg('input', () => EvaluationRequestInput) input: object,
    @Arg('idempotencyKey', () => String, idempotencyKeyArg) idempotencyKey: string | undefined,
  ) {
    const fields = parseInput('input', evaluationRequestInput, input);
    return execute(context, 'train', 'start evaluations', idempotencyKey, async (command) => {
      const result = await services(context).evaluations.requestEvaluation(fields, command);
      return { ...result, id: result.evaluationId };
    });
  }
}
