/** Mutations of the interaction aggregate: labelling a served answer. Recording one: jobReports.resolver.ts. */
import { Arg, Ctx, ID, Resolver, UseMiddleware } from 'type-graphql';
import { type ApiContext } from '../context.js';
import { CommandMutation } from '../types/commandPayload.type.js';
import { subjects } from './payloadSubjects.js';
import { FeedbackLabelInput, labelInput, parseInput } from './commandInputs.js';
import { labelOfSignal } from '../../domain/index.js';
import { execute, idempotencyKeyArg, services } from './commandExecution.js';
import { MutationRequest } from './mutationRequest.js';

@UseMiddleware(MutationRequest)
@Resolver()
export class FeedbackCommandsResolver {
  @CommandMutation(subjects.interaction, {
    description:
      'Label a served interaction (labeler or engineer) with exactly one of thumbs, rating, correction and errorCategory, as POST /v1/feedback. A correction becomes training data; the event records the role that supplied it.',
  })
  labelFeedback(
    @Ctx() context: ApiContext,
    @Arg('interactionId', () => ID) interactionId: string,
    @Arg('label', () => FeedbackLabelInput) label: object,
    @Arg('idempotencyKey', () => String, idempotencyKeyArg) idempotencyKey: string | undefined,
  ) {
    const parsed = labelOfSignal(parseInput('label', labelInput, label));
    return execute(context, 'label', 'label feedback', idempotencyKey, async (command) => {
      // An answer served a moment ago may still be on its way to the log.
      await context.deps.interactionCapture?.whenRecorded(interactionId);
      return services(context).feedback.labelFeedback({ interactionId, label: parsed }, command);
    });
  }
}
