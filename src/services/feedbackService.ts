import {
  DomainError,
  interactionDecider,
  interactionStream,
  preferenceDecider,
  preferenceStream,
  type Candidate,
  type FeedbackLabel,
  type InteractionRecorded,
  type InteractionRewardScored,
  type RecordInteraction,
  type RecordRewardScore,
} from '../domain/index.js';
import { TEACHING_ROLES, teachingRole, type CommandContext } from './commandContext.js';
import type { CommandResult } from './commandHandler.js';
import type { Input, ServiceKit } from './serviceDependencies.js';

/** Interactions and preferences: one small stream each, so the serving path has no hot spot. */
export class FeedbackService {
  constructor(private readonly kit: ServiceKit) {}

  async recordInteraction(
    input: Omit<Input<RecordInteraction>, 'interactionId'> & { interactionId?: string },
    context: CommandContext,
  ): Promise<CommandResult & { interactionId: string }> {
    const interactionId = input.interactionId ?? this.kit.newId(context, 'interactionId');
    const result = await this.kit.handler.handle(
      interactionDecider,
      interactionStream(interactionId),
      { ...input, type: 'RecordInteraction', interactionId, at: this.kit.now() },
      context,
    );
    return { ...result, interactionId };
  }

  /**
   * Records many interactions, each on its own new stream, in one append to the log (the serving path's
   * capture). Each outcome is what `recordInteraction` would give for it alone; a retry under the same
   * idempotency key comes back with the event first recorded.
   */
  async recordInteractions(
    items: readonly { input: Input<RecordInteraction>; context: CommandContext }[],
  ): Promise<PromiseSettledResult<{ interactionId: string; version: number }>[]> {
    const at = this.kit.now();
    const outcomes = await this.kit.handler.handleOnNewStreams(
      interactionDecider,
      items.map(({ input, context }) => ({
        streamId: interactionStream(input.interactionId),
        command: { ...input, type: 'RecordInteraction' as const, at },
        context,
      })),
    );
    return outcomes.map((outcome, index) =>
      outcome.status === 'fulfilled'
        ? {
            status: 'fulfilled',
            value: { interactionId: items[index]!.input.interactionId, version: outcome.value.version },
          }
        : outcome,
    );
  }

  /**
   * An interaction as its stream holds it, with every label in order (a correction with the role that
   * supplied it, when recorded) and its latest reward score; undefined when never recorded.
   */
  async labelledInteraction(interactionId: string): Promise<
    | {
        recorded: InteractionRecorded['data'];
        labels: (FeedbackLabel & { labelerRole?: string })[];
        rewardScore?: number;
      }
    | undefined
  > {
    const events = await this.kit.handler.readEvents(interactionStream(interactionId));
    const recorded = events.find((event) => event.type === 'InteractionRecorded');
    if (!recorded) return undefined;
    const labels = events.flatMap((event) => {
      if (event.type !== 'FeedbackLabeled') return [];
      const { label, labelerRole } = event.data as { label: FeedbackLabel; labelerRole?: string };
      return [labelerRole !== undefined ? { ...label, labelerRole } : label];
    });
    const scored = events.findLast((event) => event.type === 'InteractionRewardScored');
    return {
      recorded: recorded.data as InteractionRecorded['data'],
      labels,
      ...(scored ? { rewardScore: (scored.data as InteractionRewardScored['data']).score } : {}),
    };
  }

  /**
   * A preference prompt as its stream holds it: candidates and every ranking in order with its labeler (reads as
   * [erased] once that labeler is forgotten); undefined when unknown.
   */
  async rankedPrompt(promptId: string): Promise<
    | {
        prompt: string;
        candidates: { candidateId: string; text: string }[];
        rankings: { labeler: string; ranking: string[] }[];
      }
    | undefined
  > {
    const events = await this.kit.handler.readEvents(preferenceStream(promptId));
    const generated = events.find((event) => event.type === 'CandidatesGenerated');
    if (!generated) return undefined;
    const { prompt, candidates } = generated.data as { prompt: string; candidates: Candidate[] };
    const rankings = events.flatMap((event) => {
      if (event.type !== 'PreferenceRanked') return [];
      const { labeler, ranking } = event.data as { labeler: string; ranking: string[] };
      return [{ labeler, ranking: [...ranking] }];
    });
    return {
      prompt,
      candidates: candidates.map((c) => ({ candidateId: c.candidateId, text: c.text })),
      rankings,
    };
  }

  /**
   * Labels a recorded interaction; the labeler is the acting user. A correction teaches the model, so it
   * needs a teaching role (labeler, engineer or admin), which the event records. `subjectId` names the end user
   * who gave the label (the serving API's `user`), the data subject of its personal fields; without it, the actor is.
   */
  async labelFeedback(
    input: { interactionId: string; label: FeedbackLabel; subjectId?: string },
    context: CommandContext,
  ): Promise<CommandResult> {
    const labelerRole =
      input.label.kind === 'correction' ? requireTeachingRole(context, 'submit corrections') : undefined;
    return this.kit.handler.handle(
      interactionDecider,
      interactionStream(input.interactionId),
      {
        ...input,
        type: 'LabelFeedback',
        labeler: context.actor,
        ...(labelerRole !== undefined ? { labelerRole } : {}),
        at: this.kit.now(),
      },
      context,
    );
  }

  /**
   * Records a reward model's score of a served interaction (the flywheel's automatic signal); once per
   * interaction and reward-model version (INTERACTION_ALREADY_SCORED).
   */
  async recordRewardScore(input: Input<RecordRewardScore>, context: CommandContext): Promise<CommandResult> {
    return this.kit.handler.handle(
      interactionDecider,
      interactionStream(input.interactionId),
      { ...input, type: 'RecordRewardScore', at: this.kit.now() },
      context,
    );
  }

  /** Records the candidates generated for a prompt; candidate ids are generated when absent. */
  async generateCandidates(
    input: {
      promptId?: string;
      prompt: string;
      candidates: readonly (Omit<Candidate, 'candidateId'> & { candidateId?: string })[];
    },
    context: CommandContext,
  ): Promise<CommandResult & { promptId: string; candidateIds: string[] }> {
    const promptId = input.promptId ?? this.kit.newId(context, 'promptId');
    const candidates = input.candidates.map((candidate, index) => ({
      ...candidate,
      candidateId: candidate.candidateId ?? this.kit.newId(context, `candidateId-${index}`),
    }));
    const result = await this.kit.handler.handle(
      preferenceDecider,
      preferenceStream(promptId),
      { type: 'GenerateCandidates', promptId, prompt: input.prompt, candidates, at: this.kit.now() },
      context,
    );
    return { ...result, promptId, candidateIds: candidates.map((candidate) => candidate.candidateId) };
  }

  /** Ranks a prompt's candidates, best first; the labeler is the acting user, who needs a teaching role. */
  async rankPreference(
    input: { promptId: string; ranking: readonly string[] },
    context: CommandContext,
  ): Promise<CommandResult> {
    const labelerRole = requireTeachingRole(context, 'rank preferences');
    return this.kit.handler.handle(
      preferenceDecider,
      preferenceStream(input.promptId),
      { ...input, type: 'RankPreference', labeler: context.actor, labelerRole, at: this.kit.now() },
      context,
    );
  }
}

/** The context's teaching role; refused (LABELER_ROLE_NOT_ALLOWED, a FORBIDDEN) when it holds none. */
function requireTeachingRole(context: CommandContext, what: string): string {
  const role = teachingRole(context);
  if (role !== undefined) return role;
  throw new DomainError(
    'LABELER_ROLE_NOT_ALLOWED',
    `${context.actor} (roles: ${context.roles?.join(', ') || 'none'}) may not ${what}: they become training data and need one of the roles ${TEACHING_ROLES.join(', ')}. Thumbs and ratings stay open to every client.`,
    { actor: context.actor, needs: [...TEACHING_ROLES] },
  );
}
