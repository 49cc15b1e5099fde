import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { openConfiguredDatabase } from '../platform.js';
import type { RegisterCommand } from './registerCommand.js';

export const registerMigrateCommand: RegisterCommand = (program: Command) => {
  program
    .command('migrate')
    .description(
      'Bring the database schema up to date: PostgreSQL when DATABASE_URL is set, otherwise the ' +
        'embedded PGlite database in TUNELEDGER_DATA_DIR (default ./.data).',
    )
    .action(async () => {
      const database = await openConfiguredDatabase(loadConfig(), 'migrate');
      const where = database.kind === 'postgres' ? 'PostgreSQL' : 'PGlite';
      await database.close();
      process.stdout.write(`${where}: schema up to date\n`);
    });
};
