import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { Option } from 'commander';
import { z } from 'zod';
import {
  augmentationTemplateSchema,
  augmentDataset,
  DATASET_FORMATS,
  DatasetValidationError,
  ingestDataset,
  loadLexicon,
  LocalArtifactStore,
  type DatasetFormat,
  type DedupMode,
} from '../../data/index.js';
import { loadConfig } from '../config.js';
import type { RegisterCommand } from './index.js';

function number(name: string, min: number, max: number) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed < min || parsed > max) {
      throw new Error(`${name} must be a number from ${min} to ${max}, got "${value}"`);
    }
    return parsed;
  };
}

function artifactStore(dir?: string): LocalArtifactStore {
  return new LocalArtifactStore(dir ?? loadConfig().artifactsDir);
}

interface IngestCliOptions {
  name: string;
  format?: DatasetFormat;
  lenient?: boolean;
  redact: boolean;
  minQuality?: number;
  dedup: DedupMode;
  evalFraction: number;
  seed: number;
  store?: string;
}

interface AugmentCliOptions {
  lexicon: string;
  parent?: string;
  templates?: string;
  seed: number;
  count?: number;
  evalFraction: number;
  store?: string;
}

export const registerDatasetCommand: RegisterCommand = (program: Command) => {
  const dataset = program
    .command('dataset')
    .description('Prepare datasets: ingest files, augment them from a lexicon');

  dataset
    .command('ingest')
    .description(
      'Validate, redact, score, deduplicate and split a dataset file (JSONL, JSON or CSV in alpaca, sharegpt, ' +
        'openai-messages or preference format) into the local artifact store, and print the revision facts as JSON.',
    )
    .argument('<file>', 'the dataset file (.jsonl, .json or .csv)')
    .requiredOption('--name <name>', 'the dataset name')
    .addOption(
      new Option('--format <format>', 'the record format (detected when absent)').choices(DATASET_FORMATS),
    )
    .option('--lenient', 'keep valid records and report invalid ones instead of rejecting the file')
    .option('--no-redact', 'keep PII (by default it is replaced with typed placeholders)')
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
    .option('--eval-fraction <f>', 'share of records in the eval split', number('--eval-fraction', 0, 1), 0.1)
    .option('--seed <n>', 'split seed', number('--seed', 0, 2 ** 32 - 1), 0)
    .option('--store <dir>', 'artifact directory (default TUNELEDGER_ARTIFACTS_DIR or <data dir>/artifacts)')
    .action(async (file: string, options: IngestCliOptions) => {
      try {
        const facts = await ingestDataset({
          source: file,
          format: options.format,
          mode: options.lenient ? 'lenient' : 'strict',
          store: artifactStore(options.store),
          redact: options.redact,
          minQuality: options.minQuality,
          dedup: options.dedup,
          split: { evalFraction: options.evalFraction, seed: options.seed },
        });
        process.stdout.write(`${JSON.stringify({ name: options.name, source: file, ...facts }, null, 2)}\n`);
      } catch (error) {
        if (error instanceof DatasetValidationError) {
          process.stderr.write(`${file}: ${error.message}\n`);
          process.exitCode = 1;
          return;
        }
        throw error;
      }
    });

  dataset
    .command('augment')
    .description(
      'Generate instruction records from templates x a domain lexicon (deterministic for a seed), append them to a ' +
        'parent revision (its records get entity spans), store the new revision and print its facts as JSON.',
    )
    .requiredOption(
      '--lexicon <file>',
      'lexicon JSON (see docs/data.md), e.g. src/data/augmentation/lexicons/sample-medical-legal-finance.json',
    )
    .option('--parent <hash>', 'content hash of the parent revision in the artifact store')
    .option(
      '--templates <file>',
      'JSON list of templates {id, pattern, response, categories?} (default: the founding guide set)',
    )
    .option('--seed <n>', 'generation seed', number('--seed', 0, 2 ** 32 - 1), 0)
    .option('--count <n>', 'at most this many generated records', number('--count', 1, 1e9))
    .option('--eval-fraction <f>', 'share of records in the eval split', number('--eval-fraction', 0, 1), 0.1)
    .option('--store <dir>', 'artifact directory (default TUNELEDGER_ARTIFACTS_DIR or <data dir>/artifacts)')
    .action(async (options: AugmentCliOptions) => {
      const lexicon = await loadLexicon(options.lexicon);
      const templates = options.templates
        ? z.array(augmentationTemplateSchema).parse(JSON.parse(await readFile(options.templates, 'utf8')))
        : undefined;
      const facts = await augmentDataset({
        store: artifactStore(options.store),
        lexicon,
        templates,
        seed: options.seed,
        count: options.count,
        parentContentHash: options.parent,
        split: { evalFraction: options.evalFraction, seed: options.seed },
      });
      process.stdout.write(`${JSON.stringify(facts, null, 2)}\n`);
    });
};
