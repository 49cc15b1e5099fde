/** Mutations of the training-run aggregate: engineers request and cancel; workers claim, renew, report, complete, fail. */
import { Arg, Ctx, ID, Int, Resolver, UseMiddleware } from 'type-graphql';
import { type ApiContext } from '../context.js';
import { CommandMutation } from '../types/commandPayload.type.js';
import { subjects } from './payloadSubjects.js';
import {
  parseInput,
  progressInput,
  ProgressInput,
  runCompletionInput,
  RunCompletionInput,
  trainingRunRequestInput,
  TrainingRunRequestInput,
} from './commandInputs.js';
import { execute, idempotencyKeyArg, services, workerIdFor } from './commandExecution.js';
import { MutationRequest } from './mutationRequest.js';

@UseMiddleware(MutationRequest)
@Resolver()
export class TrainingRunCommandsResolver {
  @CommandMutation(subjects.run, {
    description:
      "Request a training run (engineer) (TrainingRunRequested of EVENTS.md). Left out: the founding guide's LoRA (r=16, alpha=32, dropout 0.05 on q_proj/v_proj) and three stages, cross-entropy, seed 0; the event records the resolved values. Bounds: README's Limits.",
  })
  requestTrainingRun(
    @Ctx() context: ApiContext,
    @Arg('input', () => TrainingRunRequestInput) input: object,
    @Arg('idempotencyKey', () => String, idempotencyKeyArg) idempotencyKey: string | undefined,
  ) {
    const fields = parseInput('input', trainingRunRequestInput, input);
    return execute(context, 'train', 'start training runs', idempotencyKey, async (command) => {
      const result = await services(context).runs.requestTrainingRun(fields, command);
      return { ...result, id: result.runId };
    });
  }

  @CommandMutation(subjects.run, { description: 'Cancel a training run (engineer).' })
  cancelTrainingRun(
    @Ctx() context: ApiContext,
    @Arg('runId', () => ID) runId: string,
    @Arg('reason') reason: string,
    @Arg('idempotencyKey', () => String, idempotencyKeyArg) idempotencyKey: string | undefined,
  ) {
    return execute(context, 'train', 'cancel training runs', idempotencyKey, (command) =>
      services(context).runs.cancelRun({ runId, reason }, command),
    );
  }

  @CommandMutation(subjects.run, { description: 'Claim a requested training run (worker).' })
  claimTrainingRun(
    @Ctx() context: ApiContext,
    @Arg('runId', () => ID) runId: string,
    @Arg('backend', { description: 'The TensorFlow.js backend, e.g. tensorflow-gpu.' }) backend: string,
    @Arg('device', { defaultValue: '' }) device: string,
    @Arg('leaseMs', () => Int, { defaultValue: 60_000 }) leaseMs: number,
    @Arg('workerId', () => String, { nullable: true }) workerId: string | undefined,
    @Arg('idempotencyKey', () => String, idempotencyKeyArg) idempotencyKey: string | undefined,
  ) {
    return execute(context, 'work', 'claim jobs', idempotencyKey, (command) =>
      services(context).runs.claimRun(
        { runId, workerId: workerIdFor(context, workerId), leaseMs, backend: { name: backend, device } },
        command,
      ),
    );
  }

  @CommandMutation(subjects.run, { description: 'Renew the lease on a held run (worker).' })
  heartbeat(
    @Ctx() context: ApiContext,
    @Arg('runId', () => ID) runId: string,
    @Arg('leaseMs', () => Int, { defaultValue: 60_000 }) leaseMs: number,
    @Arg('workerId', () => String, { nullable: true }) workerId: string | undefined,
  ) {
    return execute(context, 'work', 'renew leases', undefined, (command) =>
      services(context).runs.renewLease(
        { runId, workerId: workerIdFor(context, workerId), leaseMs },
        command,
      ),
    );
  }

  @CommandMutation(subjects.run, { description: 'Start a stage of a held run (worker).' })
  startStage(
    @Ctx() context: ApiContext,
    @Arg('runId', () => ID) runId: string,
    @Arg('stageIndex', () => Int) stageIndex: number,
    @Arg('steps', () => Int) steps: number,
    @Arg('workerId', () => String, { nullable: true }) workerId: string | undefined,
    @Arg('idempotencyKey', () => String, idempotencyKeyArg) idempotencyKey: string | undefined,
  ) {
    return execute(context, 'work', 'start stages', idempotencyKey, (command) =>
      services(context).runs.startStage(
        { runId, stageIndex, steps, workerId: workerIdFor(context, workerId) },
        command,
      ),
    );
  }

  @CommandMutation(subjects.run, {
    description: 'Report training progress on a held run (worker) (TrainingProgressReported).',
  })
  reportProgress(
    @Ctx() context: ApiContext,
    @Arg('runId', () => ID) runId: string,
    @Arg('input', () => ProgressInput) input: object,
    @Arg('workerId', () => String, { nullable: true }) workerId: string | undefined,
    @Arg('idempotencyKey', () => String, idempotencyKeyArg) idempotencyKey: string | undefined,
  ) {
    const fields = parseInput('input', progressInput, input);
    return execute(context, 'work', 'report progress', idempotencyKey, (command) =>
      services(context).runs.reportProgress(
        { ...fields, runId, workerId: workerIdFor(context, workerId) },
        command,
      ),
    );
  }

  @CommandMutation(subjects.run, {
    description: 'Complete a held run (worker) (TrainingRunCompleted).',
  })
  completeJob(
    @Ctx() context: ApiContext,
    @Arg('runId', () => ID) runId: string,
    @Arg('input', () => RunCompletionInput) input: object,
    @Arg('workerId', () => String, { nullable: true }) workerId: string | undefined,
    @Arg('idempotencyKey', () => String, idempotencyKeyArg) idempotencyKey: string | undefined,
  ) {
    const fields = parseInput('input', runCompletionInput, input);
    return execute(context, 'work', 'complete jobs', idempotencyKey, (command) =>
      services(context).runs.completeRun(
        { ...fields, runId, workerId: workerIdFor(context, workerId) },
        command,
      ),
    );
  }

  @CommandMutation(subjects.run, { description: 'Fail a held run (worker).' })
  failJob(
    @Ctx() context: ApiContext,
    @Arg('runId', () => ID) runId: string,
    @Arg('reason') reason: string,
    @Arg('retryable', { defaultValue: false }) retryable: boolean,
    @Arg('workerId', () => String, { nullable: true }) workerId: string | undefined,
    @Arg('idempotencyKey', () => String, idempotencyKeyArg) idempotencyKey: string | undefined,
  ) {
    return execute(context, 'work', 'fail jobs', idempotencyKey, (command) =>
      services(context).runs.failRun(
        { runId, reason, retryable, workerId: workerIdFor(context, workerId) },
        command,
      ),
    );
  }
}
