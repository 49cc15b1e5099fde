import { Arg, Ctx, Resolver, UseMiddleware } from 'type-graphql';
import type { ApiContext } from '../context.js';
import { CommandMutation } from '../types/commandPayload.type.js';
import { execute, idempotencyKeyArg, services } from './commandExecution.js';
import { MutationRequest } from './mutationRequest.js';

/** The right to erasure (docs/privacy.md). */
@UseMiddleware(MutationRequest)
@Resolver()
export class PrivacyResolver {
  @CommandMutation(null, {
    description:
      "Forget a data subject (admin): destroys the subject's data key and records SubjectForgotten. The subject's prompts, responses, corrections, candidate texts and identity read as [erased] everywhere from then on; the hash chain still verifies.",
  })
  forgetSubject(
    @Ctx() context: ApiContext,
    @Arg('subjectId') subjectId: string,
    @Arg('reason') reason: string,
    @Arg('idempotencyKey', () => String, idempotencyKeyArg) idempotencyKey: string | undefined,
  ) {
    return execute(context, 'admin', 'forget data subjects', idempotencyKey, async (command) => {
      const result = await services(context).privacy.forgetSubject({ subjectId, reason }, command);
      return { ...result, id: subjectId };
    });
  }
}
