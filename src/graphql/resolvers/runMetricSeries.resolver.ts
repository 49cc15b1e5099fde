import { sql, type Kysely } from 'kysely';
import { Arg, Ctx, FieldResolver, Int, Resolver, Root } from 'type-graphql';
import type { ReadModelDatabase } from '../../projections/index.js';
import type { ApiContext } from '../context.js';
import { badInput } from '../errors.js';
import { RunType } from '../types/run.type.js';
import {
  RunMetricName,
  RunMetricSeriesPageType,
  runMetricSeriesColumns,
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
    // One row back, not one per step: Postgres gathers each series into JSON arrays (float8 printed
    // exactly, shortest round-trip form), which the driver parses with one JSON.parse. The window keeps
    // the first `first` steps; the one after them, if any, is where the next page starts.
    const columns = [...new Set(names.map((name) => runMetricSeriesColumns[name]))];
    let page = (context.deps.db as unknown as Kysely<ReadModelDatabase>)
      .selectFrom('run_metrics')
      .select(['step', ...columns, sql<number>`row_number() OVER (ORDER BY step)`.as('step_number')])
      .where('run_id', '=', run.runId);
    if (fromStep != null) page = page.where('step', '>=', fromStep);
    if (toStep != null) page = page.where('step', '<=', toStep);
    const kept = sql`step_number <= ${first}`;
    const row = await (context.deps.db as unknown as Kysely<ReadModelDatabase>)
      .selectFrom(
        page
          .orderBy('step')
          .limit(first + 1)
          .as('page'),
      )
      .select([
        sql<number | null>`max(step) FILTER (WHERE step_number > ${first})`.as('next_from_step'),
        ...columns.flatMap((column, index) => {
          const present = sql`${kept} AND ${sql.ref(column)} IS NOT NULL`;
          return [
            sql<number[] | null>`json_agg(step ORDER BY step) FILTER (WHERE ${present})`.as(`steps_${index}`),
            sql<number[] | null>`json_agg(${sql.ref(column)} ORDER BY step) FILTER (WHERE ${present})`.as(
              `values_${index}`,
            ),
          ];
        }),
      ])
      .executeTakeFirstOrThrow();
    const byColumn = new Map(
      columns.map((column, index) => {
        const record = row as Record<string, number[] | null>;
        return [column, { steps: record[`steps_${index}`] ?? [], values: record[`values_${index}`] ?? [] }];
      }),
    );
    return {
      series: names.map((name) => ({ name, ...byColumn.get(runMetricSeriesColumns[name])! })),
      nextFromStep: row.next_from_step,
    };
  }
}
