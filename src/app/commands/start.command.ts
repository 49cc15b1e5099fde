import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { startPlatform } from '../platform.js';
import type { RegisterCommand } from './registerCommand.js';

export const registerStartCommand: RegisterCommand = (program: Command) => {
  program
    .command('start')
    .description(
      'Run the platform: migrations, the event store, projections, the GraphQL API (http://HOST:PORT/graphql, ' +
        'default 127.0.0.1:4000) and in-process workers. Embedded PGlite in TUNELEDGER_DATA_DIR unless ' +
        'DATABASE_URL is set. Every environment variable is listed in README.md.',
    )
    .action(async () => {
      const platform = await startPlatform(loadConfig());
      process.stdout.write(`tuneledger is running: GraphQL at ${platform.graphql.url}\n`);
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        platform.logger.info({ signal }, 'shutting down');
        platform.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
};
