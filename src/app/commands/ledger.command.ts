import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import {
  LedgerError,
  PostgresEventStore,
  generateLedgerKeyPair,
  parseKeptCheckpoint,
  parseLedgerPublicKey,
  recordLedgerCheckpoint,
  verifyLedger,
  type LedgerProblem,
  type LedgerPublicKey,
  type LedgerVerdict,
  type SignedCheckpoint,
} from '../../eventstore/index.js';
import { loadConfig, type Config } from '../config.js';
import { openConfiguredDatabase } from '../platform.js';
import type { RegisterCommand } from './registerCommand.js';

export interface VerifyCommandOptions {
  /** A checkpoint kept outside the database (`ledger checkpoint --out`, or the /ledger/checkpoints answer). */
  readonly from?: string;
  /** The ledger's public key (PEM); otherwise the kept file's, otherwise the configured signing key's. */
  readonly publicKey?: string;
  readonly json?: boolean;
}

/** `tuneledger verify`: checks the whole log; the exit code is 0 for an intact log and 1 otherwise. */
export async function runVerifyCommand(
  options: VerifyCommandOptions,
  write: (text: string) => void,
  config: Config = loadConfig(),
): Promise<number> {
  refuseEventStoreDb(config);
  let kept: SignedCheckpoint | undefined;
  let keptKey: string | undefined;
  if (options.from) {
    const parsed = parseKeptCheckpoint(readText(options.from, '--from'), options.from);
    kept = parsed.checkpoint;
    keptKey = parsed.publicKeyPem;
  }
  const publicKey: LedgerPublicKey | undefined = options.publicKey
    ? parseLedgerPublicKey(readText(options.publicKey, '--public-key'), options.publicKey)
    : keptKey
      ? parseLedgerPublicKey(keptKey, `the public key in ${options.from}`)
      : config.ledgerKey?.publicKey;
  const database = await openConfiguredDatabase(config, 'verify');
  let verdict: LedgerVerdict;
  try {
    verdict = await verifyLedger(database, { publicKey, kept });
  } finally {
    await database.close();
  }
  write(options.json ? `${JSON.stringify(verdict, null, 2)}\n` : describeVerdict(verdict, publicKey));
  return verdict.ok ? 0 : 1;
}

function describeVerdict(verdict: LedgerVerdict, publicKey: LedgerPublicKey | undefined): string {
  const lines: string[] = [];
  const signatures = publicKey
    ? `signatures checked with key ${publicKey.keyId}`
    : 'signatures NOT checked: no public key (pass --public-key, or set TUNELEDGER_LEDGER_KEY_FILE)';
  const summary =
    `${verdict.eventsChecked} events in ${verdict.streamsChecked} streams, tree size ${verdict.treeSize}, ` +
    `root ${verdict.rootHash}; ${verdict.checkpointsChecked} checkpoint(s), ${signatures}`;
  if (verdict.ok) {
    lines.push(`ledger intact: ${summary}`);
  } else {
    const [first, ...rest] = verdict.problems;
    lines.push(`ledger TAMPERED: ${verdict.problemCount} problem(s) in ${summary}`);
    lines.push(`first bad event: ${describeProblem(first!)}`);
    for (const problem of rest) lines.push(`  also: ${describeProblem(problem)}`);
    if (verdict.problemCount > verdict.problems.length) {
      lines.push(`  ... and ${verdict.problemCount - verdict.problems.length} more`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function describeProblem(problem: LedgerProblem): string {
  const where = [
    problem.streamId !== undefined ? `stream ${problem.streamId}` : undefined,
    problem.streamVersion !== undefined ? `version ${problem.streamVersion}` : undefined,
    problem.globalPosition !== undefined ? `global position ${problem.globalPosition}` : undefined,
    problem.leafIndex !== undefined ? `leaf ${problem.leafIndex}` : undefined,
    problem.eventId !== undefined ? `event ${problem.eventId}` : undefined,
  ].filter(Boolean);
  return `[${problem.kind}] ${where.length > 0 ? `${where.join(', ')}: ` : ''}${problem.reason}`;
}

/** `tuneledger ledger checkpoint`: signs and records a checkpoint, and prints it (with the public key) as JSON. */
export async function runCheckpointCommand(
  options: { out?: string },
  write: (text: string) => void,
  config: Config = loadConfig(),
): Promise<SignedCheckpoint> {
  refuseEventStoreDb(config);
  const key = config.ledgerKey;
  if (!key) {
    throw new LedgerError(
      'LEDGER_KEY_INVALID',
      'no ledger key: set TUNELEDGER_LEDGER_KEY_FILE (or TUNELEDGER_LEDGER_KEY); make one with `tuneledger ledger keygen --out FILE`',
    );
  }
  const database = await openConfiguredDatabase(config, 'ledger checkpoint');
  try {
    const { checkpoint } = await recordLedgerCheckpoint(database, new PostgresEventStore(database), key);
    const text = `${JSON.stringify({ ...checkpoint, publicKey: key.publicKey.pem }, null, 2)}\n`;
    if (options.out) writeFileSync(options.out, text);
    write(text);
    return checkpoint;
  } finally {
    await database.close();
  }
}

export const registerLedgerCommand: RegisterCommand = (program: Command) => {
  const ledger = program
    .command('ledger')
    .description(
      'Signed checkpoints of the log: a Merkle tree over every event in global order, its root signed with ' +
        'an Ed25519 key kept outside the database (TUNELEDGER_LEDGER_KEY_FILE or TUNELEDGER_LEDGER_KEY).',
    );

  ledger
    .command('keygen')
    .description(
      'Write a new Ed25519 signing key (PKCS#8 PEM, mode 600) to FILE and its public key to FILE.pub.',
    )
    .requiredOption('--out <file>', 'where to write the private key (refused if it exists)')
    .action((options: { out: string }) => {
      const pair = generateLedgerKeyPair();
      writeFileSync(options.out, pair.privateKeyPem, { mode: 0o600, flag: 'wx' });
      writeFileSync(`${options.out}.pub`, pair.publicKeyPem, { flag: 'wx' });
      process.stdout.write(
        `ledger key ${pair.keyId}: private key in ${options.out} (keep it off the database host's backups), ` +
          `public key in ${options.out}.pub\nset TUNELEDGER_LEDGER_KEY_FILE=${options.out} for the server and ` +
          '`tuneledger ledger checkpoint`\n',
      );
    });

  ledger
    .command('checkpoint')
    .description(
      'Sign the Merkle root of the log now and record it as an event on the ledger-checkpoints stream; print ' +
        'it as JSON. Keep a copy elsewhere and check the log against it with `tuneledger verify --from FILE`.',
    )
    .option('--out <file>', 'also write the checkpoint (with the public key) to this file')
    .action(async (options: { out?: string }) => {
      await runCheckpointCommand(options, (text) => process.stdout.write(text));
    });

  program
    .command('verify')
    .description(
      'Check the whole log: every event hash against its content, every stream chain and its version in the ' +
        'streams table, every recorded checkpoint signature and root, and the consistency of a checkpoint you ' +
        'kept. Exits 1 and names the first bad event when anything does not hold, 0 when the log is intact.',
    )
    .option(
      '--from <file>',
      'a checkpoint kept outside the database (JSON from `ledger checkpoint` or /ledger/checkpoints)',
    )
    .option(
      '--public-key <file>',
      "the ledger public key (PEM); default: the kept file's, then the configured key's",
    )
    .option('--json', 'print the verdict as JSON')
    .action(async (options: VerifyCommandOptions) => {
      process.exitCode = await runVerifyCommand(options, (text) => process.stdout.write(text));
    });
};

function readText(path: string, option: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new LedgerError(
      'LEDGER_CHECKPOINT_INVALID',
      `${option} ${path} cannot be read: ${(error as Error).message}`,
    );
  }
}

function refuseEventStoreDb(config: Config): void {
  if (config.eventStoreUrl) {
    throw new LedgerError(
      'LEDGER_UNSUPPORTED',
      'the ledger covers the PostgreSQL/PGlite event store; EVENTSTORE_URL is set (EventStoreDB keeps its own log)',
    );
  }
}
