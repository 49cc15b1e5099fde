import { Field, Float, ID, InputType, Int, ObjectType } from 'type-graphql';
import type { DatasetFormat } from '../../domain/index.js';
import { UserError } from '../types/commandPayload.type.js';
import { DatasetFormatEnum } from '../types/enums.js';
import { DateTime, JSON } from '../types/scalars.js';

/**
 * What a dataset operation appended, once projected (read-your-writes): every payload below has it. It is
 * reached only through its subclasses, so the schema has no type of its own for it.
 */
@ObjectType()
export class AppendedEvents {
  @Field(() => [UserError], {
    description:
      'The domain rules that refused the request; empty when it was recorded. When not empty, nothing was recorded and the other fields are null or empty.',
  })
  userErrors!: UserError[];

  @Field(() => [ID])
  eventIds!: string[];

  @Field(() => [String])
  eventTypes!: string[];

  @Field(() => String, { nullable: true })
  checkpoint!: string | null;
}

@InputType({
  description:
    'A dataset file to ingest: `content` inline (small sets) or `path`, a file under the server import directory (large sets).',
})
export class DatasetIngestInput {
  @Field({ description: 'The dataset name; the same name again adds a revision to the same dataset.' })
  name!: string;

  @Field(() => ID, {
    nullable: true,
    description: 'Add to this registered dataset instead of finding it by name.',
  })
  datasetId?: string;

  @Field(() => String, { nullable: true, description: 'medical, legal, finance...; default general.' })
  domain?: string;

  @Field(() => String, { nullable: true })
  description?: string;

  @Field(() => DatasetFormatEnum, { nullable: true, description: 'Detected when absent.' })
  format?: DatasetFormat;

  @Field(() => String, {
    nullable: true,
    description:
      'The file as text (JSONL, a JSON array or CSV with a header; sniffed from its first character).',
  })
  content?: string;

  @Field(() => String, {
    nullable: true,
    description: 'A file path relative to the server import directory (<TUNELEDGER_DATA_DIR>/imports).',
  })
  path?: string;

  @Field(() => Boolean, {
    nullable: true,
    description:
      'Keep valid records and report the rest (default: strict, any invalid line rejects the file).',
  })
  lenient?: boolean;

  @Field(() => Boolean, {
    nullable: true,
    description: 'Replace PII with typed placeholders (default true).',
  })
  redact?: boolean;

  @Field(() => String, {
    nullable: true,
    description:
      'The action per kind of PII, e.g. "phone=pseudonymise,email=keep,*=redact" (actions redact, keep, pseudonymise; a kind left out is redacted; pseudonyms need TUNELEDGER_PII_KEY on the server). Recorded in the revision\'s piiReport.policy.',
  })
  piiPolicy?: string;

  @Field(() => Int, {
    nullable: true,
    description: 'Drop records whose instruction scores below this (0-3).',
  })
  minQuality?: number;

  @Field(() => String, { nullable: true, description: 'none, exact (default) or near.' })
  dedup?: string;

  @Field(() => Float, {
    nullable: true,
    description: "Share of records in the eval split (default: the dataset's, else 0.1).",
  })
  evalFraction?: number;

  @Field(() => Int, { nullable: true, description: "Split seed (default: the dataset's, else 0)." })
  seed?: number;

  @Field(() => Boolean, {
    nullable: true,
    description:
      'Accept an eval split below its minimum (empty, or under min(5, half the expected eval records)) with a warning in transform.params.warnings. Without it such an ingest fails with BAD_USER_INPUT, extensions.reason EVAL_SPLIT_TOO_SMALL and the numbers in extensions.evalSplit, and records nothing.',
  })
  allowSmallEvalSplit?: boolean;
}

@ObjectType('DatasetIngestPayload', {
  description: 'The revision an ingest recorded; returned once its events are projected.',
})
export class DatasetIngestPayload extends AppendedEvents {
  @Field(() => ID, { nullable: true })
  datasetId!: string | null;

  @Field(() => String, { nullable: true })
  name!: string | null;

  @Field(() => Int, { nullable: true })
  revision!: number | null;

  @Field(() => Boolean, { nullable: true, description: 'True when this ingest registered the dataset.' })
  registered!: boolean | null;

  @Field(() => Boolean, {
    nullable: true,
    description: 'True when the latest revision already had this content: nothing was recorded.',
  })
  unchanged!: boolean | null;

  @Field(() => String, { nullable: true })
  contentHash!: string | null;

  @Field(() => Int, { nullable: true })
  recordCount!: number | null;

  @Field(() => Float, { nullable: true })
  byteSize!: number | null;

  @Field(() => DatasetFormatEnum, { nullable: true })
  format!: DatasetFormat | null;

  @Field(() => JSON, {
    nullable: true,
    description: 'Every fact of the revision: splits, PII report, quality report, transform.',
  })
  facts!: unknown;
}

@InputType({
  description: 'An augmentation of a dataset revision: templates x a domain lexicon, for a seed.',
})
export class AugmentationRequestInput {
  @Field(() => ID)
  datasetId!: string;

  @Field(() => Int, { nullable: true, description: 'The revision to augment; default the latest.' })
  revision?: number;

  @Field(() => JSON, {
    description: 'The lexicon: {name, version?, terms: [{term, category, attributes?}]}.',
  })
  lexicon!: unknown;

  @Field(() => JSON, {
    nullable: true,
    description: 'Templates [{id, pattern, response, categories?}]; default the founding guide set.',
  })
  templates?: unknown;

  @Field(() => Int, { nullable: true, description: 'Generation seed (default 0).' })
  seed?: number;

  @Field(() => Int, {
    nullable: true,
    description: 'At most this many generated records (a seeded sample); default every template x term pair.',
  })
  count?: number;

  @Field(() => ID, { nullable: true })
  augmentationId?: string;
}

@ObjectType('AugmentationRequestPayload', {
  description: 'The recorded AugmentationRequested; a worker picks the `augment` job up.',
})
export class AugmentationRequestPayload extends AppendedEvents {
  @Field(() => ID, { nullable: true })
  augmentationId!: string | null;

  @Field(() => ID, { nullable: true })
  datasetId!: string | null;

  @Field(() => Int, { nullable: true })
  baseRevision!: number | null;

  @Field(() => String, {
    nullable: true,
    description: 'sha256 of the lexicon; it is stored in the artifact store under this hash.',
  })
  lexiconHash!: string | null;

  @Field(() => [String], {
    description: 'Default template ids, or custom templates as JSON; empty when refused.',
  })
  templates!: string[];

  @Field()
  replayed!: boolean;
}

@InputType('FlywheelRevisionInput', {
  description:
    'Which labelled production interactions flow back into an instruction dataset: all filters are optional and combine.',
})
export class FlywheelRevisionInput {
  @Field(() => ID, { description: 'The instruction dataset; its latest revision is the parent.' })
  datasetId!: string;

  @Field(() => String, { nullable: true })
  deploymentName?: string;

  @Field(() => String, { nullable: true })
  modelName?: string;

  @Field(() => Int, { nullable: true })
  modelVersion?: number;

  @Field(() => DateTime, {
    nullable: true,
    description: 'Only interactions recorded strictly after this moment.',
  })
  recordedAfter?: Date;

  @Field(() => DateTime, {
    nullable: true,
    description: 'Only interactions recorded strictly before this moment.',
  })
  recordedBefore?: Date;

  @Field(() => Int, {
    nullable: true,
    description: "Lowest 1-5 rating that keeps the model's answer (default 4).",
  })
  minRating?: number;

  @Field(() => Float, {
    nullable: true,
    description:
      "Lowest reward score that keeps the model's answer (the latest score the current reward model of the interaction's model gave it); answers scored lower or not yet scored are left out (skipped: low-reward, unscored). People's corrections are kept whatever the score. Default: no reward filter.",
  })
  minReward?: number;

  @Field(() => Float, {
    nullable: true,
    description:
      "Share of the new records in the eval split (default: the parent revision's, else 0.1). The parent's records keep their splits; an answer to an eval question is eval.",
  })
  evalFraction?: number;
}

@ObjectType('FlywheelRevisionPayload', {
  description: 'The flywheel revision recorded: the parent revision plus the records production taught.',
})
export class FlywheelRevisionPayload extends AppendedEvents {
  @Field(() => ID, { nullable: true })
  datasetId!: string | null;

  @Field(() => Int, { nullable: true })
  revision!: number | null;

  @Field(() => Int, { nullable: true })
  parentRevision!: number | null;

  @Field(() => Int, { nullable: true, description: 'Labelled interactions read from the log.' })
  considered!: number | null;

  @Field(() => Int, { nullable: true, description: 'New records: praised answers and corrections.' })
  added!: number | null;

  @Field(() => Int, {
    nullable: true,
    description: 'Of the new records, those whose answer is a person’s correction.',
  })
  corrections!: number | null;

  @Field(() => Int, { nullable: true, description: 'Records copied from the parent revision.' })
  copied!: number | null;

  @Field(() => JSON, {
    nullable: true,
    description:
      'Interactions left out, by reason (rejected, no-verdict, filtered, unscored, low-reward, duplicate, ...).',
  })
  skipped!: unknown;

  @Field({
    description: 'True when a request with this idempotency key recorded it before: its first answer.',
  })
  replayed!: boolean;
}

@ObjectType('LabelerAgreement', {
  description:
    "How far labelers agreed where two or more ranked the same prompt (Kendall's tau between their rankings: 1 identical, -1 reversed, 0 chance), as the revision records it: figures only, no labeler's identity.",
})
export class LabelerAgreementType {
  @Field(() => Int, { description: 'Prompts ranked by two labelers or more.' })
  prompts!: number;

  @Field(() => Float, {
    nullable: true,
    description: "Mean Kendall's tau among their rankings; null when no prompt had two.",
  })
  meanTau!: number | null;

  @Field(() => Int, { description: 'Labelers measured (sharing a prompt with another).' })
  labelers!: number;

  @Field(() => Float, { nullable: true, description: 'The minAgreement the request set, if any.' })
  minAgreement!: number | null;

  @Field(() => Int, { description: 'Labelers below minAgreement, whose rankings were left out.' })
  excludedLabelers!: number;

  @Field(() => Int, { description: 'Rankings left out with them.' })
  excludedRankings!: number;
}

@ObjectType('PreferenceRevisionPayload', {
  description:
    'The preference revision recorded from human rankings: chosen/rejected pairs for reward-model or DPO runs.',
})
export class PreferenceRevisionPayload extends AppendedEvents {
  @Field(() => ID, { nullable: true })
  datasetId!: string | null;

  @Field(() => Int, { nullable: true })
  revision!: number | null;

  @Field(() => Int, { nullable: true })
  parentRevision!: number | null;

  @Field(() => Int, { nullable: true, description: 'Ranked prompts read from the log.' })
  rankedPrompts!: number | null;

  @Field(() => Int, { nullable: true, description: 'New chosen/rejected pairs.' })
  pairsAdded!: number | null;

  @Field(() => Int, { nullable: true, description: 'Pairs already in the dataset, skipped.' })
  duplicates!: number | null;

  @Field(() => Int, { nullable: true, description: 'Records copied from the parent revision.' })
  copied!: number | null;

  @Field(() => LabelerAgreementType, { nullable: true })
  agreement!: LabelerAgreementType | null;

  @Field({
    description: 'True when a request with this idempotency key recorded it before: its first answer.',
  })
  replayed!: boolean;
}
