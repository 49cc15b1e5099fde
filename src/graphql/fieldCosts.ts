import type { GraphQLSchema, GraphQLType } from 'graphql';
import {
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  isUnionType,
  isWrappingType,
} from 'graphql';

/**
 * What an `asOf` answer costs: it folds the registry, deployment and lineage events from the start
 * of the log (src/projections/timeTravel.ts), about 130 ms on a 100,000-event log. At this price a
 * request under the default cost limit (20,000) holds at most 10 folds.
 */
export const asOfFoldCost = 2_000;

/**
 * What an audit report costs on top of any fold: it walks the lineage and reads and re-verifies the
 * hash chain of every involved stream (hundreds of ms uncached on a 10-run model).
 */
export const auditReportCost = 2_000;

/**
 * What scoring one answer with a reward model costs: a forward pass of the reward model's backbone over the
 * prompt and the answer (milliseconds on a small model, far more on a large one).
 */
export const rewardScoreCost = 500;

/**
 * What a connection's `totalCount` costs: a count(*) over every row the list's filters match (an index scan,
 * milliseconds on 100,000 rows), not one page.
 */
export const totalCountCost = 50;

/** What an upstream/downstream lineage walk costs (a recursive CTE over the lineage read model). */
export const lineageWalkCost = 20;

type Args = Record<string, unknown>;

/**
 * The price of fields that read far more than their answer shows, by `Type.field`; each gets its
 * children's cost added. Every other field costs 1 (a list: its children times its page size).
 */
export const fieldCosts: ReadonlyMap<string, (args: Args) => number> = new Map([
  ['Query.model', (args: Args) => (args.asOf != null ? asOfFoldCost : 1)],
  ['Query.deployment', (args: Args) => (args.asOf != null ? asOfFoldCost : 1)],
  ['Query.lineage', (args: Args) => (args.asOf != null ? asOfFoldCost : lineageWalkCost)],
  // Columnar series: one per name, their length counted per 100 steps (two flat lists, not objects).
  [
    'TrainingRun.metricSeries',
    (args: Args) =>
      1 +
      (Array.isArray(args.names) ? args.names.length : 1) *
        Math.ceil((typeof args.first === 'number' ? args.first : 1000) / 100),
  ],
  // ... which metricSeries has priced: its lists are not multiplied again.
  ['RunMetricSeriesPage.series', () => 1],
  ['RunMetricSeries.steps', () => 1],
  ['RunMetricSeries.values', () => 1],
  [
    'Query.rewardScores',
    (args: Args) => rewardScoreCost * (Array.isArray(args.answers) ? Math.max(1, args.answers.length) : 1),
  ],
  [
    'Query.auditReport',
    // A deployment's report always folds the log (as of now when asOf is left out).
    (args: Args) => auditReportCost + (args.asOf != null || args.deployment != null ? asOfFoldCost : 0),
  ],
]);

const schemaSizes = new WeakMap<GraphQLSchema, number>();

/** Objects a type reference is described by (`[Run!]!` is four: non-null, list, non-null, Run). */
function typeRefSize(type: GraphQLType): number {
  return isWrappingType(type) ? 1 + typeRefSize(type.ofType) : 1;
}

/**
 * What `__schema` reads: every type, field, argument, input field, enum value and directive of the
 * schema, each field and argument with its type reference, one each (what the standard
 * introspection query answers). The fields under it then cost 1 each, not multiplied by list sizes.
 */
export function schemaIntrospectionCost(schema: GraphQLSchema): number {
  const known = schemaSizes.get(schema);
  if (known !== undefined) return known;
  let size = 0;
  const described = (values: readonly { type: GraphQLType }[]) => {
    for (const value of values) size += 1 + typeRefSize(value.type);
  };
  for (const type of Object.values(schema.getTypeMap())) {
    size++;
    if (isObjectType(type) || isInterfaceType(type)) {
      size += type.getInterfaces().length;
      for (const field of Object.values(type.getFields())) {
        size += 1 + typeRefSize(field.type);
        described(field.args);
      }
    } else if (isInputObjectType(type)) {
      described(Object.values(type.getFields()));
    } else if (isEnumType(type)) {
      size += type.getValues().length;
    } else if (isUnionType(type)) {
      size += type.getTypes().length;
    }
  }
  for (const directive of schema.getDirectives()) {
    size++;
    described(directive.args);
  }
  schemaSizes.set(schema, size);
  return size;
}
