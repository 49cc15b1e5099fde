import { createServer } from 'node:net';
import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { startPlatform } from '../platform.js';
import type { RegisterCommand } from './registerCommand.js';

function portInUse(host: string, port: number): Error {
  return new Error(
    `port ${port} on ${host} is already in use by another process: stop it, or start on another port (PORT=${port + 1} npm start)`,
  );
}

/** Fails at once, before the database opens (seconds on PGlite), when the port is taken. */
async function assertPortFree(host: string, port: number): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? portInUse(host, port) : error),
    );
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}

export const registerStartCommand: RegisterCommand = (program: Command) => {
  program
    .command('start')
    .description(
      'Run the platform: migrations, the event store, projections, the GraphQL API (http://HOST:PORT/graphql, ' +
        'default 127.0.0.1:4000) and in-process workers. Embedded PGlite in TUNELEDGER_DATA_DIR unless ' +
        'DATABASE_URL is set. Every environment variable is listed in README.md.',
    )
    .action(async () => {
      const config = loadConfig();
      await assertPortFree(config.host, config.port);
      // Taken between the probe and the listen: the same one line.
      const platform = await startPlatform(config).catch((error: unknown) => {
        throw (error as NodeJS.ErrnoException).code === 'EADDRINUSE'
          ? portInUse(config.host, config.port)
          : error;
      });
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
