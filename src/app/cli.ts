// First: production mode unless NODE_ENV says otherwise (read by graphql-js when it loads).
import './productionMode.js';
// type-graphql's decorators need the metadata polyfill before any GraphQL type is loaded.
import 'reflect-metadata';
import { Command } from 'commander';
import { commands } from './commands/index.js';

const program = new Command()
  .name('tuneledger')
  .description('Event-sourced MLOps platform for instruction fine-tuning of LLaMA-family models');

for (const register of commands) register(program);

/** The full command path, e.g. `tuneledger dataset ingest`. */
function commandPath(command: Command): string {
  return command.parent ? `${commandPath(command.parent)} ${command.name()}` : command.name();
}
/** A usage error (a missing option, an unknown one) prints its one line and the command's usage, not the whole help. */
function shortUsageAfterErrors(command: Command): void {
  command.showHelpAfterError(
    `Usage: ${commandPath(command)} ${command.usage()}\n(${commandPath(command)} --help lists every option)`,
  );
  for (const sub of command.commands) shortUsageAfterErrors(sub);
}
shortUsageAfterErrors(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`tuneledger: ${message}\n`);
  process.exitCode = 1;
});
