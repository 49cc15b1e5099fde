import { Field, ID, Int, ObjectType } from 'type-graphql';
import { Node } from './node.type.js';
import type { PreferencePrompt, PreferenceRanking } from '../../projections/index.js';
import { connectionType } from './connection.js';
import { DateTime, JSON } from './scalars.js';

@ObjectType('PreferenceCandidate', {
  description: 'One answer to a preference prompt, to be ranked by people.',
})
export class PreferenceCandidateType {
  @Field(() => ID)
  candidateId!: string;

  @Field()
  text!: string;

  @Field(() => JSON, { nullable: true, description: 'The model version that wrote it: {name, version}.' })
  model!: unknown;
}

@ObjectType('PreferenceRanking', {
  description: "One person's ranking of a prompt's candidates, best first.",
})
export class PreferenceRankingType {
  @Field()
  eventId!: string;

  @Field(() => [ID])
  ranking!: string[];

  @Field()
  labeler!: string;

  @Field(() => DateTime)
  rankedAt!: Date;
}

@ObjectType('PreferencePrompt', {
  implements: Node,
  description: 'A prompt with its RLHF candidates; rankings of them train the reward model.',
})
export class PreferencePromptType {
  @Field(() => ID)
  promptId!: string;

  @Field()
  prompt!: string;

  @Field(() => [PreferenceCandidateType])
  candidates!: PreferenceCandidateType[];

  @Field(() => Int)
  rankingCount!: number;

  @Field(() => DateTime)
  generatedAt!: Date;
}

export const toPreferencePrompt = (row: PreferencePrompt): PreferencePromptType => ({
  promptId: row.prompt_id,
  prompt: row.prompt,
  candidates: (row.candidates as { candidateId: string; text: string; model?: unknown }[]).map((c) => ({
    candidateId: c.candidateId,
    text: c.text,
    model: c.model ?? null,
  })),
  rankingCount: row.ranking_count,
  generatedAt: row.generated_at,
});

export const toPreferenceRanking = (row: PreferenceRanking): PreferenceRankingType => ({
  eventId: row.event_id,
  ranking: [...row.ranking],
  labeler: row.labeler,
  rankedAt: row.ranked_at,
});

export const PreferencePromptConnection = connectionType('PreferencePrompt', PreferencePromptType);
