import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerDatasetCommand } from '../../src/app/commands/dataset.command.js';
import { loadConfig } from '../../src/app/config.js';
import { openConfiguredDatabase } from '../../src/app/platform.js';

const sampleLexicon = fileURLToPath(
  new URL('../../src/data/augmentation/lexicons/sample-medical-legal-finance.json', import.meta.url),
);

/** Runs `tuneledger dataset ...` in this process, capturing what it writes. */
async function tuneledger(...args: string[]): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  const program = new Command().exitOverride();
  registerDatasetCommand(program);
  let stdout = '';
  let stderr = '';
  const write = {
    out: process.stdout.write.bind(process.stdout),
    err: process.stderr.write.bind(process.stderr),
  };
  process.stdout.write = ((chunk: string) => ((stdout += chunk), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => ((stderr += chunk), true)) as typeof process.stderr.write;
  process.exitCode = 0;
  try {
    await program.parseAsync(['node', 'tuneledger', ...args]);
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
  }
  const exitCode = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { stdout, stderr, exitCode };
}

/** The event types in the embedded database, in order (opened after the command closed it). */
async function loggedEventTypes(): Promise<string[]> {
  const database = await openConfiguredDatabase(loadConfig());
  try {
    const { rows } = await sql<{
      type: string;
    }>`SELECT type FROM events ORDER BY global_position`.execute(database.db);
    return rows.map((row) => row.type);
  } finally {
    await database.close();
  }
}

describe('tuneledger dataset (embedded database in a temp TUNELEDGER_DATA_DIR)', () => {
  const saved = { dataDir: process.env.TUNELEDGER_DATA_DIR, databaseUrl: process.env.DATABASE_URL };
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tl-dataset-cli-'));
    process.env.TUNELEDGER_DATA_DIR = join(dir, 'data');
    // This test is about the embedded default; the PostgreSQL path is the same code with another Database.
    delete process.env.DATABASE_URL;
  });
  afterAll(() => {
    if (saved.dataDir === undefined) delete process.env.TUNELEDGER_DATA_DIR;
    else process.env.TUNELEDGER_DATA_DIR = saved.dataDir;
    if (saved.databaseUrl !== undefined) process.env.DATABASE_URL = saved.databaseUrl;
  });

  // Each command opens the embedded database (PGlite) anew, which takes seconds on a loaded machine.
  const CLI_TEST_TIMEOUT_MS = 180_000;

  it(
    'ingests into the platform database, refuses a bad file without recording, and augments to revision 2',
    { timeout: CLI_TEST_TIMEOUT_MS },
    async () => {
      const good = join(dir, 'terms.jsonl');
      writeFileSync(
        good,
        ['高血压', '合同', '利率']
          .map((term) => JSON.stringify({ instruction: `用一句话解释${term}`, output: `${term}是……` }))
          .join('\n'),
      );
      // Three records leave none for the eval split: accepted explicitly (refused without, below).
      const ingested = await tuneledger(
        'dataset',
        'ingest',
        good,
        '--name',
        'cli-terms',
        '--domain',
        'medical',
        '--allow-small-eval',
      );
      expect(ingested.exitCode).toBe(0);
      const printed = JSON.parse(ingested.stdout) as {
        datasetId: string;
        revision: number;
        recordCount: number;
      };
      expect(printed).toMatchObject({ revision: 1, recordCount: 3, registered: true });

      const bad = join(dir, 'bad.jsonl');
      writeFileSync(
        bad,
        `${JSON.stringify({ instruction: 'ok', output: 'ok' })}\n{"instruction": 1, "output": "x"}\n`,
      );
      const refused = await tuneledger('dataset', 'ingest', bad, '--name', 'cli-bad');
      expect(refused.exitCode).toBe(1);
      expect(refused.stderr).toMatch(/line 2, instruction/);
      expect(await loggedEventTypes()).toEqual(['DatasetRegistered', 'DatasetRevisionAdded']);

      const augmented = await tuneledger(
        'dataset',
        'augment',
        '--dataset',
        printed.datasetId,
        '--lexicon',
        sampleLexicon,
        '--seed',
        '5',
      );
      expect(augmented.stderr).toBe('');
      expect(augmented.exitCode).toBe(0);
      const result = JSON.parse(augmented.stdout) as {
        status: string;
        resultingRevision: number;
        revision: { parentRevision: number };
      };
      expect(result).toMatchObject({
        status: 'completed',
        resultingRevision: 2,
        revision: { parentRevision: 1 },
      });
      expect(await loggedEventTypes()).toEqual([
        'DatasetRegistered',
        'DatasetRevisionAdded',
        'AugmentationRequested',
        'DatasetRevisionAdded',
        'AugmentationCompleted',
      ]);
    },
  );

  it(
    'refuses a file whose eval split would be empty without --allow-small-eval, recording nothing',
    { timeout: CLI_TEST_TIMEOUT_MS },
    async () => {
      const small = join(dir, 'small.jsonl');
      writeFileSync(small, `${JSON.stringify({ instruction: '用一句话解释债券', output: '债券是……' })}\n`);
      const before = await loggedEventTypes();
      const refused = await tuneledger(
        'dataset',
        'ingest',
        small,
        '--name',
        'cli-small',
        '--eval-fraction',
        '0',
      );
      expect(refused.exitCode).toBe(1);
      expect(refused.stderr).toMatch(
        /the eval split holds 0 of 1 records \(eval fraction 0, seed 0\).*--allow-small-eval/,
      );
      expect(await loggedEventTypes()).toEqual(before);
    },
  );
});
