import { describe, expect, it } from 'vitest';
import {
  interactionDecider,
  isPermutationOf,
  preferenceDecider,
  type FeedbackEvent,
  type InteractionEvent,
  type PreferenceEvent,
} from '../../src/domain/index.js';
import { at, specFor } from './support.js';

const interactions = specFor(interactionDecider);
const preferences = specFor(preferenceDecider);

const interactionData = {
  interactionId: 'i1',
  model: { name: 'med-llama', version: 3 },
  prompt: 'What is the dose of [DRUG]?',
  response: 'Ask your doctor.',
  latencyMs: 120,
  tokens: { prompt: 9, completion: 5 },
  meanTokenEntropy: 1.2,
};
const recorded: InteractionEvent = {
  type: 'InteractionRecorded',
  data: { ...interactionData, recordedAt: at(0) },
};

describe('interaction decider', () => {
  it('records an interaction once', () => {
    interactions
      .given([])
      .when({ type: 'RecordInteraction', ...interactionData, at: at(0) })
      .then([recorded]);
    interactions
      .given([recorded])
      .when({ type: 'RecordInteraction', ...interactionData, at: at(1) })
      .thenThrows('INTERACTION_ALREADY_RECORDED');
  });

  it('records a reward score of a recorded interaction once per reward-model version', () => {
    const score = (version: number, value: number, t: number) => ({
      type: 'RecordRewardScore' as const,
      interactionId: 'i1',
      rewardModel: { name: 'med-llama-reward', version },
      score: value,
      at: at(t),
    });
    const scored: InteractionEvent = {
      type: 'InteractionRewardScored',
      data: {
        interactionId: 'i1',
        rewardModel: { name: 'med-llama-reward', version: 1 },
        score: -0.5,
        scoredAt: at(1),
      },
    };
    interactions
      .given([])
      .when(score(1, -0.5, 1))
      .thenThrows('INTERACTION_NOT_FOUND');
    interactions
      .given([recorded])
      .when(score(1, -0.5, 1))
      .then([scored]);
    interactions
      .given([recorded, scored])
      .when(score(1, 0.25, 2))
      .thenThrows('INTERACTION_ALREADY_SCORED');
    // A newer reward model scores it again.
    interactions
      .given([recorded, scored])
      .when(score(2, 0.25, 2))
      .then([
        {
          type: 'InteractionRewardScored',
          data: {
            interactionId: 'i1',
            rewardModel: { name: 'med-llama-reward', version: 2 },
            score: 0.25,
            scoredAt: at(2),
          },
        },
      ]);
  });

  it('labels only a recorded interaction', () => {
    const label = {
      type: 'LabelFeedback' as const,
      interactionId: 'i1',
      label: { kind: 'rating' as const, value: 4 },
      labeler: 'doc',
      at: at(2),
    };
    interactions
      .given([recorded])
      .when(label)
      .then([
        {
          type: 'FeedbackLabeled',
          data: {
            interactionId: 'i1',
            label: { kind: 'rating', value: 4 },
            labeler: 'doc',
            labeledAt: at(2),
          },
        },
      ]);
    interactions.given([]).when(label).thenThrows('INTERACTION_NOT_FOUND');
  });

  it('records the role a correction was accepted under, and labels an interaction more than once', () => {
    const label = {
      type: 'LabelFeedback' as const,
      interactionId: 'i1',
      label: { kind: 'rating' as const, value: 2 },
      labeler: 'nurse',
      labelerRole: 'clinician',
      at: at(3),
    };
    const labeled: InteractionEvent = {
      type: 'FeedbackLabeled',
      data: {
        interactionId: 'i1',
        label: { kind: 'rating', value: 2 },
        labeler: 'nurse',
        labelerRole: 'clinician',
        labeledAt: at(3),
      },
    };
    interactions.given([recorded, labeled]).when(label).then([labeled]);
    const state = [recorded, labeled, labeled].reduce(
      interactionDecider.evolve,
      interactionDecider.initialState(),
    );
    expect(state).toEqual({ recorded: true, labels: 2, scoredBy: [] });
  });
});

const candidates = [
  { candidateId: 'a', text: 'one' },
  { candidateId: 'b', text: 'two' },
  { candidateId: 'c', text: 'three' },
];
const generated: PreferenceEvent = {
  type: 'CandidatesGenerated',
  data: { promptId: 'p1', prompt: 'Explain hypertension', candidates, generatedAt: at(0) },
};

describe('preference decider', () => {
  const generate = {
    type: 'GenerateCandidates' as const,
    promptId: 'p1',
    prompt: 'Explain hypertension',
    candidates,
    at: at(0),
  };
  const rank = {
    type: 'RankPreference' as const,
    promptId: 'p1',
    ranking: ['b', 'a', 'c'],
    labeler: 'doc',
    at: at(1),
  };

  it('generates distinct candidates once', () => {
    preferences.given([]).when(generate).then([generated]);
    preferences.given([generated]).when(generate).thenThrows('CANDIDATES_ALREADY_GENERATED');
    preferences
      .given([])
      .when({ ...generate, candidates: [candidates[0]!, candidates[0]!] })
      .thenThrows('CANDIDATE_IDS_NOT_UNIQUE');
    preferences
      .given([])
      .when({ ...generate, candidates: [candidates[0]!] })
      .thenThrows('CANDIDATE_COUNT_INVALID');
  });

  it('takes 2 to 8 candidates', () => {
    const many = (count: number) =>
      Array.from({ length: count }, (_, n) => ({ candidateId: `c${n}`, text: `answer ${n}` }));
    for (const count of [2, 8]) {
      const [event] = preferences
        .given([])
        .when({ ...generate, candidates: many(count) })
        .then([
          {
            type: 'CandidatesGenerated',
            data: {
              promptId: 'p1',
              prompt: 'Explain hypertension',
              candidates: many(count),
              generatedAt: at(0),
            },
          },
        ]);
      expect(event!.type).toBe('CandidatesGenerated');
    }
    for (const count of [0, 1, 9]) {
      const error = preferences
        .given([])
        .when({ ...generate, candidates: many(count) })
        .thenThrows('CANDIDATE_COUNT_INVALID');
      expect(error.details).toEqual({ promptId: 'p1', count });
    }
  });

  it('takes one ranking per labeler, with the role it was accepted under', () => {
    const first: FeedbackEvent = {
      type: 'PreferenceRanked',
      data: { promptId: 'p1', ranking: ['b', 'a', 'c'], labeler: 'doc', rankedAt: at(1) },
    };
    preferences
      .given([generated, first])
      .when({ ...rank, labeler: 'nurse', labelerRole: 'clinician', ranking: ['c', 'b', 'a'] })
      .then([
        {
          type: 'PreferenceRanked',
          data: {
            promptId: 'p1',
            ranking: ['c', 'b', 'a'],
            labeler: 'nurse',
            labelerRole: 'clinician',
            rankedAt: at(1),
          },
        },
      ]);
    const second: FeedbackEvent = {
      type: 'PreferenceRanked',
      data: { promptId: 'p1', ranking: ['c', 'b', 'a'], labeler: 'nurse', rankedAt: at(2) },
    };
    preferences.given([generated, first, second]).when(rank).thenThrows('ALREADY_RANKED');
    preferences
      .given([generated, first, second])
      .when({ ...rank, labeler: 'nurse' })
      .thenThrows('ALREADY_RANKED');
  });

  it('accepts a ranking that is a permutation of exactly the generated candidates', () => {
    const ranked: FeedbackEvent = {
      type: 'PreferenceRanked',
      data: { promptId: 'p1', ranking: ['b', 'a', 'c'], labeler: 'doc', rankedAt: at(1) },
    };
    preferences.given([generated]).when(rank).then([ranked]);
    preferences.given([generated, ranked]).when(rank).thenThrows('ALREADY_RANKED');
  });

  it('refuses a ranking that misses, repeats or invents a candidate', () => {
    for (const ranking of [['a', 'b'], ['a', 'a', 'b'], ['a', 'b', 'c', 'd'], ['a', 'b', 'x'], []]) {
      preferences
        .given([generated])
        .when({ ...rank, ranking })
        .thenThrows('RANKING_NOT_PERMUTATION');
    }
    preferences.given([]).when(rank).thenThrows('CANDIDATES_NOT_FOUND');
  });

  it('isPermutationOf agrees with sorting', () => {
    expect(isPermutationOf(['c', 'a', 'b'], ['a', 'b', 'c'])).toBe(true);
    expect(isPermutationOf(['a', 'a', 'c'], ['a', 'b', 'c'])).toBe(false);
    expect(isPermutationOf(['a', 'b'], ['a', 'b', 'c'])).toBe(false);
    expect(isPermutationOf(['a', 'b', 'c', 'c'], ['a', 'b', 'c'])).toBe(false);
    expect(isPermutationOf([], [])).toBe(true);
  });
});

describe('feedback refusals', () => {
  // A refusal's details become the GraphQL error's extensions: a client reads the ids from them.
  const generate = {
    type: 'GenerateCandidates' as const,
    promptId: 'p1',
    prompt: 'Explain hypertension',
    candidates,
    at: at(0),
  };
  const rank = {
    type: 'RankPreference' as const,
    promptId: 'p1',
    ranking: ['b', 'a', 'c'],
    labeler: 'doc',
    at: at(1),
  };

  it('name the interaction or prompt they are about, and what was wrong', () => {
    const label = {
      type: 'LabelFeedback' as const,
      interactionId: 'i9',
      label: { kind: 'rating' as const, value: 1 },
      labeler: 'doc',
      at: at(1),
    };
    expect(interactions.given([]).when(label).thenThrows('INTERACTION_NOT_FOUND').details).toEqual({
      interactionId: 'i9',
    });
    expect(
      interactions
        .given([recorded])
        .when({ type: 'RecordInteraction', ...interactionData, at: at(1) })
        .thenThrows('INTERACTION_ALREADY_RECORDED').details,
    ).toEqual({ interactionId: 'i1' });
    expect(
      preferences.given([generated]).when(generate).thenThrows('CANDIDATES_ALREADY_GENERATED').details,
    ).toEqual({
      promptId: 'p1',
    });
    const twice = preferences
      .given([])
      .when({ ...generate, candidates: [candidates[0]!, candidates[1]!, candidates[0]!] })
      .thenThrows('CANDIDATE_IDS_NOT_UNIQUE');
    expect(twice.details).toEqual({ promptId: 'p1', ids: ['a', 'b', 'a'] });
    expect(twice.message).toContain('a, b, a');
    expect(preferences.given([]).when(rank).thenThrows('CANDIDATES_NOT_FOUND').details).toEqual({
      promptId: 'p1',
    });
    const wrong = preferences
      .given([generated])
      .when({ ...rank, ranking: ['c', 'a'] })
      .thenThrows('RANKING_NOT_PERMUTATION');
    expect(wrong.details).toEqual({ promptId: 'p1', expected: ['a', 'b', 'c'], got: ['c', 'a'] });
    expect(wrong.message).toContain('exactly once (a, b, c); got c, a.');
    const ranked: FeedbackEvent = {
      type: 'PreferenceRanked',
      data: { promptId: 'p1', ranking: ['b', 'a', 'c'], labeler: 'doc', rankedAt: at(1) },
    };
    expect(preferences.given([generated, ranked]).when(rank).thenThrows('ALREADY_RANKED').details).toEqual({
      promptId: 'p1',
      labeler: 'doc',
    });
  });

  it('say "nothing" for an empty ranking', () => {
    const empty = preferences
      .given([generated])
      .when({ ...rank, ranking: [] })
      .thenThrows('RANKING_NOT_PERMUTATION');
    expect(empty.message).toMatch(/; got nothing\.$/);
  });

  it('refuse a command or event the deciders do not know', () => {
    const unknown = { type: 'Unknown' } as never;
    expect(() => interactionDecider.decide(unknown, interactionDecider.initialState())).toThrow(
      /Unhandled case/,
    );
    expect(() => interactionDecider.evolve(interactionDecider.initialState(), unknown)).toThrow(
      /Unhandled case/,
    );
    expect(() => preferenceDecider.decide(unknown, preferenceDecider.initialState())).toThrow(
      /Unhandled case/,
    );
    expect(() => preferenceDecider.evolve(preferenceDecider.initialState(), unknown)).toThrow(
      /Unhandled case/,
    );
  });
});
