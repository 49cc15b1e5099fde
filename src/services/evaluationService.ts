import {
  evaluationDecider,
  evaluationInteractionId,
  evaluationStream,
  interactionDecider,
  interactionStream,
  heldEvaluation,
  type CompleteEvaluation,
  type EvaluationCommand,
  type EvaluationState,
  type FailEvaluation,
  type ReportEvaluationProgress,
  type RequestEvaluation,
} from '../domain/index.js';
import type { CommandContext } from './commandContext.js';
import type { CommandResult } from './commandHandler.js';
import type { Input, ServiceKit } from './serviceDependencies.js';

export class EvaluationService {
  constructor(private readonly kit: ServiceKit) {}

  /** Requests an evaluation of a retained model version on an existing dataset revision. */
  async requestEvaluation(
    input: Omit<Input<RequestEvaluation>, 'facts' | 'evaluationId'> & { evaluationId?: string },
    context: CommandContext,
  ): Promise<CommandResult & { evaluationId: string }> {
    const evaluationId = input.evaluationId ?? this.kit.newId(context, 'evaluationId');
    const dataset = await this.kit.facts.dataset(input.dataset.id);
    const facts = {
      modelVersion: await this.kit.facts.modelVersion(input.model),
      datasetRevisionFound: dataset?.revisions.has(input.dataset.revision) ?? false,
    };
    const result = await this.execute(
      evaluationId,
      { ...input, type: 'RequestEvaluation', evaluationId, facts, at: this.kit.now() },
      context,
    );
    return { ...result, evaluationId };
  }

  claimEvaluation(
    input: { evaluationId: string; workerId: string; leaseMs: number },
    context: CommandContext,
  ): Promise<CommandResult> {
    return this.execute(
      input.evaluationId,
      {
        type: 'ClaimEvaluation',
        evaluationId: input.evaluationId,
        workerId: input.workerId,
        leaseUntil: this.leaseUntil(input.leaseMs),
        at: this.kit.now(),
      },
      context,
    );
  }

  /** Extends the holder's lease to `leaseMs` from now; refused once the lease has lapsed or moved on. */
  renewLease(
    input: { evaluationId: string; workerId: string; leaseMs: number },
    context: CommandContext,
  ): Promise<CommandResult> {
    return this.execute(
      input.evaluationId,
      {
        type: 'RenewEvaluationLease',
        evaluationId: input.evaluationId,
        workerId: input.workerId,
        leaseUntil: this.leaseUntil(input.leaseMs),
        at: this.kit.now(),
      },
      context,
    );
  }

  reportProgress(input: Input<ReportEvaluationProgress>, context: CommandContext): Promise<CommandResult> {
    return this.execute(
      input.evaluationId,
      { ...input, type: 'ReportEvaluationProgress', at: this.kit.now() },
      context,
    );
  }

  completeEvaluation(input: Input<CompleteEvaluation>, context: CommandContext): Promise<CommandResult> {
    return this.execute(
      input.evaluationId,
      { ...input, type: 'CompleteEvaluation', at: this.kit.now() },
      context,
    );
  }

  failEvaluation(input: Input<FailEvaluation>, context: CommandContext): Promise<CommandResult> {
    return this.execute(
      input.evaluationId,
      { ...input, type: 'FailEvaluation', at: this.kit.now() },
      context,
    );
  }

  /**
   * Labels scored record `recordId` of an evaluation with the error category the worker gave it: the
   * interaction `eval-<evaluationId>-<recordId>` gets its first error-category label, which a person's later
   * label corrects. Only the worker holding the evaluation's live lease may, and only this kind of label on
   * this evaluation's interactions: a worker token labels nothing else (labelFeedback needs a labeling role).
   */
  async labelScoredRecord(
    input: { evaluationId: string; workerId: string; recordId: string; category: string },
    context: CommandContext,
  ): Promise<CommandResult & { interactionId: string }> {
    const at = this.kit.now();
    heldEvaluation(await this.getEvaluation(input.evaluationId), input.evaluationId, input.workerId, at);
    const interactionId = evaluationInteractionId(input.evaluationId, input.recordId);
    const result = await this.kit.handler.handle(
      interactionDecider,
      interactionStream(interactionId),
      {
        type: 'LabelFeedback',
        interactionId,
        label: { kind: 'error-category', category: input.category },
        labeler: context.actor,
        at,
      },
      context,
    );
    return { ...result, interactionId };
  }

  async getEvaluation(evaluationId: string): Promise<EvaluationState> {
    return (await this.kit.handler.load(evaluationDecider, evaluationStream(evaluationId))).state;
  }

  private leaseUntil(leaseMs: number): string {
    return new Date(this.kit.clock.now().getTime() + leaseMs).toISOString();
  }

  private execute(
    evaluationId: string,
    command: EvaluationCommand,
    context: CommandContext,
  ): Promise<CommandResult> {
    return this.kit.handler.handle(evaluationDecider, evaluationStream(evaluationId), command, context);
  }
}
