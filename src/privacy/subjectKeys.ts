import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { ColumnType, Kysely } from 'kysely';

interface SubjectKeysTable {
  subject_id: string;
  /** The data key wrapped with the master key: base64 of iv (12) | tag (16) | ciphertext (32). */
  key: string;
  created_at: ColumnType<Date, never, never>;
}

interface SubjectKeyTables {
  subject_keys: SubjectKeysTable;
}

/**
 * Per-subject data keys (AES-256), in the subject_keys table beside the log and never in it. Destroying a
 * subject's key row is what erases the subject: the log keeps only ciphertext. Keys are looked up on every
 * read, not cached, so an erasure is visible at once to every process sharing the database.
 */
export class SubjectKeys {
  private readonly db: Kysely<SubjectKeyTables>;

  constructor(
    db: Kysely<unknown>,
    private readonly masterKey: Buffer,
  ) {
    if (masterKey.length !== 32) throw new Error('the master key must be 32 bytes');
    this.db = db as unknown as Kysely<SubjectKeyTables>;
  }

  /** The subjects' keys, creating those that do not exist yet (a write). */
  async keysForWriting(subjects: Iterable<string>): Promise<Map<string, Buffer>> {
    const wanted = [...new Set(subjects)];
    const found = await this.existingKeys(wanted);
    const missing = wanted.filter((subject) => !found.has(subject));
    if (missing.length > 0) {
      await this.db
        .insertInto('subject_keys')
        .values(missing.map((subject) => ({ subject_id: subject, key: this.wrap(subject, randomBytes(32)) })))
        .onConflict((conflict) => conflict.column('subject_id').doNothing())
        .execute();
      // Read back: a concurrent writer may have created the key first, and its key is the one that counts.
      for (const [subject, key] of await this.existingKeys(missing)) found.set(subject, key);
    }
    return found;
  }

  /** The keys of the subjects that still have one; a forgotten subject is simply absent. */
  async existingKeys(subjects: Iterable<string>): Promise<Map<string, Buffer>> {
    const wanted = [...new Set(subjects)];
    const keys = new Map<string, Buffer>();
    if (wanted.length === 0) return keys;
    const rows = await this.db
      .selectFrom('subject_keys')
      .select(['subject_id', 'key'])
      .where('subject_id', 'in', wanted)
      .execute();
    for (const row of rows) keys.set(row.subject_id, this.unwrap(row.subject_id, row.key));
    return keys;
  }

  /** Deletes the subject's key; true when there was one. */
  async destroy(subject: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('subject_keys')
      .where('subject_id', '=', subject)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  private wrap(subject: string, key: Buffer): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.masterKey, iv);
    cipher.setAAD(Buffer.from(subject, 'utf8'));
    const ct = Buffer.concat([cipher.update(key), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64');
  }

  private unwrap(subject: string, wrapped: string): Buffer {
    const bytes = Buffer.from(wrapped, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.masterKey, bytes.subarray(0, 12));
    decipher.setAAD(Buffer.from(subject, 'utf8'));
    decipher.setAuthTag(bytes.subarray(12, 28));
    try {
      return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]);
    } catch {
      throw new Error(
        `the data key of subject "${subject}" does not open with this master key: TUNELEDGER_MASTER_KEY (or <data dir>/master.key) is not the one the keys were written with`,
      );
    }
  }
}
