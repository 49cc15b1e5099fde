import type { Command } from 'commander';
import { DomainError } from '../../domain/index.js';
import { EsdbEventStore, PostgresEventStore, type EventStore } from '../../eventstore/index.js';
import { loadMasterKey, ShreddingEventStore, SubjectKeys } from '../../privacy/index.js';
import { createServices, systemClock, uuidIds } from '../../services/index.js';
import { loadConfig, type Config } from '../config.js';
import { forwardRequest, ForwardingError, runningServer } from '../forwarding.js';
import { openConfiguredDatabase } from '../platform.js';
import type { RegisterCommand } from './registerCommand.js';

/** What `tuneledger forget` prints (as JSON): the erasure as recorded. */
export interface ForgetOutcome {
  readonly subjectId: string;
  readonly streamId: string;
  readonly version: number;
  readonly events: readonly string[];
  /** Whether a data key was destroyed now (false: the subject had none, or it was forgotten before). */
  readonly keyDestroyed?: boolean;
  /** The server that recorded it, when the command went through one. */
  readonly recordedBy?: string;
}

const forgetMutation = `mutation ($subjectId: String!, $reason: String!) {
  forgetSubject(subjectId: $subjectId, reason: $reason) { id streamId version eventTypes userErrors { code message } }
}`;

/**
 * `tuneledger forget SUBJECT --reason TEXT`: the right to erasure from the command line (docs/privacy.md). Beside a
 * server that holds the embedded data directory it goes through that server's forgetSubject mutation (an admin
 * token in TUNELEDGER_TOKEN once tokens exist); otherwise it opens the database itself. Returns the exit code.
 */
export async function runForgetCommand(
  subjectId: string,
  options: { readonly reason: string },
  write: (text: string) => void,
  fail: (text: string) => void,
  config: Config = loadConfig(),
): Promise<number> {
  const server = runningServer(config);
  try {
    const outcome = server
      ? await forgetThroughServer(server, config, subjectId, options.reason)
      : await forgetHere(config, subjectId, options.reason);
    write(`${JSON.stringify(outcome, null, 2)}\n`);
    return 0;
  } catch (error) {
    if (error instanceof DomainError || (error instanceof ForwardingError && error.code !== undefined)) {
      fail(`forget ${subjectId}: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

async function forgetThroughServer(
  server: NonNullable<ReturnType<typeof runningServer>>,
  config: Config,
  subjectId: string,
  reason: string,
): Promise<ForgetOutcome> {
  // A refusal in userErrors is thrown by forwardRequest: the ids are set here.
  const { forgetSubject: result } = await forwardRequest<{
    forgetSubject: { id: string; streamId: string; version: number; eventTypes: string[] };
  }>(server, config, forgetMutation, { subjectId, reason });
  return {
    subjectId: result.id,
    streamId: result.streamId,
    version: result.version,
    events: result.eventTypes,
    recordedBy: server.apiUrl,
  };
}

async function forgetHere(config: Config, subjectId: string, reason: string): Promise<ForgetOutcome> {
  const database = await openConfiguredDatabase(config, 'forget');
  const log: EventStore = config.eventStoreUrl
    ? EsdbEventStore.connect(config.eventStoreUrl)
    : new PostgresEventStore(database);
  const subjectKeys = new SubjectKeys(database.db, loadMasterKey(config.masterKey, config.dataDir));
  const store = new ShreddingEventStore(log, subjectKeys);
  try {
    const services = createServices({ store, clock: systemClock, ids: uuidIds, subjectKeys });
    const result = await services.privacy.forgetSubject(
      { subjectId, reason },
      { actor: `cli:${process.env.USER ?? 'local'}` },
    );
    return {
      subjectId,
      streamId: result.streamId,
      version: result.version,
      events: result.events.map((event) => event.type),
      keyDestroyed: result.keyDestroyed,
    };
  } finally {
    await store.close();
    await database.close();
  }
}

export const registerForgetCommand: RegisterCommand = (program: Command) => {
  program
    .command('forget')
    .description(
      "Forget a data subject (the right to erasure): records SubjectForgotten with the reason and destroys the subject's " +
        'data key, so its prompts, responses, corrections and identity read as [erased] everywhere. An admin action: ' +
        'beside a running server it goes through its API (set TUNELEDGER_TOKEN to an admin token once tokens exist).',
    )
    .argument(
      '<subject>',
      'the data subject id (for served traffic: the OpenAI `user` field of the requests)',
    )
    .requiredOption('--reason <text>', 'why (recorded in the log for auditors)')
    .action(async (subject: string, options: { reason: string }) => {
      process.exitCode = await runForgetCommand(
        subject,
        options,
        (text) => process.stdout.write(text),
        (text) => process.stderr.write(text),
      );
    });
};
