import type { Kysely } from 'kysely';
import { Arg, Ctx, Field, ID, ObjectType, Query, Resolver } from 'type-graphql';
import type { ReadModelDatabase } from '../../projections/index.js';
import { getEvaluation } from '../../projections/index.js';
import type { ApiContext } from '../context.js';
import { requireAction } from '../context.js';
import { DateTime, JSON } from '../types/scalars.js';

@ObjectType('EvaluationRecordLabel', {
  description: 'A record of an evaluation whose error category a person changed.',
})
export class EvaluationRecordLabelType {
  @Field()
  recordId!: string;

  @Field({ description: 'The interaction to label (labelFeedback) to correct this record again.' })
  interactionId!: string;

  @Field({ description: 'The category the evaluation worker gave.' })
  automatic!: string;

  @Field({ description: 'The latest label.' })
  corrected!: string;

  @Field()
  labeler!: string;

  @Field(() => DateTime)
  labeledAt!: Date;
}

@ObjectType('EvaluationTaxonomy', {
  description:
    'Error taxonomy of an evaluation with human corrections applied: each scored record is the interaction eval-<evaluationId>-<recordId>, labeled first by the worker; a later error-category label (labelFeedback) replaces it.',
})
export class EvaluationTaxonomyType {
  @Field(() => ID)
  evaluationId!: string;

  @Field(() => JSON, {
    description: 'Counts per category as the worker recorded them (EvaluationCompleted).',
  })
  automatic!: Record<string, number>;

  @Field(() => JSON, { description: 'Counts per category with the latest human labels applied.' })
  corrected!: Record<string, number>;

  @Field(() => [EvaluationRecordLabelType])
  corrections!: EvaluationRecordLabelType[];
}

interface LabelRow {
  readonly interactionId: string;
  readonly category: string;
  readonly labeler: string;
  readonly labeledAt: Date;
}

/**
 * Applies label history to the automatic counts: per record, the first worker label is what the counts
 * hold, the latest label is what the record is now. Records without a worker label (recorded by hand) are
 * left out: nothing says where they were counted.
 */
export function correctTaxonomy(
  evaluationId: string,
  automatic: Readonly<Record<string, number>>,
  labels: readonly LabelRow[],
): { corrected: Record<string, number>; corrections: EvaluationRecordLabelType[] } {
  const prefix = `eval-${evaluationId}-`;
  const byRecord = new Map<string, LabelRow[]>();
  for (const label of [...labels].sort((a, b) => a.labeledAt.getTime() - b.labeledAt.getTime())) {
    const list = byRecord.get(label.interactionId) ?? [];
    list.push(label);
    byRecord.set(label.interactionId, list);
  }
  const corrected: Record<string, number> = { ...automatic };
  const corrections: EvaluationRecordLabelType[] = [];
  for (const [interactionId, list] of byRecord) {
    const auto = list.find((label) => label.labeler.startsWith('worker:'));
    const latest = list.at(-1)!;
    if (!auto || latest === auto || latest.category === auto.category) continue;
    corrected[auto.category] = Math.max(0, (corrected[auto.category] ?? 0) - 1);
    corrected[latest.category] = (corrected[latest.category] ?? 0) + 1;
    corrections.push({
      recordId: interactionId.slice(prefix.length),
      interactionId,
      automatic: auto.category,
      corrected: latest.category,
      labeler: latest.labeler,
      labeledAt: latest.labeledAt,
    });
  }
  return { corrected, corrections };
}

@Resolver()
export class EvaluationResolver {
  @Query(() => EvaluationTaxonomyType, {
    nullable: true,
    description: 'The error taxonomy of a completed evaluation with human corrections (null: not completed).',
  })
  async evaluationTaxonomy(
    @Ctx() context: ApiContext,
    @Arg('evaluationId', () => ID) evaluationId: string,
  ): Promise<EvaluationTaxonomyType | null> {
    requireAction(context, 'read', 'read evaluations');
    const row = await getEvaluation(context.deps.db, evaluationId);
    if (!row || row.status !== 'completed') return null;
    const automatic = (row.error_taxonomy ?? {}) as Record<string, number>;
    const like = `eval-${evaluationId.replace(/[\\%_]/g, (c) => `\\${c}`)}-%`;
    const rows = await (context.deps.db as unknown as Kysely<ReadModelDatabase>)
      .selectFrom('feedback_labels')
      .select(['interaction_id', 'error_category', 'labeler', 'labeled_at'])
      .where('interaction_id', 'like', like)
      .where('kind', '=', 'error-category')
      .execute();
    const labels: LabelRow[] = rows
      .filter((r) => r.error_category !== null)
      .map((r) => ({
        interactionId: r.interaction_id,
        category: r.error_category!,
        labeler: r.labeler,
        labeledAt: new Date(r.labeled_at as unknown as string),
      }));
    return { evaluationId, automatic, ...correctTaxonomy(evaluationId, automatic, labels) };
  }
}
