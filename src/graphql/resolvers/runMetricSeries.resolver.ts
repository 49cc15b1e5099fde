import type { Kysely } from 'kysely';
import { Arg, Ctx, FieldResolver, Int, Resolver, Root } from 'type-graphql';
import type { ReadModelDatabase } from '../../projections/index.js';
import type { ApiContext } from '../context.js';
import { badInput } from '../errors.js';
import { RunType } from '../types/run.type.js';
import {
  RunMetricName,
  RunMetricSeriesPageType,
  runMetricSeriesColumns,
  toSeriesPage,
} from '../types/runMetricSeries.type.js';

/** The most steps one page of series holds. */
export const maxSeriesSteps = 10_000;

@Resolver(() => RunType)
export class RunMetricSeriesResolver {
  @FieldResolver(() => RunMetricSeriesPageType, {
    description: `The run's metrics as columnar series (one steps list and one values list per name), for charts and machines. At most first steps (1 to ${maxSeriesSteps}) from fromStep on.`,
  })
  async metricSeries(
    @Root() run: RunType,
    @Ctx() context: ApiContext,
    @Arg('names', () => [RunMetricName]) names: RunMetricName[],
    @Arg('fromStep', () => Int, { nullable: true }) fromStep: number | null | undefined,
    @Arg('toStep', () => Int, { nullable: true }) toStep: number | null | undefined,
    @Arg('first', () => Int, { defaultValue: 1000 }) first: number,
  ): Promise<RunMetricSeriesPageType> {
    if (!Number.isInteger(first) || first < 1 || first > maxSeriesSteps)
      throw badInput(`first must be an integer from 1 to ${maxSeriesSteps}, got ${first}`);
    if (names.length === 0) throw badInput('names must name at least one series');
    const unique = [...new Set(names)];
    const columns = [...new Set(unique.map((name) => runMetricSeriesColumns[name]))];
    let query = (context.deps.db as unknown as Kysely<ReadModelDatabase>)
      .selectFrom('run_metrics')
      .select(['step', ...columns])
      .where('run_id', '=', run.runId);
    if (fromStep != null) query = query.where('step', '>=', fromStep);
    if (toStep != null) query = query.where('step', '<=', toStep);
    const rows = await query
      .orderBy('step')
      .limit(first + 1)
      .execute();
    const more = rows.length > first;
    const kept = more ? rows.slice(0, first) : rows;
    return toSeriesPage(names, kept as Record<string, unknown>[], more ? rows[first]!.step : null);
  }
}
