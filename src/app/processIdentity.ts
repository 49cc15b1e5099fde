import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

/**
 * Who a process is, beyond its pid: pids are recycled, so a lock names its owner by pid and start time, and by the
 * boot and the host it ran on. Start time and boot id come from /proc (Linux); elsewhere only the pid is checked.
 */
export interface ProcessIdentity {
  readonly pid: number;
  /** Clock ticks after boot when the process started (/proc/<pid>/stat field 22). */
  readonly startTime?: string;
  /** /proc/sys/kernel/random/boot_id: a lock from before a reboot is stale whatever its pid. */
  readonly bootId?: string;
  readonly host: string;
}

/** Whether the process an identity names still runs: `elsewhere` when it ran on another host (not checkable). */
export type ProcessState = 'running' | 'gone' | 'elsewhere';

/** Fields 3 (state) and 22 (start time) of /proc/<pid>/stat; undefined without /proc or without the process. */
function procStat(pid: number): { readonly state: string; readonly startTime: string } | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Field 2, the command name in parentheses, may itself hold spaces and ')': count from the last ')'.
  // What follows starts at field 3, so field 22 is the 20th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const [state, startTime] = [fields[0], fields[19]];
  return state !== undefined && startTime !== undefined ? { state, startTime } : undefined;
}

export function processStartTime(pid: number): string | undefined {
  return procStat(pid)?.startTime;
}

function bootId(): string | undefined {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return undefined;
  }
}

export function currentProcessIdentity(): ProcessIdentity {
  const startTime = processStartTime(process.pid);
  const boot = bootId();
  return {
    pid: process.pid,
    ...(startTime !== undefined ? { startTime } : {}),
    ...(boot !== undefined ? { bootId: boot } : {}),
    host: hostname(),
  };
}

export function processState(identity: ProcessIdentity): ProcessState {
  if (identity.host !== hostname()) return 'elsewhere';
  const boot = bootId();
  if (identity.bootId !== undefined && boot !== undefined && identity.bootId !== boot) return 'gone';
  try {
    process.kill(identity.pid, 0);
  } catch (error) {
    // EPERM: the pid runs under another user, so it is alive.
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return 'gone';
  }
  const stat = procStat(identity.pid);
  // A zombie has ended; only its parent has not collected its exit status yet.
  if (stat?.state === 'Z') return 'gone';
  // Another start time under the same pid: the owner died and the pid went to a new process.
  if (identity.startTime !== undefined && stat !== undefined && stat.startTime !== identity.startTime)
    return 'gone';
  return 'running';
}
