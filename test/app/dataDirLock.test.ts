/**
 * The embedded data directory's lock (src/app/dataDirLock.ts) across real processes: concurrent openers, a holder
 * killed with SIGKILL, a recycled pid, and a refused opener that must not touch the PGlite files.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/app/config.js';
import {
  acquireDataDirLock,
  DataDirInUseError,
  LOCK_FILE,
  type LockHolder,
} from '../../src/app/dataDirLock.js';
import { openConfiguredDatabase } from '../../src/app/platform.js';
import { currentProcessIdentity } from '../../src/app/processIdentity.js';
import { bundle } from '../workers/support.js';

let childEntry: string;
let root: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  childEntry = await bundle('test/app/lockChild.ts', 'lockChild');
  root = mkdtempSync(join(tmpdir(), 'tl-lock-'));
});

afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});

interface Contender {
  readonly child: ChildProcess;
  /** `won` or `refused ...`, once the child has tried. */
  readonly outcome: Promise<string>;
}

/** A child process that tries to take the lock of `dataDir` at `tryAt` (ms since the epoch). */
function contender(dataDir: string, tryAt: number): Contender {
  const child = spawn(process.execPath, [childEntry, dataDir, String(tryAt)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  children.push(child);
  const outcome = new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve(out.trim());
    });
    child.once('exit', (code) => reject(new Error(`contender exited (${code}) before it tried`)));
  });
  return { child, outcome };
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once('exit', () => resolve()));
}

function lockHolder(dataDir: string): LockHolder {
  return JSON.parse(readFileSync(join(dataDir, LOCK_FILE), 'utf8')) as LockHolder;
}

/** Several processes try at the same moment; each answers won or refused. */
async function race(
  dataDir: string,
  count: number,
): Promise<Array<{ child: ChildProcess; outcome: string }>> {
  // Far enough ahead for every child to have started and be spinning when the moment comes.
  const tryAt = Date.now() + 3000;
  const contenders = Array.from({ length: count }, () => contender(dataDir, tryAt));
  return Promise.all(contenders.map(async ({ child, outcome }) => ({ child, outcome: await outcome })));
}

async function stopAll(results: ReadonlyArray<{ child: ChildProcess }>): Promise<void> {
  for (const { child } of results) child.stdin!.end();
  await Promise.all(results.map(({ child }) => exited(child)));
}

describe('the data directory lock', () => {
  it('of concurrent openers exactly one wins, and the others are told who holds it', async () => {
    const dataDir = join(root, 'race');
    const results = await race(dataDir, 6);
    const winners = results.filter((r) => r.outcome === 'won');
    expect(winners, results.map((r) => r.outcome).join('\n')).toHaveLength(1);
    const winner = winners[0]!.child;
    expect(lockHolder(dataDir).pid).toBe(winner.pid);
    for (const { outcome } of results.filter((r) => r.outcome !== 'won')) {
      expect(outcome).toBe(
        `refused the data directory ${dataDir} is in use by tuneledger lock test (pid ${winner.pid}); ` +
          'stop it first, then run `tuneledger lock test` again',
      );
    }
    // The winner exits normally: its exit hook releases the lock.
    await stopAll(results);
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);
  });

  it('a lock left by a process killed with SIGKILL is taken over, by exactly one of several takers', async () => {
    const dataDir = join(root, 'stale');
    const killed = contender(dataDir, 0);
    expect(await killed.outcome).toBe('won');
    killed.child.kill('SIGKILL');
    await exited(killed.child);
    const stale = lockHolder(dataDir);
    expect(stale.pid).toBe(killed.child.pid);

    const results = await race(dataDir, 6);
    const winners = results.filter((r) => r.outcome === 'won');
    expect(winners, results.map((r) => r.outcome).join('\n')).toHaveLength(1);
    const taken = lockHolder(dataDir);
    expect(taken.pid).toBe(winners[0]!.child.pid);
    expect(taken.nonce).not.toBe(stale.nonce);
    await stopAll(results);
    // No take-over marker or draft is left behind.
    expect(readdirSync(dataDir)).toEqual([]);
  });

  it('leaves a stale lock alone while another live process is taking it over, and takes over from a dead taker', async () => {
    const dataDir = join(root, 'takeover');
    mkdirSync(dataDir);
    const dead = {
      ...(await deadProcessIdentity()),
      command: 'start',
      acquiredAt: new Date(0).toISOString(),
    };
    writeFileSync(join(dataDir, LOCK_FILE), JSON.stringify({ ...dead, nonce: 'stale' }));
    const marker = join(dataDir, `${LOCK_FILE}.takeover-stale`);
    // A live process holds the take-over of that very lock: only it may remove the lock.
    const liveTaker = { ...currentProcessIdentity(), nonce: 'taker', command: 'start', acquiredAt: '' };
    writeFileSync(marker, JSON.stringify(liveTaker));
    expect(() => acquireDataDirLock(dataDir, 'lock test')).toThrow(/other processes kept taking it over/);
    expect(lockHolder(dataDir).nonce).toBe('stale');

    // The taker died mid-way: its marker is stale in turn, and is taken over the same way.
    writeFileSync(marker, JSON.stringify({ ...dead, nonce: 'taker' }));
    const lock = acquireDataDirLock(dataDir, 'lock test');
    expect(lockHolder(dataDir).nonce).toBe(lock.holder().nonce);
    lock.release();
    expect(readdirSync(dataDir)).toEqual([]);
  });

  it('a pid now running another process (another start time) does not keep the lock', () => {
    const dataDir = join(root, 'recycled');
    const me = currentProcessIdentity();
    // This very pid is alive, but the lock says it started at another moment: its owner is gone.
    const recycled: LockHolder = {
      ...me,
      startTime: String(Number(me.startTime ?? 0) + 1),
      nonce: 'recycled',
      command: 'start',
      acquiredAt: new Date(0).toISOString(),
    };
    mkdirSync(dataDir);
    writeFileSync(join(dataDir, LOCK_FILE), JSON.stringify(recycled));
    const lock = acquireDataDirLock(dataDir, 'lock test');
    try {
      expect(lockHolder(dataDir).nonce).toBe(lock.holder().nonce);
    } finally {
      lock.release();
    }
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);
  });

  it('refuses an opener while the holder lives, before PGlite creates a single file', async () => {
    const dataDir = join(root, 'held');
    const holder = contender(dataDir, 0);
    expect(await holder.outcome).toBe('won');
    const config = loadConfig({ TUNELEDGER_DATA_DIR: dataDir });
    const refused = await openConfiguredDatabase(config, 'token create').then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(DataDirInUseError);
    expect((refused as Error).message).toBe(
      `the data directory ${dataDir} is in use by tuneledger lock test (pid ${holder.child.pid}); stop it first, ` +
        'then run `tuneledger token create` again',
    );
    expect(existsSync(join(dataDir, 'pglite'))).toBe(false);
    expect(lockHolder(dataDir).pid).toBe(holder.child.pid);
    holder.child.stdin!.end();
    await exited(holder.child);
  });
});

/** The identity of a process that has ended (a node that ran nothing), as a lock file would name it. */
async function deadProcessIdentity() {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await exited(child);
  return { ...currentProcessIdentity(), pid: child.pid!, startTime: '1' };
}
