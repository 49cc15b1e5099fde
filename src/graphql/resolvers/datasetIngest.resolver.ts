import { isAbsolute, relative, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { Arg, Ctx, Float, ID, Mutation, Resolver, UseMiddleware } from 'type-graphql';
import { MutationRequest, requestFingerprint } from './mutationRequest.js';
import { readYourWrites } from './commandExecution.js';
import { z } from 'zod';
import {
  DATASET_FORMATS,
  DatasetValidationError,
  EvalSplitTooSmallError,
  EmptyDatasetError,
  parseLexicon,
  parsePiiPolicy,
  PiiPolicyError,
} from '../../data/index.js';
import { DomainError, isDomainError } from '../../domain/index.js';
import type { RecordedEvent } from '../../eventstore/index.js';
import { listInteractions, listPreferencePrompts } from '../../projections/index.js';
import {
  buildFlywheelRevision,
  buildPreferenceRevision,
  DatasetRequestError,
  ingestIntoPlatform,
  requestAugmentationInPlatform,
  templateListSchema,
  type CommandContext,
  type DatasetDependencies,
} from '../../services/index.js';
import type { ApiContext } from '../context.js';
import { requireAction } from '../context.js';
import { apiError, badInput } from '../errors.js';
import { isUserErrorKind, toUserError, type UserError } from '../types/commandPayload.type.js';
import {
  AugmentationRequestInput,
  AugmentationRequestPayload,
  DatasetIngestInput,
  DatasetIngestPayload,
  FlywheelRevisionInput,
  FlywheelRevisionPayload,
  PreferenceRevisionPayload,
} from './datasetIngest.types.js';
import { timeRange } from './paging.js';

const idempotencyKeyArg = {
  nullable: true,
  description:
    'Any string unique to this request: a retried mutation with the same key records nothing twice.',
} as const;

const ingestOptions = z.object({
  format: z.enum(DATASET_FORMATS).optional(),
  dedup: z.enum(['none', 'exact', 'near']).optional(),
  minQuality: z.number().int().min(0).max(3).optional(),
  evalFraction: z.number().min(0).max(1).optional(),
  seed: z.number().int().min(0).optional(),
});

function dependencies(context: ApiContext): DatasetDependencies {
  const { services, artifacts, piiKey } = context.deps;
  if (!services || !artifacts) {
    throw new Error('the GraphQL server was started without application services or an artifact store');
  }
  return { services, artifacts, ...(piiKey ? { piiKey } : {}) };
}

/** The events a dataset operation appended, once the projections have applied them (read-your-writes). */
async function projected(
  context: ApiContext,
  events: readonly RecordedEvent[],
): Promise<{ eventIds: string[]; eventTypes: string[]; checkpoint: string | null }> {
  const checkpoint = events.at(-1)?.checkpoint ?? null;
  await readYourWrites(context, checkpoint);
  return {
    eventIds: events.map((event) => event.eventId),
    eventTypes: events.map((event) => event.type),
    checkpoint,
  };
}

function commandContext(context: ApiContext, idempotencyKey: string | undefined): CommandContext {
  const fingerprint = idempotencyKey ? requestFingerprint(context.viewer.actor) : undefined;
  return {
    actor: context.viewer.actor,
    roles: context.viewer.roles,
    ...(idempotencyKey ? { idempotencyKey } : {}),
    ...(fingerprint ? { requestFingerprint: fingerprint } : {}),
  };
}

/** A server-side path must stay inside the import directory: clients never name arbitrary server files. */
function importPath(context: ApiContext, path: string): string {
  const root = context.deps.datasetImportDir;
  if (!root) {
    throw badInput(
      'this server takes no dataset paths (no import directory is configured); send `content` instead',
    );
  }
  const full = resolve(root, path);
  const inside = relative(root, full);
  if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) {
    throw apiError(
      'FORBIDDEN',
      `path ${path} is outside the import directory ${root}; copy the file there first`,
    );
  }
  return full;
}

/** Errors a client can fix become BAD_USER_INPUT; a strict ingest's line errors travel in extensions.issues. */
function asApiError(error: unknown): unknown {
  if (error instanceof DatasetValidationError) {
    return badInput(error.message, {
      issues: error.issues.map((issue) => ({ ...issue })),
      invalidRecords: error.invalidRecords,
      totalIssues: error.totalIssues,
    });
  }
  if (error instanceof EmptyDatasetError) return badInput(error.message, { reason: error.code });
  if (error instanceof DatasetRequestError) return badInput(error.message);
  if (error instanceof EvalSplitTooSmallError) {
    return badInput(error.message, { reason: error.code, evalSplit: { ...error.shortfall } });
  }
  if (error instanceof PiiPolicyError) return badInput(error.message, { reason: error.code });
  const message = error instanceof Error ? error.message : '';
  if (/^cannot read dataset file|no records|is not a valid lexicon/.test(message)) return badInput(message);
  return error;
}

/**
 * A refusal of the current state (a dataset that does not exist or is archived, a domain rule of kind
 * not-found or conflict) as the payload's user error, as every command mutation answers it; null for
 * anything else (input, role, system), which stays a GraphQL error.
 */
function userErrorOf(error: unknown): UserError | null {
  if (isDomainError(error)) return isUserErrorKind(error.kind) ? toUserError(error) : null;
  if (!(error instanceof DatasetRequestError) || !error.refusal) return null;
  const { code, field } = error.refusal;
  const refusal = new DomainError(code, error.message, { field });
  return isUserErrorKind(refusal.kind) ? toUserError(refusal) : null;
}

/**
 * A dataset payload refused by the current state: the refusal as its user error, nothing recorded, and the
 * payload's own fields as `emptyFields` (null). Any other error is thrown as a GraphQL error.
 */
function refused<T extends object>(error: unknown, emptyFields: T) {
  const userError = userErrorOf(error);
  if (!userError) throw asApiError(error);
  return {
    userErrors: [userError],
    eventIds: [],
    eventTypes: [],
    checkpoint: null,
    replayed: false,
    ...emptyFields,
  };
}

@UseMiddleware(MutationRequest)
@Resolver()
export class DatasetIngestResolver {
  @Mutation(() => DatasetIngestPayload, {
    description:
      'Ingest a dataset file (engineer): validate, redact, score, deduplicate and split it into the artifact store, then record DatasetRegistered (new name) and DatasetRevisionAdded. A strict ingest with invalid lines fails with BAD_USER_INPUT and extensions.issues [{line, field, problem, expected}], recording nothing.',
  })
  async ingestDataset(
    @Ctx() context: ApiContext,
    @Arg('input', () => DatasetIngestInput) input: DatasetIngestInput,
    @Arg('idempotencyKey', () => String, idempotencyKeyArg) idempotencyKey: string | undefined,
  ): Promise<DatasetIngestPayload> {
    requireAction(context, 'data', 'ingest datasets');
    const options = ingestOptions.parse({
      format: input.format ?? undefined,
      dedup: input.dedup ?? undefined,
      minQuality: input.minQuality ?? undefined,
      evalFraction: input.evalFraction ?? undefined,
      seed: input.seed ?? undefined,
    });
    if ((input.content == null) === (input.path == null)) {
      throw badInput(
        'give exactly one of input.content (the file as text) and input.path (a server-side file)',
      );
    }
    let piiPolicy;
    try {
      piiPolicy = input.piiPolicy != null ? parsePiiPolicy(input.piiPolicy) : undefined;
    } catch (error) {
      throw asApiError(error);
    }
    const source = input.path != null ? importPath(context, input.path) : Readable.from([input.content!]);
    try {
      const outcome = await ingestIntoPlatform(
        dependencies(context),
        {
          source,
          name: input.name,
          ...(input.datasetId ? { datasetId: input.datasetId } : {}),
          ...(input.domain ? { domain: input.domain } : {}),
          ...(input.description ? { description: input.description } : {}),
          ...(options.format ? { format: options.format } : {}),
          lenient: input.lenient === true,
          ...(input.redact != null ? { redact: input.redact } : {}),
          ...(piiPolicy ? { piiPolicy } : {}),
          ...(options.minQuality !== undefined ? { minQuality: options.minQuality } : {}),
          ...(options.dedup ? { dedup: options.dedup } : {}),
          ...(options.evalFraction !== undefined ? { evalFraction: options.evalFraction } : {}),
          ...(options.seed !== undefined ? { seed: options.seed } : {}),
          ...(input.allowSmallEvalSplit ? { allowSmallEvalSplit: true } : {}),
        },
        commandContext(context, idempotencyKey),
      );
      const recorded = await projected(context, outcome.events);
      return {
        datasetId: outcome.datasetId,
        name: outcome.name,
        revision: outcome.revision,
        registered: outcome.registered,
        unchanged: outcome.unchanged,
        contentHash: outcome.facts.contentHash,
        recordCount: outcome.facts.recordCount,
        byteSize: outcome.facts.byteSize,
        format: outcome.facts.format,
        facts: outcome.facts,
        ...recorded,
        userErrors: [],
      };
    } catch (error) {
      return refused(error, {
        datasetId: null,
        name: null,
        revision: null,
        registered: null,
        unchanged: null,
        contentHash: null,
        recordCount: null,
        byteSize: null,
        format: null,
        facts: null,
      });
    }
  }

  @Mutation(() => AugmentationRequestPayload, {
    description:
      'Request an augmentation of a dataset revision (engineer): the lexicon is stored under its hash and AugmentationRequested is recorded; an `augment` worker produces the new revision (parent = the base revision) and AugmentationCompleted, or AugmentationFailed.',
  })
  async requestAugmentation(
    @Ctx() context: ApiContext,
    @Arg('input', () => AugmentationRequestInput) input: AugmentationRequestInput,
    @Arg('idempotencyKey', () => String, idempotencyKeyArg) idempotencyKey: string | undefined,
  ): Promise<AugmentationRequestPayload> {
    requireAction(context, 'data', 'request augmentations');
    try {
      const lexicon = parseLexicon(input.lexicon, 'input.lexicon');
      const templates = input.templates == null ? undefined : templateListSchema.parse(input.templates);
      const outcome = await requestAugmentationInPlatform(
        dependencies(context),
        {
          datasetId: input.datasetId,
          ...(input.revision != null ? { revision: input.revision } : {}),
          lexicon,
          ...(templates ? { templates } : {}),
          ...(input.seed != null ? { seed: input.seed } : {}),
          ...(input.count != null ? { count: input.count } : {}),
          ...(input.augmentationId ? { augmentationId: input.augmentationId } : {}),
        },
        commandContext(context, idempotencyKey),
      );
      const recorded = await projected(context, outcome.events);
      return {
        augmentationId: outcome.augmentationId,
        datasetId: outcome.datasetId,
        baseRevision: outcome.baseRevision,
        lexiconHash: outcome.lexiconHash,
        templates: [...outcome.templates],
        replayed: outcome.replayed,
        ...recorded,
        userErrors: [],
      };
    } catch (error) {
      return refused(error, {
        augmentationId: null,
        datasetId: null,
        baseRevision: null,
        lexiconHash: null,
        templates: [],
      });
    }
  }

  @Mutation(() => FlywheelRevisionPayload, {
    description:
      "The data flywheel (engineer): labelled production interactions become a new revision of an instruction dataset. Praised answers (thumbs up, rating >= minRating) and people's corrections are added, redacted, after the parent's records; lineage links each interaction used to the revision. Refused, with nothing appended, when no new record results.",
  })
  async buildFlywheelRevision(
    @Ctx() context: ApiContext,
    @Arg('input', () => FlywheelRevisionInput) input: FlywheelRevisionInput,
    @Arg('idempotencyKey', () => String, idempotencyKeyArg) idempotencyKey: string | undefined,
  ): Promise<FlywheelRevisionPayload> {
    requireAction(context, 'data', 'build flywheel revisions');
    const window = timeRange(input.recordedAfter, input.recordedBefore, 'recordedAfter/recordedBefore');
    try {
      // The read model finds the labelled interactions; the service reads each one from the log.
      const interactionIds: string[] = [];
      let after: string | undefined;
      do {
        const page = await listInteractions(context.deps.db, {
          first: 500,
          after,
          labelledOnly: true,
          ...(input.deploymentName ? { deploymentName: input.deploymentName } : {}),
          ...(input.modelName ? { modelName: input.modelName } : {}),
          ...(input.modelVersion != null ? { modelVersion: input.modelVersion } : {}),
          ...(window ? { recorded: window } : {}),
        });
        interactionIds.push(...page.items.map((row) => row.interaction_id));
        after = page.nextCursor ?? undefined;
      } while (after);
      const outcome = await buildFlywheelRevision(
        dependencies(context),
        {
          datasetId: input.datasetId,
          interactionIds,
          ...(input.minRating != null ? { minRating: input.minRating } : {}),
          ...(input.minReward != null ? { minReward: input.minReward } : {}),
          ...(input.evalFraction != null ? { evalFraction: input.evalFraction } : {}),
        },
        commandContext(context, idempotencyKey),
      );
      const recorded = await projected(context, outcome.events);
      return {
        datasetId: outcome.datasetId,
        revision: outcome.revision,
        parentRevision: outcome.parentRevision,
        ...outcome.counts,
        replayed: outcome.replayed,
        ...recorded,
        userErrors: [],
      };
    } catch (error) {
      return refused(error, {
        datasetId: null,
        revision: null,
        parentRevision: null,
        considered: null,
        added: null,
        corrections: null,
        copied: null,
        skipped: null,
      });
    }
  }

  @Mutation(() => PreferenceRevisionPayload, {
    description:
      "RLHF data (engineer): every ranked preference prompt's rankings become chosen/rejected pairs (each candidate ranked above another is chosen over it) in a new revision of a `preference` dataset. Refused, with nothing appended, when no new pair results.",
  })
  async buildPreferenceRevision(
    @Ctx() context: ApiContext,
    @Arg('datasetId', () => ID) datasetId: string,
    @Arg('evalFraction', () => Float, { nullable: true }) evalFraction: number | undefined,
    @Arg('idempotencyKey', () => String, idempotencyKeyArg) idempotencyKey: string | undefined,
    @Arg('minAgreement', () => Float, {
      nullable: true,
      description:
        "Leave out every ranking of a labeler whose mean Kendall's tau against the other labelers of the same prompts is below this (-1 to 1); labelers who share no prompt are kept.",
    })
    minAgreement: number | undefined,
  ): Promise<PreferenceRevisionPayload> {
    requireAction(context, 'data', 'build preference revisions');
    try {
      const promptIds: string[] = [];
      let after: string | undefined;
      do {
        const page = await listPreferencePrompts(context.deps.db, { first: 500, after, rankedOnly: true });
        promptIds.push(...page.items.map((row) => row.prompt_id));
        after = page.nextCursor ?? undefined;
      } while (after);
      const outcome = await buildPreferenceRevision(
        dependencies(context),
        {
          datasetId,
          promptIds,
          ...(evalFraction != null ? { evalFraction } : {}),
          ...(minAgreement != null ? { minAgreement } : {}),
        },
        commandContext(context, idempotencyKey),
      );
      const recorded = await projected(context, outcome.events);
      return {
        datasetId: outcome.datasetId,
        revision: outcome.revision,
        parentRevision: outcome.parentRevision ?? null,
        ...outcome.counts,
        replayed: outcome.replayed,
        ...recorded,
        userErrors: [],
      };
    } catch (error) {
      return refused(error, {
        datasetId: null,
        revision: null,
        parentRevision: null,
        rankedPrompts: null,
        pairsAdded: null,
        duplicates: null,
        copied: null,
        agreement: null,
      });
    }
  }
}
