import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { currentProcessIdentity, processState, type ProcessIdentity } from './processIdentity.js';

/** The lock file in a data directory: only its holder opens the embedded database there. */
export const LOCK_FILE = 'tuneledger.lock';

/** What the lock file says about its holder. */
export interface LockHolder extends ProcessIdentity {
  /** Unique to one acquisition: a take-over names the very lock it found stale. */
  readonly nonce: string;
  /** What holds it: `start`, `token create`, ... */
  readonly command: string;
  readonly acquiredAt: string;
  /** The GraphQL endpoint of a server holding the directory, once it listens. */
  readonly apiUrl?: string;
}

export interface DataDirLock {
  readonly dataDir: string;
  readonly path: string;
  holder(): LockHolder;
  /** Writes the server's API address into the lock, where a CLI command run beside it finds it. */
  advertise(apiUrl: string): void;
  /** Removes the lock if it is still this one; idempotent. */
  release(): void;
}

/** The data directory is held by a live process; the message is one line that says what to do. */
export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holder: LockHolder,
    readonly lockPath: string,
    command: string,
  ) {
    super(inUseMessage(dataDir, holder, lockPath, command));
    this.name = 'DataDirInUseError';
  }
}

function inUseMessage(dataDir: string, holder: LockHolder, lockPath: string, command: string): string {
  const who = holder.command === 'start' ? 'the tuneledger server' : `tuneledger ${holder.command}`;
  const again = `then run \`tuneledger ${command}\` again`;
  if (holder.host !== currentProcessIdentity().host) {
    return (
      `the data directory ${dataDir} is in use by ${who} (pid ${holder.pid}) on host ${holder.host}; stop it ` +
      `first (if it is gone, delete ${lockPath}), ${again}`
    );
  }
  const at = holder.apiUrl ? ` at ${holder.apiUrl}` : '';
  return `the data directory ${dataDir} is in use by ${who} (pid ${holder.pid})${at}; stop it first, ${again}`;
}

/** Raised for a lock file that is not ours to judge (unreadable); the message says how to clear it. */
export class DataDirLockError extends Error {
  override name = 'DataDirLockError';
}

const TAKE_OVER_ATTEMPTS = 200;
const TAKE_OVER_PAUSE_MS = 10;

/** Every lock this process holds, released by one exit hook (process.exit after SIGINT/SIGTERM included). */
const held = new Set<DataDirLock>();
let exitHookInstalled = false;

function ensureExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const lock of [...held]) lock.release();
  });
}

function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function isCode(error: unknown, code: string): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === code;
}

/**
 * Creates `path` holding `content`, only if no such file exists. The content is written to a private file first
 * and hard-linked into place: link(2) fails with EEXIST atomically, and no reader ever sees a half-written lock.
 */
function createExclusive(path: string, content: string): boolean {
  const draft = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.draft`;
  writeFileSync(draft, content, { flag: 'wx' });
  try {
    linkSync(draft, path);
    return true;
  } catch (error) {
    if (isCode(error, 'EEXIST')) return false;
    throw error;
  } finally {
    unlinkSync(draft);
  }
}

/** The holder a lock (or take-over) file names; undefined when there is no such file. */
function readHolder(path: string): LockHolder | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (isCode(error, 'ENOENT')) return undefined;
    throw error;
  }
  try {
    const holder = JSON.parse(text) as LockHolder;
    if (typeof holder.pid === 'number' && typeof holder.nonce === 'string' && typeof holder.host === 'string')
      return holder;
  } catch {
    // fall through: not a lock tuneledger wrote
  }
  throw new DataDirLockError(
    `cannot read the lock file ${path}; if no tuneledger process uses this data directory, delete it`,
  );
}

/**
 * Removes `path` if it still names the stale `holder`. Several processes may find the same stale lock at once;
 * only the one that creates `<path>.takeover-<nonce>` (exclusively) may remove it, so a taker never removes a lock
 * another taker has just created. A take-over file left by a taker that died is itself stale, and is taken over
 * the same way. Returns without removing anything when another live taker is at work; the caller tries again.
 */
function removeStale(path: string, holder: LockHolder, me: LockHolder): void {
  const marker = `${path}.takeover-${holder.nonce}`;
  if (!createExclusive(marker, JSON.stringify(me))) {
    const taker = readHolder(marker);
    if (taker && processState(taker) === 'gone') removeStale(marker, taker, me);
    else pause(TAKE_OVER_PAUSE_MS);
    return;
  }
  try {
    // Only a holder of this marker removes this lock, so between reading and unlinking it cannot change.
    if (readHolder(path)?.nonce === holder.nonce) unlinkSync(path);
  } finally {
    unlinkSync(marker);
  }
}

/**
 * Takes the data directory's lock before anything opens the embedded database there, or throws
 * DataDirInUseError naming the live holder. A lock whose holder has ended (its pid gone, or reused by a process
 * with another start time, or from before a reboot) is taken over; of several concurrent takers exactly one wins.
 */
export function acquireDataDirLock(dataDir: string, command: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, LOCK_FILE);
  let current: LockHolder = {
    ...currentProcessIdentity(),
    nonce: randomBytes(12).toString('hex'),
    command,
    acquiredAt: new Date().toISOString(),
  };
  for (let attempt = 0; attempt < TAKE_OVER_ATTEMPTS; attempt++) {
    if (createExclusive(path, JSON.stringify(current))) {
      let released = false;
      const lock: DataDirLock = {
        dataDir,
        path,
        holder: () => current,
        advertise(apiUrl) {
          if (released) throw new DataDirLockError(`the lock on ${dataDir} was already released`);
          current = { ...current, apiUrl };
          const draft = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.draft`;
          writeFileSync(draft, JSON.stringify(current), { flag: 'wx' });
          // rename(2) replaces the file whole: a reader sees the old holder or the new, never half of one.
          renameSync(draft, path);
        },
        release() {
          if (released) return;
          released = true;
          held.delete(lock);
          try {
            if (readHolder(path)?.nonce === current.nonce) unlinkSync(path);
          } catch {
            // Already gone or unreadable: not ours to remove.
          }
        },
      };
      held.add(lock);
      ensureExitHook();
      return lock;
    }
    const holder = readHolder(path);
    if (holder === undefined) continue; // released in between: try again
    if (processState(holder) !== 'gone') throw new DataDirInUseError(dataDir, holder, path, command);
    removeStale(path, holder, current);
  }
  throw new DataDirLockError(
    `could not take the lock ${path}: other processes kept taking it over; try again`,
  );
}

/** Who holds a data directory's lock right now, if a live process does. */
export function dataDirHolder(dataDir: string): LockHolder | undefined {
  const path = join(dataDir, LOCK_FILE);
  const holder = readHolder(path);
  return holder && processState(holder) !== 'gone' ? holder : undefined;
}
