import { assertNever, ensure, type Decider } from '../shared/index.js';
import type { Candidate, CandidatesGenerated, PreferenceEvent, PreferenceRanked } from './feedback.events.js';

export const MIN_CANDIDATES = 2;
export const MAX_CANDIDATES = 8;

export type GenerateCandidates = {
  readonly type: 'GenerateCandidates';
  readonly promptId: string;
  readonly prompt: string;
  readonly candidates: readonly Candidate[];
  readonly at: string;
};

export type RankPreference = {
  readonly type: 'RankPreference';
  readonly promptId: string;
  /** Candidate ids, best first. */
  readonly ranking: readonly string[];
  readonly labeler: string;
  /** The role under which the ranking was accepted. */
  readonly labelerRole?: string;
  readonly at: string;
};

export type PreferenceCommand = GenerateCandidates | RankPreference;

export interface PreferenceState {
  readonly candidateIds: readonly string[] | undefined;
  readonly rankedBy: ReadonlySet<string>;
}

export const initialPreferenceState = (): PreferenceState => ({
  candidateIds: undefined,
  rankedBy: new Set(),
});

export function evolvePreference(state: PreferenceState, event: PreferenceEvent): PreferenceState {
  switch (event.type) {
    case 'CandidatesGenerated':
      return { ...state, candidateIds: event.data.candidates.map((candidate) => candidate.candidateId) };
    case 'PreferenceRanked':
      return { ...state, rankedBy: new Set(state.rankedBy).add(event.data.labeler) };
    default:
      return assertNever(event);
  }
}

/** True when `ranking` holds every candidate id exactly once and nothing else. */
export function isPermutationOf(ranking: readonly string[], candidateIds: readonly string[]): boolean {
  if (ranking.length !== candidateIds.length) return false;
  const remaining = new Set(candidateIds);
  for (const id of ranking) {
    if (!remaining.delete(id)) return false;
  }
  return remaining.size === 0;
}

export function decidePreference(
  command: PreferenceCommand,
  state: PreferenceState,
): readonly PreferenceEvent[] {
  switch (command.type) {
    case 'GenerateCandidates': {
      ensure(
        state.candidateIds === undefined,
        'CANDIDATES_ALREADY_GENERATED',
        `Prompt "${command.promptId}" already has candidates; rank them or use a new prompt id.`,
        { promptId: command.promptId },
      );
      const ids = command.candidates.map((candidate) => candidate.candidateId);
      ensure(
        ids.length >= MIN_CANDIDATES && ids.length <= MAX_CANDIDATES,
        'CANDIDATE_COUNT_INVALID',
        `A preference prompt needs ${MIN_CANDIDATES} to ${MAX_CANDIDATES} candidates, not ${ids.length}.`,
        { promptId: command.promptId, count: ids.length },
      );
      ensure(
        new Set(ids).size === ids.length,
        'CANDIDATE_IDS_NOT_UNIQUE',
        `Candidate ids of prompt "${command.promptId}" must be distinct: ${ids.join(', ')}.`,
        { promptId: command.promptId, ids },
      );
      const generated: CandidatesGenerated = {
        type: 'CandidatesGenerated',
        data: {
          promptId: command.promptId,
          prompt: command.prompt,
          candidates: command.candidates.map((candidate) => ({ ...candidate })),
          generatedAt: command.at,
        },
      };
      return [generated];
    }
    case 'RankPreference': {
      ensure(
        state.candidateIds,
        'CANDIDATES_NOT_FOUND',
        `Prompt "${command.promptId}" has no generated candidates to rank.`,
        { promptId: command.promptId },
      );
      ensure(
        isPermutationOf(command.ranking, state.candidateIds),
        'RANKING_NOT_PERMUTATION',
        `A ranking must list each candidate of prompt "${command.promptId}" exactly once (${state.candidateIds.join(', ')}); got ${command.ranking.join(', ') || 'nothing'}.`,
        { promptId: command.promptId, expected: state.candidateIds, got: command.ranking },
      );
      ensure(
        !state.rankedBy.has(command.labeler),
        'ALREADY_RANKED',
        `"${command.labeler}" already ranked prompt "${command.promptId}"; one ranking per labeler.`,
        { promptId: command.promptId, labeler: command.labeler },
      );
      const ranked: PreferenceRanked = {
        type: 'PreferenceRanked',
        data: {
          promptId: command.promptId,
          ranking: [...command.ranking],
          labeler: command.labeler,
          ...(command.labelerRole !== undefined ? { labelerRole: command.labelerRole } : {}),
          rankedAt: command.at,
        },
      };
      return [ranked];
    }
    default:
      return assertNever(command);
  }
}

export const preferenceDecider: Decider<PreferenceCommand, PreferenceEvent, PreferenceState> = {
  initialState: initialPreferenceState,
  evolve: evolvePreference,
  decide: decidePreference,
};
