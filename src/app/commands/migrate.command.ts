import type { Command } from 'commander';
import { openDatabase } from '../../eventstore/index.js';
import { migrateToLatest } from '../migrate.js';
import type { RegisterCommand } from './index.js';

export const registerMigrateCommand: RegisterCommand = (program: Command) => {
  program
    .command('migrate')
    .description(
      'Bring the database schema up to date: PostgreSQL when DATABASE_URL is set, otherwise the ' +
        'embedded PGlite database in TUNELEDGER_DATA_DIR (default ./.data).',
    )
    .action(async () => {
      const database = await openDatabase({
        databaseUrl: process.env.DATABASE_URL || undefined,
        dataDir: process.env.TUNELEDGER_DATA_DIR || './.data',
      });
      try {
        const { results = [] } = await migrateToLatest(database.db);
        const where = database.kind === 'postgres' ? 'PostgreSQL' : 'PGlite';
        if (results.length === 0) process.stdout.write(`${where}: schema already up to date\n`);
        for (const result of results) process.stdout.write(`${where}: applied ${result.migrationName}\n`);
      } finally {
        await database.close();
      }
    });
};
