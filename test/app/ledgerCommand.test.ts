import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerLedgerCommand } from '../../src/app/commands/ledger.command.js';
import { loadConfig } from '../../src/app/config.js';
import { openConfiguredDatabase } from '../../src/app/platform.js';
import { PostgresEventStore, generateLedgerKeyPair } from '../../src/eventstore/index.js';

/** Runs `tuneledger ...` (the ledger commands) in this process, capturing stdout and the exit code. */
async function tuneledger(...args: string[]): Promise<{ stdout: string; exitCode: number }> {
  const program = new Command().exitOverride();
  registerLedgerCommand(program);
  let stdout = '';
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string) => ((stdout += chunk), true)) as typeof process.stdout.write;
  process.exitCode = 0;
  try {
    await program.parseAsync(['node', 'tuneledger', ...args]);
  } finally {
    process.stdout.write = write;
  }
  const exitCode = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { stdout, exitCode };
}

async function withDatabase(
  work: (database: Awaited<ReturnType<typeof openConfiguredDatabase>>) => Promise<void>,
) {
  const database = await openConfiguredDatabase(loadConfig());
  try {
    await work(database);
  } finally {
    await database.close();
  }
}

describe('tuneledger ledger keygen / checkpoint and verify (embedded database in a temp TUNELEDGER_DATA_DIR)', () => {
  const saved = { ...process.env };
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tl-ledger-cli-'));
    process.env.TUNELEDGER_DATA_DIR = join(dir, 'data');
    delete process.env.DATABASE_URL;
    delete process.env.TUNELEDGER_LEDGER_KEY;
    delete process.env.TUNELEDGER_LEDGER_KEY_FILE;
  });
  afterAll(() => {
    for (const name of [
      'TUNELEDGER_DATA_DIR',
      'DATABASE_URL',
      'TUNELEDGER_LEDGER_KEY',
      'TUNELEDGER_LEDGER_KEY_FILE',
    ]) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  });

  it(
    'signs a checkpoint the user keeps, exits 0 on the intact log and 1 naming the event after tampering',
    { timeout: 240_000 },
    async () => {
      const keyFile = join(dir, 'ledger-key.pem');
      const keygen = await tuneledger('ledger', 'keygen', '--out', keyFile);
      expect(keygen.stdout).toMatch(/ledger key [0-9a-f]{16}/);
      await expect(tuneledger('ledger', 'keygen', '--out', keyFile)).rejects.toThrow(/EEXIST/);

      await expect(tuneledger('ledger', 'checkpoint')).rejects.toThrow(
        /no ledger key: set TUNELEDGER_LEDGER_KEY_FILE/,
      );
      process.env.TUNELEDGER_LEDGER_KEY_FILE = keyFile;

      await withDatabase(async (database) => {
        const store = new PostgresEventStore(database);
        for (const n of [1, 2, 3]) {
          await store.append('cli-run', [{ type: 'MetricLogged', data: { step: n } }], n - 1, {
            actor: 'test',
          });
        }
      });
      const kept = join(dir, 'kept.json');
      const checkpoint = await tuneledger('ledger', 'checkpoint', '--out', kept);
      expect(JSON.parse(checkpoint.stdout)).toMatchObject({
        treeSize: 3,
        publicKey: expect.stringMatching(/PUBLIC KEY/),
      });
      expect(JSON.parse(readFileSync(kept, 'utf8'))).toEqual(JSON.parse(checkpoint.stdout));

      // The kept file carries the public key: no key configured is needed to check against it.
      delete process.env.TUNELEDGER_LEDGER_KEY_FILE;
      const intact = await tuneledger('verify', '--from', kept);
      expect(intact.exitCode).toBe(0);
      expect(intact.stdout).toMatch(
        /^ledger intact: 4 events in 2 streams, tree size 4, .* 1 checkpoint\(s\), signatures checked/,
      );

      await withDatabase(async (database) => {
        await database.db.transaction().execute(async (trx) => {
          await sql`SET LOCAL session_replication_role = replica`.execute(trx);
          await sql`UPDATE events SET data = '{"step": 20}'::jsonb WHERE stream_id = 'cli-run' AND stream_version = 2`.execute(
            trx,
          );
        });
      });
      const tampered = await tuneledger('verify', '--from', kept);
      expect(tampered.exitCode).toBe(1);
      expect(tampered.stdout).toMatch(/^ledger TAMPERED: 1 problem/);
      expect(tampered.stdout).toMatch(
        /first bad event: \[altered\] stream cli-run, version 2, global position 2, leaf 1, event /,
      );

      const json = await tuneledger('verify', '--json');
      expect(json.exitCode).toBe(1);
      expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, signaturesChecked: false });

      const garbage = join(dir, 'garbage.json');
      writeFileSync(garbage, '{"treeSize": "many"}');
      await expect(tuneledger('verify', '--from', garbage)).rejects.toMatchObject({
        code: 'LEDGER_CHECKPOINT_INVALID',
        message: expect.stringMatching(/holds no checkpoint/),
      });
    },
  );
});

describe('ledger key configuration', () => {
  it('refuses a key that is not an Ed25519 private key, naming the variable, and reads a PEM or base64 one', () => {
    expect(() => loadConfig({ TUNELEDGER_LEDGER_KEY: 'not a key' })).toThrow(
      /invalid configuration: TUNELEDGER_LEDGER_KEY is not a private key/,
    );
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    });
    expect(() => loadConfig({ TUNELEDGER_LEDGER_KEY: rsa.toString() })).toThrow(/is a rsa key; .* Ed25519/);
    expect(() => loadConfig({ TUNELEDGER_LEDGER_KEY_FILE: '/nonexistent/key.pem' })).toThrow(
      /TUNELEDGER_LEDGER_KEY_FILE \/nonexistent\/key.pem cannot be read/,
    );
    const pair = generateLedgerKeyPair();
    expect(loadConfig({ TUNELEDGER_LEDGER_KEY: pair.privateKeyPem }).ledgerKey?.publicKey.keyId).toBe(
      pair.keyId,
    );
    const der = createPrivateKey(pair.privateKeyPem)
      .export({ type: 'pkcs8', format: 'der' })
      .toString('base64');
    expect(loadConfig({ TUNELEDGER_LEDGER_KEY: der }).ledgerKey?.publicKey.keyId).toBe(pair.keyId);
    expect(loadConfig({}).ledgerKey).toBeUndefined();
  });
});
