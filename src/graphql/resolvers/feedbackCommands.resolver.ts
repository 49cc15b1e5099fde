/** Mutations of the interaction aggregate: labelling a served answer. Recording one: jobReports.resolver.ts. */
import { Arg, Ctx, ID, Mutation, Resolver, UseMiddleware } from 'type-graphql';
import { type ApiContext } from '../context.js';
import { CommandPayload } from '../types/commandPayload.type.js';
import { JSON } from '../types/scalars.js';
import { labelInput, parseArgument } from './commandInputs.js';
import { execute, idempotencyKeyArg, services } from './commandExecution.js';
import { MutationRequest } from './mutationRequest.js';

@UseMiddleware(MutationRequest)
@Resolver()
export class FeedbackCommandsResolver {
  @Mutation(() => CommandPayload, {
    description:
      'Label a served interaction (labeler or engineer). label: { kind: thumbs|rating|correction|error-category, ... }. A correction becomes training data; the event records the role that supplied it.',
  })
  labelFeedback(
    @Ctx() context: ApiContext,
    @Arg('interactionId', () => ID) interactionId: string,
    @Arg('label', () => JSON) label: unknown,
    @Arg('idempotencyKey', () => String, idempotencyKeyArg) idempotencyKey: string | undefined,
  ) {
    const parsed = parseArgument('label', labelInput, label);
    return execute(context, 'label', 'label feedback', idempotencyKey, async (command) => {
      // An answer served a moment ago may still be on its way to the log.
      await context.deps.interactionCapture?.whenRecorded(interactionId);
      return services(context).feedback.labelFeedback({ interactionId, label: parsed }, command);
    });
  }
}
