import { Writable } from 'node:stream';
import { pino, type DestinationStream, type Logger } from 'pino';

const levelNames: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
const levelColours: Record<number, string> = { 40: '\u001b[33m', 50: '\u001b[31m', 60: '\u001b[31m' };
const reset = '\u001b[0m';
/** Fields every line carries that the readable form leaves out or shows elsewhere. */
const hidden = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'component', 'name', 'err']);

function shown(value: unknown): string {
  return typeof value === 'string' && !/\s/.test(value) ? value : JSON.stringify(value);
}

/**
 * One pino JSON line as a person reads it in a terminal:
 * `14:02:11 WARN  graphql: message key=value ...`, an error's stack on the lines below.
 * A line that is not pino JSON is passed through unchanged.
 */
export function formatLogLine(line: string, colour = false): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  if (typeof entry !== 'object' || entry === null || typeof entry.level !== 'number') return line;
  const time = typeof entry.time === 'number' ? new Date(entry.time).toISOString().slice(11, 19) : '';
  const level = (levelNames[entry.level] ?? String(entry.level)).padEnd(5);
  const painted =
    colour && levelColours[entry.level] ? `${levelColours[entry.level]}${level}${reset}` : level;
  const component = entry.component ?? entry.name;
  const fields = Object.entries(entry)
    .filter(([key]) => !hidden.has(key))
    .map(([key, value]) => `${key}=${shown(value)}`);
  const error = entry.err as { message?: string; stack?: string } | undefined;
  return [
    [time, painted, component ? `${String(component)}:` : '', String(entry.msg ?? ''), ...fields]
      .filter((part) => part !== '')
      .join(' '),
    ...(error ? [`  ${error.stack ?? error.message ?? JSON.stringify(error)}`] : []),
  ].join('\n');
}

/** A destination that writes pino's JSON lines readably to `out`. */
export function prettyDestination(out: NodeJS.WritableStream & { isTTY?: boolean }): DestinationStream {
  let pending = '';
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) if (line) out.write(`${formatLogLine(line, out.isTTY === true)}\n`);
      done();
    },
  });
}

/** The process log: readable lines when stdout is a terminal, JSON lines (for collectors) otherwise. */
export function processLogger(level: string, name?: string): Logger {
  const options = { level, ...(name ? { name } : {}) };
  return process.stdout.isTTY ? pino(options, prettyDestination(process.stdout)) : pino(options);
}
