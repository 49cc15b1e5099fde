import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The file the embedded default keeps its generated master key in, inside the data directory. */
export const MASTER_KEY_FILE = 'master.key';

/** A master key from its configured text: 32 bytes as base64 or as 64 hex digits. */
export function parseMasterKey(text: string): Buffer {
  const trimmed = text.trim();
  const key = /^[0-9a-f]{64}$/i.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
  if (key.length !== 32) {
    throw new Error('TUNELEDGER_MASTER_KEY must be 32 bytes, as base64 (44 characters) or 64 hex digits');
  }
  return key;
}

/**
 * The key that wraps every subject's data key: TUNELEDGER_MASTER_KEY when set, else the one generated into
 * `<data dir>/master.key` (created, readable by its owner only, on first use). Never stored in the database,
 * so a copy of the database alone cannot decrypt anything.
 */
export function loadMasterKey(configured: string | undefined, dataDir: string): Buffer {
  if (configured !== undefined) return parseMasterKey(configured);
  const file = join(dataDir, MASTER_KEY_FILE);
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    try {
      writeFileSync(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    } catch (error) {
      // Another process generated it first: use theirs.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  return parseMasterKey(readFileSync(file, 'utf8'));
}
