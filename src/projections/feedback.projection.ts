import { sql } from 'kysely';
import { assertNever } from '../domain/index.js';
import { ERASED, subjectOf } from '../privacy/index.js';
import type { ProjectedEvent } from './lifecycleEvent.js';
import { defineProjection, type ReadModelTransaction } from './projection.js';
import { RowBatch } from './rowBatch.js';

/**
 * Served interactions with their feedback labels, and preference prompts with their rankings.
 * Interactions are the high-volume fact here: a batch loads the rows it touches, changes them in
 * memory and writes them back in one upsert per table.
 */
/** The events that write feedback rows (SubjectForgotten erases texts in them). */
type FeedbackRowEventType =
  | 'InteractionRecorded'
  | 'FeedbackLabeled'
  | 'InteractionRewardScored'
  | 'CandidatesGenerated'
  | 'PreferenceRanked';

export const feedbackProjection = defineProjection({
  name: 'feedback',
  // 2: rows' data subjects are kept (feedback_subjects), and SubjectForgotten erases that subject's texts.
  // 3: interactions keep their latest reward score (InteractionRewardScored).
  version: 3,
  handles: [
    'InteractionRecorded',
    'FeedbackLabeled',
    'InteractionRewardScored',
    'CandidatesGenerated',
    'PreferenceRanked',
    'SubjectForgotten',
  ],
  tables: [
    'interactions',
    'feedback_labels',
    'preference_prompts',
    'preference_rankings',
    'feedback_subjects',
  ],
  async apply(trx, event) {
    await applyInOrder(trx, [event]);
  },
  async applyBatch(trx, events) {
    await applyInOrder(trx, events);
  },
});

/** Rows are written back batch by batch, so an erasure runs between the rows before it and those after. */
async function applyInOrder(
  trx: ReadModelTransaction,
  events: readonly ProjectedEvent<FeedbackRowEventType | 'SubjectForgotten'>[],
): Promise<void> {
  let rows: ProjectedEvent<FeedbackRowEventType>[] = [];
  for (const event of events) {
    if (event.type !== 'SubjectForgotten') {
      rows.push(event);
      continue;
    }
    await applyFeedback(trx, rows);
    await eraseSubject(trx, event.data.subjectId);
    rows = [];
  }
  await applyFeedback(trx, rows);
}

/**
 * Replaces a forgotten subject's texts in the read models. Reading the log again gives the same (its key is
 * gone), so a rebuild agrees; this makes the erasure visible at once, without one.
 */
async function eraseSubject(trx: ReadModelTransaction, subjectId: string): Promise<void> {
  const rowsOf = (table: string) =>
    sql`(SELECT substr(row_id, ${table.length + 2}) FROM feedback_subjects
          WHERE subject_id = ${subjectId} AND row_id LIKE ${`${table}:%`})`;
  await sql`UPDATE interactions SET prompt = ${ERASED}, response = ${ERASED}
    WHERE interaction_id IN ${rowsOf('interactions')}`.execute(trx);
  await sql`UPDATE feedback_labels SET labeler = ${ERASED},
      correction = CASE WHEN correction IS NULL THEN NULL ELSE ${ERASED} END
    WHERE event_id::text IN ${rowsOf('feedback_labels')}`.execute(trx);
  await sql`UPDATE preference_prompts SET prompt = ${ERASED},
      candidates = (SELECT coalesce(jsonb_agg(jsonb_set(c, '{text}', to_jsonb(${ERASED}::text)) ORDER BY n), '[]'::jsonb)
                    FROM jsonb_array_elements(candidates) WITH ORDINALITY AS e(c, n))
    WHERE prompt_id IN ${rowsOf('preference_prompts')}`.execute(trx);
  await sql`UPDATE preference_rankings SET labeler = ${ERASED}
    WHERE event_id::text IN ${rowsOf('preference_rankings')}`.execute(trx);
}

async function applyFeedback(
  trx: ReadModelTransaction,
  events: readonly ProjectedEvent<FeedbackRowEventType>[],
): Promise<void> {
  const interactions = new RowBatch('interactions', 'interaction_id', []);
  const labels = new RowBatch('feedback_labels', 'event_id', []);
  const prompts = new RowBatch('preference_prompts', 'prompt_id', ['candidates']);
  const rankings = new RowBatch('preference_rankings', 'event_id', ['ranking']);
  const subjects = new RowBatch('feedback_subjects', 'row_id', []);
  // The row's subject is the one whose key the shredding store encrypted its texts with: an interaction's end
  // user (subjectId) when the request named one, else the event's actor.
  const keepSubject = (event: ProjectedEvent, table: string, key: string) =>
    subjects.insert({
      row_id: `${table}:${key}`,
      subject_id: subjectOf(event.type, event.data, event.metadata.actor),
    });
  await interactions.load(
    trx,
    events.flatMap((e) =>
      e.type === 'FeedbackLabeled' || e.type === 'InteractionRewardScored' ? [e.data.interactionId] : [],
    ),
  );
  await prompts.load(
    trx,
    events.flatMap((e) => (e.type === 'PreferenceRanked' ? [e.data.promptId] : [])),
  );
  for (const event of events) {
    switch (event.type) {
      case 'InteractionRecorded': {
        const d = event.data;
        keepSubject(event, 'interactions', d.interactionId);
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
          reward_score: null,
          reward_model_name: null,
          reward_model_version: null,
          reward_scored_at: null,
        });
        break;
      }
      case 'InteractionRewardScored': {
        const d = event.data;
        interactions.update(d.interactionId, () => ({
          reward_score: d.score,
          reward_model_name: d.rewardModel.name,
          reward_model_version: d.rewardModel.version,
          reward_scored_at: d.scoredAt,
        }));
        break;
      }
      case 'FeedbackLabeled': {
        const d = event.data;
        const label = d.label;
        keepSubject(event, 'feedback_labels', event.eventId);
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
        const d = event.data;
        keepSubject(event, 'preference_prompts', d.promptId);
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
        const d = event.data;
        keepSubject(event, 'preference_rankings', event.eventId);
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
      default:
        assertNever(event);
    }
  }
  await interactions.flush(trx);
  await labels.flush(trx);
  await prompts.flush(trx);
  await rankings.flush(trx);
  await subjects.flush(trx);
}
