import type { Command } from 'commander';
import { runDemo } from '../demo/index.js';
import type { RegisterCommand } from './registerCommand.js';

interface DemoCommandOptions {
  dataDir?: string;
  keep?: boolean;
  short?: boolean;
  logLevel: string;
}

export const registerDemoCommand: RegisterCommand = (program: Command) => {
  program
    .command('demo')
    .description(
      'Run the whole loop on a fresh embedded platform, through the GraphQL API and the OpenAI-compatible ' +
        'endpoint: tiny base model, dataset ingest with PII, augmentation, staged LoRA training, evaluation and ' +
        'gate, promotion and deployment, traffic, a degraded version rolled back by the monitor, audit report. ' +
        'Takes a few minutes on two cores (docs/demo.md).',
    )
    .option(
      '--data-dir <dir>',
      'use (and keep) this new, empty data directory instead of a fresh temporary one',
    )
    .option('--keep', 'keep the temporary data directory afterwards')
    .option('--short', 'fewer training epochs and requests (about a minute on a quiet machine)')
    .option('--log-level <level>', 'platform log level on stderr (silent, error, warn, info)', 'error')
    .action(async (options: DemoCommandOptions) => {
      const summary = await runDemo({
        ...(options.dataDir ? { dataDir: options.dataDir } : {}),
        keep: options.keep === true,
        size: options.short ? 'short' : 'full',
        logLevel: options.logLevel,
      });
      const failed = summary.steps.filter((step) => step.status === 'failed').length;
      process.exitCode = failed > 0 ? 1 : 0;
    });
};
