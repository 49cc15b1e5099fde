/**
 * A process that tries to take a data directory's lock, for the lock tests: bundled and started with plain node.
 * argv: dataDir, and the moment (ms since the epoch) to try at, so that several children try at once. Prints `won`
 * or `refused <message>`, then holds on until its stdin closes, and exits (the exit hook releases a won lock).
 */
import { acquireDataDirLock } from '../../src/app/dataDirLock.js';

const [dataDir, tryAt] = process.argv.slice(2);
// Spin rather than sleep: a timer would add its own jitter to when the children try.
while (Date.now() < Number(tryAt)) {
  // wait
}
try {
  acquireDataDirLock(dataDir!, 'lock test');
  process.stdout.write('won\n');
} catch (error) {
  process.stdout.write(`refused ${(error as Error).message}\n`);
}
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
