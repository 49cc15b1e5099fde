import { Arg, Ctx, Field, Int, ObjectType, Query, Resolver } from 'type-graphql';
import { buildAuditReport } from '../audit/auditReport.js';
import { auditMarkdown } from '../audit/renderAudit.js';
import { StreamSnapshots } from '../audit/streamSnapshots.js';
import type { ApiContext } from '../context.js';
import { requireAction } from '../context.js';
import { badInput } from '../errors.js';
import { DateTime, JSON } from '../types/scalars.js';

@ObjectType('StreamVerification', { description: "The result of re-checking one stream's hash chain." })
class StreamVerificationType {
  @Field()
  streamId!: string;

  @Field()
  ok!: boolean;

  @Field(() => Int)
  eventsChecked!: number;

  @Field(() => Int, { nullable: true })
  firstBrokenVersion!: number | null;

  @Field(() => String, { nullable: true })
  reason!: string | null;
}

@ObjectType('AuditReport')
class AuditReportType {
  @Field()
  modelName!: string;

  @Field(() => Int)
  version!: number;

  @Field(() => String, { nullable: true })
  deploymentName!: string | null;

  @Field(() => DateTime, { nullable: true })
  asOf!: Date | null;

  @Field({ description: 'True when the hash chain of every involved stream verified.' })
  allChainsIntact!: boolean;

  @Field(() => [StreamVerificationType])
  integrity!: StreamVerificationType[];

  @Field(() => JSON, {
    description:
      'The whole report: dataset revisions, runs, evaluations, registry, deployments, feedback, integrity.',
  })
  report!: unknown;

  @Field({ description: 'The report as a Markdown document (also at /reports/...?format=md or html).' })
  markdown!: string;
}

/**
 * A cached report stays valid only while every involved stream's stored rows are those that were
 * read and verified: their fingerprints are checked again (one query) before each cached answer.
 */
function declareStreams(context: ApiContext, fingerprints: ReadonlyMap<string, string | null>): void {
  const scope = context.cacheScope;
  if (!scope) return;
  const streamIds = [...fingerprints.keys()];
  if ([...fingerprints.values()].some((fingerprint) => fingerprint === null)) {
    scope.forbid();
    return;
  }
  const serialise = (map: ReadonlyMap<string, string | null>) =>
    globalThis.JSON.stringify(streamIds.map((streamId) => map.get(streamId)));
  scope.depend({
    expected: serialise(fingerprints),
    current: async () => serialise(await StreamSnapshots.fingerprints(context.deps.db, streamIds)),
  });
}

@Resolver()
export class AuditResolver {
  @Query(() => AuditReportType, {
    nullable: true,
    description:
      'The full chain behind a model version (modelName + version, optionally asOf) or behind the version a deployment ran at a moment (deployment + asOf). Null when unknown.',
  })
  async auditReport(
    @Ctx() context: ApiContext,
    @Arg('modelName', () => String, { nullable: true }) modelName: string | undefined,
    @Arg('version', () => Int, { nullable: true }) version: number | undefined,
    @Arg('deployment', () => String, { nullable: true }) deployment: string | undefined,
    @Arg('asOf', () => DateTime, { nullable: true }) asOf: Date | undefined,
    @Arg('includeProgress', {
      defaultValue: false,
      description:
        "List every run's progress reports (one per step) in report.runs[].events; by default they are summarised in runs[].progress. Verified either way.",
    })
    includeProgress: boolean,
  ): Promise<AuditReportType | null> {
    requireAction(context, 'read', 'read audit reports');
    let report;
    if (deployment !== undefined) {
      if (modelName !== undefined || version !== undefined)
        throw badInput('give either deployment (+ asOf) or modelName + version, not both');
      report = await buildAuditReport(
        context.deps,
        { deploymentName: deployment, asOf: asOf ?? new Date(), includeProgress },
        { signal: context.deadline?.signal },
      );
    } else {
      if (modelName === undefined || version === undefined)
        throw badInput('give modelName and version (or deployment and asOf)');
      report = await buildAuditReport(
        context.deps,
        { modelName, version, asOf, includeProgress },
        {
          onStreamsRead: (fingerprints) => declareStreams(context, fingerprints),
          signal: context.deadline?.signal,
        },
      );
    }
    if (!report) return null;
    const built = report;
    return {
      modelName: report.subject.modelName,
      version: report.subject.version,
      deploymentName: report.subject.deploymentName,
      asOf: report.subject.asOf ? new Date(report.subject.asOf) : null,
      allChainsIntact: report.allChainsIntact,
      integrity: report.integrity.map((result) => ({
        streamId: result.streamId,
        ok: result.ok,
        eventsChecked: result.eventsChecked,
        firstBrokenVersion: result.firstBrokenVersion ?? null,
        reason: result.reason ?? null,
      })),
      report,
      // Rendered only when the query selects it (the default resolver reads the property).
      get markdown() {
        return auditMarkdown(built);
      },
    };
  }
}
