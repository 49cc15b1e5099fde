import { Arg, Ctx, ID, Int, Resolver, UseMiddleware } from 'type-graphql';
import { MutationRequest } from './mutationRequest.js';
import type { ApiContext } from '../context.js';
import { CommandMutation } from '../types/commandPayload.type.js';
import { subjects } from './payloadSubjects.js';
import { execute, idempotencyKeyArg, services, workerIdFor } from './commandExecution.js';
import { evaluationCompletionInput, EvaluationCompletionInput, parseInput } from './commandInputs.js';

/**
 * Evaluations for workers outside this process (worker role): claim a requested evaluation, keep its
 * lease alive, report progress, and complete or fail it. The domain refuses anything from a worker that
 * does not hold the live lease.
 */
@UseMiddleware(MutationRequest)
@Resolver()
export class EvaluationWorkResolver {
  @CommandMutation(subjects.evaluation, { description: 'Claim a requested evaluation (worker).' })
  claimEvaluation(
    @Ctx() context: ApiContext,
    @Arg('evaluationId', () => ID) evaluationId: string,
    @Arg('leaseMs', () => Int, { defaultValue: 60_000 }) leaseMs: number,
    @Arg('workerId', () => String, { nullable: true }) workerId: string | undefined,
    @Arg('idempotencyKey', () => String, idempotencyKeyArg) idempotencyKey: string | undefined,
  ) {
    return execute(context, 'work', 'claim jobs', idempotencyKey, (command) =>
      services(context).evaluations.claimEvaluation(
        { evaluationId, workerId: workerIdFor(context, workerId), leaseMs },
        command,
      ),
    );
  }

  @CommandMutation(subjects.evaluation, { description: 'Renew the lease on a held evaluation (worker).' })
  renewEvaluationLease(
    @Ctx() context: ApiContext,
    @Arg('evaluationId', () => ID) evaluationId: string,
    @Arg('leaseMs', () => Int, { defaultValue: 60_000 }) leaseMs: number,
    @Arg('workerId', () => String, { nullable: true }) workerId: string | undefined,
  ) {
    return execute(context, 'work', 'renew leases', undefined, (command) =>
      services(context).evaluations.renewLease(
        { evaluationId, workerId: workerIdFor(context, workerId), leaseMs },
        command,
      ),
    );
  }

  @CommandMutation(subjects.evaluation, {
    description: 'Report how many examples a held evaluation has done (worker).',
  })
  reportEvaluationProgress(
    @Ctx() context: ApiContext,
    @Arg('evaluationId', () => ID) evaluationId: string,
    @Arg('completedExamples', () => Int) completedExamples: number,
    @Arg('totalExamples', () => Int) totalExamples: number,
    @Arg('workerId', () => String, { nullable: true }) workerId: string | undefined,
    @Arg('idempotencyKey', () => String, idempotencyKeyArg) idempotencyKey: string | undefined,
  ) {
    return execute(context, 'work', 'report progress', idempotencyKey, (command) =>
      services(context).evaluations.reportProgress(
        { evaluationId, completedExamples, totalExamples, workerId: workerIdFor(context, workerId) },
        command,
      ),
    );
  }

  @CommandMutation(subjects.evaluation, {
    description:
      'Complete a held evaluation (worker); the gate is applied to the metrics. input: metrics, categories, errorTaxonomy, artifacts (EvaluationCompleted).',
  })
  completeEvaluation(
    @Ctx() context: ApiContext,
    @Arg('evaluationId', () => ID) evaluationId: string,
    @Arg('input', () => EvaluationCompletionInput) input: object,
    @Arg('workerId', () => String, { nullable: true }) workerId: string | undefined,
    @Arg('idempotencyKey', () => String, idempotencyKeyArg) idempotencyKey: string | undefined,
  ) {
    const fields = parseInput('input', evaluationCompletionInput, input);
    return execute(context, 'work', 'complete jobs', idempotencyKey, (command) =>
      services(context).evaluations.completeEvaluation(
        { ...fields, evaluationId, workerId: workerIdFor(context, workerId) },
        command,
      ),
    );
  }

  @CommandMutation(subjects.evaluation, { description: 'Fail a held evaluation with a reason (worker).' })
  failEvaluation(
    @Ctx() context: ApiContext,
    @Arg('evaluationId', () => ID) evaluationId: string,
    @Arg('reason') reason: string,
    @Arg('workerId', () => String, { nullable: true }) workerId: string | undefined,
    @Arg('idempotencyKey', () => String, idempotencyKeyArg) idempotencyKey: string | undefined,
  ) {
    return execute(context, 'work', 'fail jobs', idempotencyKey, (command) =>
      services(context).evaluations.failEvaluation(
        { evaluationId, reason, workerId: workerIdFor(context, workerId) },
        command,
      ),
    );
  }
}
