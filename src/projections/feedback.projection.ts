import type { RecordedEvent } from '../eventstore/eventStore.js';
import { dataOf, type DataOf } from './lifecycleEvent.js';
import { json, type Projection, type ReadModelTransaction } from './projection.js';

const ROWS_PER_INSERT = 1000;

/** Served interactions with their feedback labels, and preference prompts with their rankings. */
export const feedbackProjection: Projection = {
  name: 'feedback',
  version: 1,
  handles: ['InteractionRecorded', 'FeedbackLabeled', 'CandidatesGenerated', 'PreferenceRanked'],
  tables: ['interactions', 'feedback_labels', 'preference_prompts', 'preference_rankings'],
  async apply(trx, event) {
    await applyFeedback(trx, [event]);
  },
  async applyBatch(trx, events) {
    await applyFeedback(trx, events);
  },
};

/** Interactions are the high-volume fact here: consecutive ones go in one multi-row insert. */
async function applyFeedback(trx: ReadModelTransaction, events: readonly RecordedEvent[]): Promise<void> {
  let interactions: DataOf<'InteractionRecorded'>[] = [];
  const flush = async () => {
    for (let start = 0; start < interactions.length; start += ROWS_PER_INSERT) {
      await trx
        .insertInto('interactions')
        .values(
          interactions.slice(start, start + ROWS_PER_INSERT).map((d) => ({
            interaction_id: d.interactionId,
            deployment_name: d.deploymentName ?? null,
            model_name: d.model.name,
            model_version: d.model.version,
            prompt: d.prompt,
            response: d.response,
            latency_ms: d.latencyMs,
            prompt_tokens: d.tokens.prompt,
            completion_tokens: d.tokens.completion,
            mean_token_entropy: d.meanTokenEntropy ?? null,
            filter_stage: d.filtered?.stage ?? null,
            filter_rule: d.filtered?.rule ?? null,
            label_count: 0,
            recorded_at: d.recordedAt,
          })),
        )
        .execute();
    }
    interactions = [];
  };
  for (const event of events) {
    if (event.type === 'InteractionRecorded') {
      interactions.push(dataOf(event, 'InteractionRecorded'));
      continue;
    }
    await flush();
    await applyOne(trx, event);
  }
  await flush();
}

async function applyOne(trx: ReadModelTransaction, event: RecordedEvent): Promise<void> {
  switch (event.type) {
    case 'FeedbackLabeled': {
      const d = dataOf(event, 'FeedbackLabeled');
      const label = d.label;
      await trx
        .insertInto('feedback_labels')
        .values({
          event_id: event.eventId,
          interaction_id: d.interactionId,
          kind: label.kind,
          thumbs_up: label.kind === 'thumbs' ? label.up : null,
          rating: label.kind === 'rating' ? label.value : null,
          correction: label.kind === 'correction' ? label.text : null,
          error_category: label.kind === 'error-category' ? label.category : null,
          labeler: d.labeler,
          labeled_at: d.labeledAt,
        })
        .execute();
      await trx
        .updateTable('interactions')
        .set((eb) => ({
          label_count: eb('label_count', '+', 1),
          ...(label.kind === 'rating' ? { last_rating: label.value } : {}),
          ...(label.kind === 'thumbs' ? { last_thumbs_up: label.up } : {}),
        }))
        .where('interaction_id', '=', d.interactionId)
        .execute();
      return;
    }
    case 'CandidatesGenerated': {
      const d = dataOf(event, 'CandidatesGenerated');
      await trx
        .insertInto('preference_prompts')
        .values({
          prompt_id: d.promptId,
          prompt: d.prompt,
          candidates: json(d.candidates),
          ranking_count: 0,
          generated_at: d.generatedAt,
        })
        .execute();
      return;
    }
    case 'PreferenceRanked': {
      const d = dataOf(event, 'PreferenceRanked');
      await trx
        .insertInto('preference_rankings')
        .values({
          event_id: event.eventId,
          prompt_id: d.promptId,
          ranking: json(d.ranking),
          labeler: d.labeler,
          ranked_at: d.rankedAt,
        })
        .execute();
      await trx
        .updateTable('preference_prompts')
        .set((eb) => ({ ranking_count: eb('ranking_count', '+', 1) }))
        .where('prompt_id', '=', d.promptId)
        .execute();
      return;
    }
  }
}
