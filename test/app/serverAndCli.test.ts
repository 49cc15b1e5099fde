/**
 * Issue 14: `npm start` on the embedded database and CLI commands in the same data directory. A real server process
 * (dist/src/app/cli.js start) and CLI commands as child processes, concurrently; then the server is stopped and
 * started again, and every fact recorded by either must be there. Built first, as `npm start` builds.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { loadConfig } from '../../src/app/config.js';
import { LOCK_FILE } from '../../src/app/dataDirLock.js';
import { openConfiguredDatabase } from '../../src/app/platform.js';

const run = promisify(execFile);
const lexicon = join(
  process.cwd(),
  'src',
  'data',
  'augmentation',
  'lexicons',
  'sample-medical-legal-finance.json',
);
const cli = join(process.cwd(), 'dist', 'src', 'app', 'cli.js');

let root: string;
let dataDir: string;
let env: NodeJS.ProcessEnv;
const servers: ChildProcess[] = [];

beforeAll(() => {
  execFileSync(
    process.execPath,
    [join(process.cwd(), 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
    {
      stdio: 'inherit',
    },
  );
  root = mkdtempSync(join(tmpdir(), 'tl-server-cli-'));
  dataDir = join(root, 'data');
  const { DATABASE_URL: _postgres, TUNELEDGER_TOKEN: _token, ...rest } = process.env;
  env = {
    ...rest,
    TUNELEDGER_DATA_DIR: dataDir,
    PORT: '0',
    HOST: '127.0.0.1',
    TUNELEDGER_WORKERS: 'none',
    LOG_LEVEL: 'warn',
  };
}, 300_000);

afterAll(() => {
  for (const server of servers) if (server.exitCode === null) server.kill('SIGKILL');
});

/** A small alpaca dataset whose instructions name `tag`, so each one is a distinct revision. */
function records(tag: string): string {
  return ['合同', '利率', '高血压']
    .map((term) => JSON.stringify({ instruction: `用一句话解释${term}（${tag}）`, output: `${term}是……` }))
    .join('\n');
}

function datasetFile(tag: string): string {
  const file = join(root, `${tag}.jsonl`);
  writeFileSync(file, records(tag));
  return file;
}

interface Server {
  readonly child: ChildProcess;
  readonly url: string;
  readonly exited: Promise<number | null>;
}

async function startServer(): Promise<Server> {
  const child = spawn(process.execPath, [cli, 'start'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  servers.push(child);
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /GraphQL at (\S+)/.exec(output);
      if (match) resolve(match[1]!);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => reject(new Error(`server exited (${code}) before it listened:\n${output}`)));
  });
  return { child, url, exited };
}

async function tuneledger(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, ...args], { env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

async function graphql<T>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  token?: string,
): Promise<{
  status: number;
  data?: T;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, ...((await response.json()) as object) };
}

const datasetsQuery = `{ datasets(first: 50) { edges { node { name revisionCount } } } }`;

async function datasetNames(url: string, token?: string): Promise<string[]> {
  const result = await graphql<{
    datasets: { edges: Array<{ node: { name: string; revisionCount: number } }> };
  }>(url, datasetsQuery, {}, token);
  expect(result.errors).toBeUndefined();
  return result.data!.datasets.edges.map((edge) => `${edge.node.name}@${edge.node.revisionCount}`).sort();
}

describe('a server and CLI commands on one embedded data directory', () => {
  it('keeps every fact either recorded across a restart; writes go through the server or are refused', async () => {
    let server = await startServer();

    // At once: the server records datasets of its own while CLI commands run beside it.
    const serverIngests = ['server-1', 'server-2', 'server-3'].map((name) =>
      graphql<{ ingestDataset: { datasetId: string } }>(
        server.url,
        `
          mutation ($input: DatasetIngestInput!) {
            ingestDataset(input: $input) {
              datasetId
            }
          }
        `,
        { input: { name, format: 'ALPACA', content: records(name), allowSmallEvalSplit: true } },
      ),
    );
    const cliIngests = ['cli-1', 'cli-2'].map((name) =>
      tuneledger('dataset', 'ingest', datasetFile(name), '--name', name, '--allow-small-eval'),
    );
    const tokenCreate = tuneledger('token', 'create', '--actor', 'alice', '--role', 'admin');
    const migrate = tuneledger('migrate');

    const ingested = await Promise.all(serverIngests);
    for (const result of ingested) expect(result.errors).toBeUndefined();
    const augment = await tuneledger(
      'dataset',
      'augment',
      '--dataset',
      ingested[0]!.data!.ingestDataset.datasetId,
      '--lexicon',
      lexicon,
    );
    expect(augment.code, augment.stderr).toBe(0);
    expect(JSON.parse(augment.stdout)).toMatchObject({ status: 'requested', recordedBy: server.url });
    for (const result of await Promise.all(cliIngests)) {
      expect(result.code, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ revision: 1, recordedBy: server.url });
    }
    // No API creates tokens: refused with one line that says what to do, and nothing written.
    for (const [result, command] of [
      [await tokenCreate, 'token create'],
      [await migrate, 'migrate'],
    ] as const) {
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(
        new RegExp(
          `^tuneledger: the data directory ${escape(dataDir)} is in use by the tuneledger server \\(pid ${server.child.pid}\\) ` +
            `at ${escape(server.url)}; stop it first, then run \`tuneledger ${command}\` again\\n$`,
        ),
      );
    }
    // The server sees what the CLI recorded, at once.
    const all = ['cli-1@1', 'cli-2@1', 'server-1@1', 'server-2@1', 'server-3@1'];
    expect(await datasetNames(server.url)).toEqual(all);

    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);

    // With no server, the CLI opens the database itself.
    const created = await tuneledger('token', 'create', '--actor', 'alice', '--role', 'admin');
    expect(created.code, created.stderr).toBe(0);
    const token = created.stdout.split('\n')[0]!;
    const direct = await tuneledger(
      'dataset',
      'ingest',
      datasetFile('cli-3'),
      '--name',
      'cli-3',
      '--allow-small-eval',
    );
    expect(direct.code, direct.stderr).toBe(0);
    expect(JSON.parse(direct.stdout)).not.toHaveProperty('recordedBy');

    // An ingest killed mid-write left a temp file in the artifact store: the next start removes it.
    const tmp = join(dataDir, 'artifacts', 'tmp');
    mkdirSync(tmp, { recursive: true });
    writeFileSync(join(tmp, 'killed-ingest.part'), 'half a dataset');

    server = await startServer();
    expect(await datasetNames(server.url, token)).toEqual([...all, 'cli-3@1'].sort());
    // The CLI's token is the server's: without it a request is refused now that a token exists.
    const anonymous = await graphql(server.url, datasetsQuery);
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(readdirSync(tmp)).toEqual([]);

    // A server killed outright leaves its lock; the next command finds its pid gone and takes the lock over.
    server.child.kill('SIGKILL');
    await server.exited;
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(true);
    const listed = await tuneledger('token', 'list');
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain('alice  admin');
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);

    // Every event either process recorded is in the log.
    const database = await openConfiguredDatabase(loadConfig(env), 'test');
    try {
      const { rows } = await sql<{ type: string; count: number }>`
        SELECT type, count(*)::int AS count FROM events GROUP BY type ORDER BY type`.execute(database.db);
      expect(rows).toEqual([
        { type: 'AugmentationRequested', count: 1 },
        { type: 'DatasetRegistered', count: 6 },
        { type: 'DatasetRevisionAdded', count: 6 },
      ]);
    } finally {
      await database.close();
    }
  }, 900_000);
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
