import { assertNever, ensure, type Decider } from '../shared/index.js';
import type {
  FeedbackLabel,
  FeedbackLabeled,
  InteractionEvent,
  InteractionRecorded,
  InteractionRewardScored,
} from './feedback.events.js';

export type RecordInteraction = Omit<InteractionRecorded['data'], 'recordedAt'> & {
  readonly type: 'RecordInteraction';
  readonly at: string;
};

export type LabelFeedback = {
  readonly type: 'LabelFeedback';
  readonly interactionId: string;
  readonly label: FeedbackLabel;
  readonly labeler: string;
  /** The role under which a correction was accepted; recorded so a flywheel revision can say who taught it. */
  readonly labelerRole?: string;
  /** The end user who gave the label, when the request named one: the data subject. */
  readonly subjectId?: string;
  readonly at: string;
};

export type RecordRewardScore = Omit<InteractionRewardScored['data'], 'scoredAt'> & {
  readonly type: 'RecordRewardScore';
  readonly at: string;
};

export type InteractionCommand = RecordInteraction | LabelFeedback | RecordRewardScore;

export interface InteractionState {
  readonly recorded: boolean;
  readonly labels: number;
  /** The reward-model versions (`name@version`) that scored the interaction. */
  readonly scoredBy: readonly string[];
}

export const initialInteractionState = (): InteractionState => ({ recorded: false, labels: 0, scoredBy: [] });

const rewardModelKey = (model: { readonly name: string; readonly version: number }) =>
  `${model.name}@${model.version}`;

export function evolveInteraction(state: InteractionState, event: InteractionEvent): InteractionState {
  switch (event.type) {
    case 'InteractionRecorded':
      return { ...state, recorded: true };
    case 'FeedbackLabeled':
      return { ...state, labels: state.labels + 1 };
    case 'InteractionRewardScored':
      return { ...state, scoredBy: [...state.scoredBy, rewardModelKey(event.data.rewardModel)] };
    default:
      return assertNever(event);
  }
}

export function decideInteraction(
  command: InteractionCommand,
  state: InteractionState,
): readonly InteractionEvent[] {
  switch (command.type) {
    case 'RecordInteraction': {
      ensure(
        !state.recorded,
        'INTERACTION_ALREADY_RECORDED',
        `Interaction "${command.interactionId}" is already recorded; interactions are immutable, use a new id.`,
        { interactionId: command.interactionId },
      );
      const { type: _type, at, ...data } = command;
      const recorded: InteractionRecorded = {
        type: 'InteractionRecorded',
        data: { ...data, model: { ...data.model }, tokens: { ...data.tokens }, recordedAt: at },
      };
      return [recorded];
    }
    case 'LabelFeedback': {
      ensure(
        state.recorded,
        'INTERACTION_NOT_FOUND',
        `Interaction "${command.interactionId}" was never recorded; feedback must refer to a recorded interaction.`,
        { interactionId: command.interactionId },
      );
      const labeled: FeedbackLabeled = {
        type: 'FeedbackLabeled',
        data: {
          interactionId: command.interactionId,
          label: command.label,
          labeler: command.labeler,
          ...(command.labelerRole !== undefined ? { labelerRole: command.labelerRole } : {}),
          ...(command.subjectId !== undefined ? { subjectId: command.subjectId } : {}),
          labeledAt: command.at,
        },
      };
      return [labeled];
    }
    case 'RecordRewardScore': {
      ensure(
        state.recorded,
        'INTERACTION_NOT_FOUND',
        `Interaction "${command.interactionId}" was never recorded; only recorded interactions are scored.`,
        { interactionId: command.interactionId },
      );
      ensure(
        !state.scoredBy.includes(rewardModelKey(command.rewardModel)),
        'INTERACTION_ALREADY_SCORED',
        `Interaction "${command.interactionId}" is already scored by ${command.rewardModel.name} v${command.rewardModel.version}.`,
        { interactionId: command.interactionId },
      );
      const scored: InteractionRewardScored = {
        type: 'InteractionRewardScored',
        data: {
          interactionId: command.interactionId,
          rewardModel: { ...command.rewardModel },
          score: command.score,
          scoredAt: command.at,
        },
      };
      return [scored];
    }
    default:
      return assertNever(command);
  }
}

export const interactionDecider: Decider<InteractionCommand, InteractionEvent, InteractionState> = {
  initialState: initialInteractionState,
  evolve: evolveInteraction,
  decide: decideInteraction,
};
