import { readFile } from 'node:fs/promises';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { Option } from 'commander';
import {
  augmentDataset,
  DATASET_FORMATS,
  DatasetValidationError,
  EmptyDatasetError,
  EvalSplitTooSmallError,
  loadLexicon,
  LocalArtifactStore,
  artifactStoreFor,
  parsePiiPolicy,
  type ArtifactStore,
  PiiPolicyError,
  type PiiPolicy,
  type AugmentationTemplate,
  type DatasetFormat,
  type DedupMode,
} from '../../data/index.js';
import {
  EsdbEventStore,
  PostgresEventStore,
  type Database,
  type EventStore,
} from '../../eventstore/index.js';
import {
  createServices,
  DatasetRequestError,
  ingestIntoPlatform,
  requestAugmentationInPlatform,
  systemClock,
  templateListSchema,
  uuidIds,
  type CommandContext,
  type IngestProgress,
  type Services,
} from '../../services/index.js';
import { graphqlEnumValueName } from '../../graphql/index.js';
import { loadConfig, type Config } from '../config.js';
import { runAugmentationHere } from '../datasets.js';
import { forwardRequest, ForwardingError, runningServer, stageImport } from '../forwarding.js';
import { openConfiguredDatabase } from '../platform.js';
import type { RegisterCommand } from './registerCommand.js';

function number(name: string, min: number, max: number, integer = false) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed < min || parsed > max || (integer && !Number.isInteger(parsed))) {
      throw new Error(
        `${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got "${value}"`,
      );
    }
    return parsed;
  };
}

/** Files above this get a progress bar (on a terminal). */
const PROGRESS_BAR_BYTES = 8 * 1024 * 1024;

interface Opened {
  readonly config: Config;
  readonly database: Database;
  readonly store: EventStore;
  readonly services: Services;
  readonly artifacts: ArtifactStore;
  close(): Promise<void>;
}

/** The platform's database (DATABASE_URL, else embedded in TUNELEDGER_DATA_DIR), event store and services. */
async function openPlatformData(command: string): Promise<Opened> {
  const config = loadConfig();
  const database = await openConfiguredDatabase(config, command);
  const store: EventStore = config.eventStoreUrl
    ? EsdbEventStore.connect(config.eventStoreUrl)
    : new PostgresEventStore(database);
  return {
    config,
    database,
    store,
    services: createServices({ store, clock: systemClock, ids: uuidIds }),
    artifacts: artifactStoreFor(config.artifacts),
    async close() {
      await store.close();
      await database.close();
    },
  };
}

function cliContext(): CommandContext {
  return { actor: `cli:${process.env.USER ?? 'local'}` };
}

/** A cli-progress bar over bytes read, labelled with the lines (records) read; only on a terminal. */
function ingestProgress(enabled: boolean): { onProgress?: (p: IngestProgress) => void; stop(): void } {
  if (!enabled || !process.stderr.isTTY) return { stop() {} };
  let bar: cliProgress.SingleBar | undefined;
  return {
    onProgress(progress) {
      if (progress.totalBytes === undefined || progress.totalBytes < PROGRESS_BAR_BYTES) return;
      if (!bar) {
        bar = new cliProgress.SingleBar(
          {
            format:
              'ingest |{bar}| {percentage}% | {records} records read | {mb}/{totalMb} MB | eta {eta_formatted}',
            stream: process.stderr,
            etaBuffer: 50,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(progress.totalBytes, 0, {
          records: 0,
          mb: '0',
          totalMb: (progress.totalBytes / 1e6).toFixed(1),
        });
      }
      bar.update(progress.bytesRead, {
        records: progress.linesRead,
        mb: (progress.bytesRead / 1e6).toFixed(1),
      });
    },
    stop() {
      bar?.stop();
    },
  };
}

interface IngestCliOptions {
  name: string;
  dataset?: string;
  domain?: string;
  description?: string;
  format?: DatasetFormat;
  lenient?: boolean;
  redact: boolean;
  piiPolicy?: string;
  minQuality?: number;
  dedup: DedupMode;
  evalFraction?: number;
  seed?: number;
  allowSmallEval?: boolean;
  progress: boolean;
}

interface AugmentCliOptions {
  dataset?: string;
  revision?: number;
  lexicon: string;
  templates?: string;
  seed: number;
  count?: number;
  wait?: boolean;
  timeoutMs: number;
  parent?: string;
  evalFraction: number;
  store?: string;
}

async function readTemplates(file: string | undefined): Promise<AugmentationTemplate[] | undefined> {
  if (!file) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8')) as unknown;
  } catch (error) {
    throw new Error(`cannot read templates ${file}: ${(error as Error).message}`);
  }
  const parsed = templateListSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    throw new Error(`${file} is not a list of templates {id, pattern, response, categories?}: ${problems}`);
  }
  return parsed.data;
}

const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

type Server = NonNullable<ReturnType<typeof runningServer>>;

/** Input the server refused, or a refusal of the state it answered as a user error: said, not thrown. */
const refusedByServer = (error: ForwardingError) =>
  error.code === 'BAD_USER_INPUT' || error.extensions['domainCode'] !== undefined;

const ingestMutation = `mutation ($input: DatasetIngestInput!) {
  ingestDataset(input: $input) { datasetId name revision registered unchanged facts eventTypes userErrors { code message } }
}`;

/**
 * `dataset ingest` while a server holds the embedded data directory: the file is staged in the server's import
 * directory and ingested by the server (ingestDataset), which records it in the one database it holds.
 */
async function ingestThroughServer(
  server: Server,
  config: Config,
  file: string,
  options: IngestCliOptions,
): Promise<void> {
  const staged = stageImport(config.dataDir, file);
  try {
    const input = {
      name: options.name,
      path: staged.path,
      ...(options.dataset ? { datasetId: options.dataset } : {}),
      ...(options.domain ? { domain: options.domain } : {}),
      ...(options.description ? { description: options.description } : {}),
      ...(options.format ? { format: graphqlEnumValueName(options.format) } : {}),
      lenient: options.lenient === true,
      redact: options.redact,
      ...(options.piiPolicy ? { piiPolicy: options.piiPolicy } : {}),
      ...(options.minQuality !== undefined ? { minQuality: options.minQuality } : {}),
      dedup: options.dedup,
      ...(options.evalFraction !== undefined ? { evalFraction: options.evalFraction } : {}),
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      ...(options.allowSmallEval ? { allowSmallEvalSplit: true } : {}),
    };
    const { ingestDataset: outcome } = await forwardRequest<{
      ingestDataset: {
        datasetId: string;
        name: string;
        revision: number;
        registered: boolean;
        unchanged: boolean;
        facts: Record<string, unknown>;
        eventTypes: string[];
      };
    }>(server, config, ingestMutation, { input });
    const { facts, eventTypes, ...summary } = outcome;
    print({ ...summary, source: file, events: eventTypes, ...facts, recordedBy: server.apiUrl });
  } catch (error) {
    if (error instanceof ForwardingError && refusedByServer(error)) {
      process.stderr.write(`${file}: ${error.message}\n`);
      process.exitCode = 1;
      return;
    }
    throw error;
  } finally {
    staged.remove();
  }
}

const augmentMutation = `mutation ($input: AugmentationRequestInput!) {
  requestAugmentation(input: $input) { augmentationId datasetId baseRevision lexiconHash templates eventTypes userErrors { code message } }
}`;

/** `dataset augment --dataset` while a server holds the embedded data directory: requested there, its worker runs it. */
async function augmentThroughServer(
  server: Server,
  config: Config,
  options: AugmentCliOptions,
  lexicon: unknown,
  templates: AugmentationTemplate[] | undefined,
): Promise<void> {
  if (options.wait) {
    throw new Error(
      `the data directory ${config.dataDir} is in use by the tuneledger server (pid ${server.pid}) at ` +
        `${server.apiUrl}; --wait runs the augmentation in this process, which cannot open it: leave --wait out ` +
        "(the server's augment worker runs it) or stop the server first",
    );
  }
  try {
    const { requestAugmentation: requested } = await forwardRequest<{
      requestAugmentation: { eventTypes: string[] } & Record<string, unknown>;
    }>(server, config, augmentMutation, {
      input: {
        datasetId: options.dataset,
        ...(options.revision !== undefined ? { revision: options.revision } : {}),
        lexicon,
        ...(templates ? { templates } : {}),
        seed: options.seed,
        ...(options.count !== undefined ? { count: options.count } : {}),
      },
    });
    const { eventTypes, ...summary } = requested;
    print({ ...summary, events: eventTypes, status: 'requested', recordedBy: server.apiUrl });
  } catch (error) {
    if (error instanceof ForwardingError && refusedByServer(error)) {
      process.stderr.write(`tuneledger dataset augment: ${error.message}\n`);
      process.exitCode = 1;
      return;
    }
    throw error;
  }
}

export const registerDatasetCommand: RegisterCommand = (program: Command) => {
  const dataset = program
    .command('dataset')
    .description('Prepare datasets in the platform: ingest files as revisions, augment them from a lexicon');

  dataset
    .command('ingest')
    .description(
      'Validate, redact, score, deduplicate and split a dataset file (JSONL, JSON or CSV in alpaca, sharegpt, ' +
        'openai-messages or preference format) into the artifact store, then record it in the platform database ' +
        '(DATABASE_URL, else the embedded one in TUNELEDGER_DATA_DIR): DatasetRegistered for a new name, and ' +
        'DatasetRevisionAdded. Prints the dataset id, the revision and its facts as JSON. A strict ingest with ' +
        'invalid records lists every line error, records nothing and exits 1. While a server holds the embedded ' +
        'data directory, the file is ingested through its API (TUNELEDGER_TOKEN: the token to send).',
    )
    .argument('<file>', 'the dataset file (.jsonl, .json or .csv)')
    .requiredOption(
      '--name <name>',
      'the dataset name (the same name again adds a revision to the same dataset)',
    )
    .option('--dataset <id>', 'add the revision to this registered dataset instead of finding it by name')
    .option('--domain <domain>', 'the domain of a new dataset (medical, legal, finance...; default general)')
    .option('--description <text>', 'a description for a new dataset')
    .addOption(
      new Option('--format <format>', 'the record format (detected when absent)').choices(DATASET_FORMATS),
    )
    .option('--lenient', 'keep valid records and report invalid ones instead of rejecting the file')
    .option('--no-redact', 'keep PII (by default it is replaced with typed placeholders)')
    .option(
      '--pii-policy <policy>',
      'the action per kind of PII, e.g. phone=pseudonymise,email=keep,*=redact (redact, keep, pseudonymise; ' +
        'pseudonyms are keyed by TUNELEDGER_PII_KEY); recorded in the revision PII report',
    )
    .option(
      '--min-quality <score>',
      'drop records whose instruction scores below this (0-3)',
      number('--min-quality', 0, 3),
    )
    .addOption(
      new Option('--dedup <mode>', 'duplicate instructions to drop')
        .choices(['none', 'exact', 'near'])
        .default('exact'),
    )
    .option(
      '--eval-fraction <f>',
      "share of records in the eval split (default: the dataset's, else 0.1)",
      number('--eval-fraction', 0, 1),
    )
    .option(
      '--seed <n>',
      "split seed (default: the dataset's, else 0)",
      number('--seed', 0, 2 ** 32 - 1, true),
    )
    .option(
      '--allow-small-eval',
      'accept an eval split below its minimum (empty, or under min(5, half the expected eval records)) with a warning in the report',
    )
    .option(
      '--no-progress',
      `no progress bar (shown on a terminal for files over ${PROGRESS_BAR_BYTES / 2 ** 20} MiB)`,
    )
    .action(async (file: string, options: IngestCliOptions) => {
      const config = loadConfig();
      let piiPolicy: PiiPolicy | undefined;
      try {
        piiPolicy = options.piiPolicy ? parsePiiPolicy(options.piiPolicy) : undefined;
      } catch (error) {
        if (!(error instanceof PiiPolicyError)) throw error;
        process.stderr.write(`--pii-policy: ${error.message}\n`);
        process.exitCode = 1;
        return;
      }
      const server = runningServer(config);
      if (server) {
        await ingestThroughServer(server, config, file, options);
        return;
      }
      const platform = await openPlatformData('dataset ingest');
      const progress = ingestProgress(options.progress);
      try {
        const outcome = await ingestIntoPlatform(
          platform,
          {
            source: file,
            name: options.name,
            ...(options.dataset ? { datasetId: options.dataset } : {}),
            ...(options.domain ? { domain: options.domain } : {}),
            ...(options.description ? { description: options.description } : {}),
            ...(options.format ? { format: options.format } : {}),
            lenient: options.lenient === true,
            redact: options.redact,
            ...(piiPolicy ? { piiPolicy } : {}),
            ...(config.piiKey ? { piiKey: config.piiKey } : {}),
            ...(options.minQuality !== undefined ? { minQuality: options.minQuality } : {}),
            dedup: options.dedup,
            ...(options.evalFraction !== undefined ? { evalFraction: options.evalFraction } : {}),
            ...(options.seed !== undefined ? { seed: options.seed } : {}),
            ...(options.allowSmallEval ? { allowSmallEvalSplit: true } : {}),
            ...(progress.onProgress ? { onProgress: progress.onProgress } : {}),
          },
          cliContext(),
        );
        progress.stop();
        const { facts, events, ...summary } = outcome;
        print({ ...summary, source: file, events: events.map((e) => e.type), ...facts });
      } catch (error) {
        progress.stop();
        if (
          error instanceof DatasetValidationError ||
          error instanceof DatasetRequestError ||
          error instanceof EvalSplitTooSmallError ||
          error instanceof PiiPolicyError ||
          error instanceof EmptyDatasetError
        ) {
          process.stderr.write(`${file}: ${error.message}\n`);
          process.exitCode = 1;
          return;
        }
        throw error;
      } finally {
        await platform.close();
      }
    });

  dataset
    .command('augment')
    .description(
      'Request an augmentation of a dataset revision (AugmentationRequested): templates x a domain lexicon, ' +
        'deterministic for a seed. With the embedded database (no worker can be running beside this command) or ' +
        'with --wait, runs the augment job here through the job queue and prints the new revision (parent = the ' +
        'source revision); otherwise a worker (`tuneledger worker --kinds augment`) takes it. While a server holds ' +
        'the embedded data directory, the request goes through its API and its augment worker runs it. Without --dataset: ' +
        'only writes an augmented revision to the artifact store (--parent, --count), recording nothing.',
    )
    .requiredOption(
      '--lexicon <file>',
      'lexicon JSON (see docs/data.md), e.g. src/data/augmentation/lexicons/sample-medical-legal-finance.json',
    )
    .option('--dataset <id>', 'the dataset to augment (its id, as `dataset ingest` printed it)')
    .option(
      '--revision <n>',
      'the revision to augment (default: the latest)',
      number('--revision', 1, 1e9, true),
    )
    .option(
      '--templates <file>',
      'JSON list of templates {id, pattern, response, categories?} (default: the founding guide set)',
    )
    .option('--seed <n>', 'generation seed', number('--seed', 0, 2 ** 31 - 1, true), 0)
    .option(
      '--count <n>',
      'without --dataset only: at most this many generated records',
      number('--count', 1, 1e9, true),
    )
    .option('--wait', 'run the augmentation in this process now (through the job queue) and print its result')
    .option('--timeout-ms <ms>', 'how long --wait waits', number('--timeout-ms', 1, 1e9, true), 600_000)
    .option(
      '--parent <hash>',
      'without --dataset only: content hash of the parent revision in the artifact store',
    )
    .option(
      '--eval-fraction <f>',
      'without --dataset only: share in the eval split',
      number('--eval-fraction', 0, 1),
      0.1,
    )
    .option('--store <dir>', 'without --dataset only: artifact directory (default TUNELEDGER_ARTIFACTS_DIR)')
    .action(async (options: AugmentCliOptions) => {
      const lexicon = await loadLexicon(options.lexicon);
      const templates = await readTemplates(options.templates);
      if (!options.dataset) {
        const facts = await augmentDataset({
          store: options.store
            ? new LocalArtifactStore(options.store)
            : artifactStoreFor(loadConfig().artifacts),
          lexicon,
          ...(templates ? { templates } : {}),
          seed: options.seed,
          ...(options.count !== undefined ? { count: options.count } : {}),
          ...(options.parent ? { parentContentHash: options.parent } : {}),
          split: { evalFraction: options.evalFraction, seed: options.seed },
        });
        print(facts);
        return;
      }
      const config = loadConfig();
      const server = runningServer(config);
      if (server) {
        await augmentThroughServer(server, config, options, lexicon, templates);
        return;
      }
      const platform = await openPlatformData('dataset augment');
      try {
        const requested = await requestAugmentationInPlatform(
          platform,
          {
            datasetId: options.dataset,
            ...(options.revision !== undefined ? { revision: options.revision } : {}),
            lexicon,
            ...(templates ? { templates } : {}),
            seed: options.seed,
            ...(options.count !== undefined ? { count: options.count } : {}),
          },
          cliContext(),
        );
        const runHere = options.wait === true || !platform.config.databaseUrl;
        if (!runHere) {
          print({ ...requested, events: requested.events.map((e) => e.type), status: 'requested' });
          return;
        }
        const result = await runAugmentationHere(
          { ...platform, db: platform.database.db },
          requested.datasetId,
          requested.augmentationId,
          { timeoutMs: options.timeoutMs },
        );
        print({ ...requested, events: requested.events.map((e) => e.type), ...result });
        if (result.status === 'failed') process.exitCode = 1;
      } catch (error) {
        if (error instanceof DatasetRequestError) {
          process.stderr.write(`tuneledger dataset augment: ${error.message}\n`);
          process.exitCode = 1;
          return;
        }
        throw error;
      } finally {
        await platform.close();
      }
    });
};
