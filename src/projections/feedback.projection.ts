import type { RecordedEvent } from '../eventstore/eventStore.js';
import { dataOf } from './lifecycleEvent.js';
import type { Projection, ReadModelTransaction } from './projection.js';
import { RowBatch } from './rowBatch.js';

/**
 * Served interactions with their feedback labels, and preference prompts with their rankings.
 * Interactions are the high-volume fact here: a batch loads the rows it touches, changes them in
 * memory and writes them back in one upsert per table.
 */
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

async function applyFeedback(trx: ReadModelTransaction, events: readonly RecordedEvent[]): Promise<void> {
  const interactions = new RowBatch('interactions', 'interaction_id', []);
  const labels = new RowBatch('feedback_labels', 'event_id', []);
  const prompts = new RowBatch('preference_prompts', 'prompt_id', ['candidates']);
  const rankings = new RowBatch('preference_rankings', 'event_id', ['ranking']);
  const key = (event: RecordedEvent, field: string) => (event.data as Record<string, string>)[field]!;
  await interactions.load(
    trx,
    events.filter((e) => e.type === 'FeedbackLabeled').map((e) => key(e, 'interactionId')),
  );
  await prompts.load(
    trx,
    events.filter((e) => e.type === 'PreferenceRanked').map((e) => key(e, 'promptId')),
  );
  for (const event of events) {
    switch (event.type) {
      case 'InteractionRecorded': {
        const d = dataOf(event, 'InteractionRecorded');
        interactions.insert({
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
          last_rating: null,
          last_thumbs_up: null,
          recorded_at: d.recordedAt,
        });
        break;
      }
      case 'FeedbackLabeled': {
        const d = dataOf(event, 'FeedbackLabeled');
        const label = d.label;
        labels.insert({
          event_id: event.eventId,
          interaction_id: d.interactionId,
          kind: label.kind,
          thumbs_up: label.kind === 'thumbs' ? label.up : null,
          rating: label.kind === 'rating' ? label.value : null,
          correction: label.kind === 'correction' ? label.text : null,
          error_category: label.kind === 'error-category' ? label.category : null,
          labeler: d.labeler,
          labeled_at: d.labeledAt,
        });
        interactions.update(d.interactionId, (row) => ({
          label_count: Number(row['label_count']) + 1,
          ...(label.kind === 'rating' ? { last_rating: label.value } : {}),
          ...(label.kind === 'thumbs' ? { last_thumbs_up: label.up } : {}),
        }));
        break;
      }
      case 'CandidatesGenerated': {
        const d = dataOf(event, 'CandidatesGenerated');
        prompts.insert({
          prompt_id: d.promptId,
          prompt: d.prompt,
          candidates: d.candidates,
          ranking_count: 0,
          generated_at: d.generatedAt,
        });
        break;
      }
      case 'PreferenceRanked': {
        const d = dataOf(event, 'PreferenceRanked');
        rankings.insert({
          event_id: event.eventId,
          prompt_id: d.promptId,
          ranking: d.ranking,
          labeler: d.labeler,
          ranked_at: d.rankedAt,
        });
        prompts.update(d.promptId, (row) => ({ ranking_count: Number(row['ranking_count']) + 1 }));
        break;
      }
    }
  }
  await interactions.flush(trx);
  await labels.flush(trx);
  await prompts.flush(trx);
  await rankings.flush(trx);
}
