// First: production mode unless NODE_ENV says otherwise (read by graphql-js when it loads).
import './productionMode.js';
// type-graphql's decorators need the metadata polyfill before any GraphQL type is loaded.
import 'reflect-metadata';
import { Command } from 'commander';
import { commands } from './commands/index.js';

const program = new Command()
  .name('tuneledger')
  .description('Event-sourced MLOps platform for instruction fine-tuning of LLaMA-family models')
  .showHelpAfterError();

for (const register of commands) register(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`tuneledger: ${message}\n`);
  process.exitCode = 1;
});
