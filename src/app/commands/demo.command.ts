import { InvalidArgumentError, type Command } from 'commander';
import { runDemo, type DemoServed } from '../demo/index.js';
import type { RegisterCommand } from './registerCommand.js';

interface DemoCommandOptions {
  dataDir?: string;
  keep?: boolean;
  short?: boolean;
  logLevel: string;
  port?: number;
  wait: boolean;
}

function portNumber(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new InvalidArgumentError('a port is an integer from 0 to 65535');
  return port;
}

/** Keeps the platform serving until the user presses a key (a terminal), so the printed URLs stay alive. */
async function untilKeyPressed(served: DemoServed): Promise<void> {
  const out = process.stdout;
  if (!process.stdin.isTTY) {
    out.write(
      '\nstdin is not a terminal, so the demo stops serving now. To read the reports afterwards, run it with ' +
        '--keep and then `TUNELEDGER_DATA_DIR=<the data directory printed below> tuneledger start`.\n',
    );
    return;
  }
  out.write(
    `\nThe console (${served.consoleUrl}) and the report URLs above are served until you press a key.\n`,
  );
  const stdin = process.stdin;
  stdin.setRawMode(true);
  stdin.resume();
  await new Promise<void>((resolve) => stdin.once('data', () => resolve()));
  stdin.setRawMode(false);
  stdin.pause();
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
    .option('--port <port>', 'where the platform listens (default: any free port)', portNumber)
    .option('--no-wait', 'stop as soon as the last step is done, without waiting for a key')
    .action(async (options: DemoCommandOptions) => {
      const summary = await runDemo({
        ...(options.dataDir ? { dataDir: options.dataDir } : {}),
        keep: options.keep === true,
        size: options.short ? 'short' : 'full',
        logLevel: options.logLevel,
        ...(options.port !== undefined ? { port: options.port } : {}),
        ...(options.wait ? { beforeClose: untilKeyPressed } : {}),
      });
      const failed = summary.steps.filter((step) => step.status === 'failed').length;
      process.exitCode = failed > 0 ? 1 : 0;
    });
};
