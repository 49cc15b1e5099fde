/**
 * A first run that reads well: a missing option is one line and the command's usage, a port in use is one line,
 * and log lines are readable in a terminal (JSON otherwise). The CLI runs as a user runs it, from dist/.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatLogLine } from '../../src/app/logging.js';

const run = promisify(execFile);
const cli = join(process.cwd(), 'dist', 'src', 'app', 'cli.js');
let dir: string;

beforeAll(() => {
  execFileSync(
    process.execPath,
    [join(process.cwd(), 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
    {
      stdio: 'inherit',
    },
  );
  dir = mkdtempSync(join(tmpdir(), 'tl-first-run-'));
}, 300_000);
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
});

/** Runs the CLI to its end; resolves with its exit code and output whatever the code. */
async function tuneledger(args: string[], env: NodeJS.ProcessEnv = {}) {
  const { DATABASE_URL: _postgres, ...rest } = process.env;
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, ...args], {
      env: { ...rest, TUNELEDGER_DATA_DIR: join(dir, 'data'), TUNELEDGER_WORKERS: 'none', ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('the first run', () => {
  it('answers a missing required option with one line and the usage, not the whole help', async () => {
    const answer = await tuneledger(['dataset', 'ingest', 'records.jsonl']);
    expect(answer.code).toBe(1);
    const lines = answer.stderr.trim().split('\n');
    expect(lines[0]).toMatch(/required option '--name <name>' not specified/);
    expect(lines[1]).toMatch(/^Usage: tuneledger dataset ingest \[options\] <file>$/);
    expect(lines).toHaveLength(3);
    expect(answer.stderr).not.toMatch(/Options:/);
  });

  it('says in one line that the port is in use, with no stack trace', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const answer = await tuneledger(['start'], {
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'silent',
      });
      expect(answer.code).toBe(1);
      expect(answer.stderr.trim().split('\n')).toEqual([
        `tuneledger: port ${port} on 127.0.0.1 is already in use by another process: stop it, or start on another port (PORT=${port + 1} npm start)`,
      ]);
    } finally {
      blocker.close();
    }
  }, 120_000);

  it('formats log lines for a terminal: time, level, component, message and fields; other lines unchanged', () => {
    const time = Date.UTC(2026, 11, 7, 14, 2, 11);
    const line = JSON.stringify({
      level: 40,
      time,
      pid: 1,
      hostname: 'h',
      component: 'graphql',
      msg: 'slow query',
      ms: 120,
      query: 'runs page',
    });
    expect(formatLogLine(line)).toBe('14:02:11 WARN  graphql: slow query ms=120 query="runs page"');
    expect(formatLogLine(line, true)).toBe(
      '14:02:11 \u001b[33mWARN \u001b[0m graphql: slow query ms=120 query="runs page"',
    );
    const failure = JSON.stringify({
      level: 50,
      time,
      msg: 'failed',
      err: { message: 'boom', stack: 'Error: boom\n    at x' },
    });
    expect(formatLogLine(failure).split('\n')).toEqual([
      '14:02:11 ERROR failed',
      '  Error: boom',
      '    at x',
    ]);
    expect(formatLogLine('not json')).toBe('not json');
    expect(formatLogLine('{"no":"level"}')).toBe('{"no":"level"}');
  });
});
