import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** What a field reads as once its subject's key is destroyed. */
export const ERASED = '[erased]';

/** A personal field as stored in the log: AES-256-GCM ciphertext under its subject's data key, base64. */
export interface EncryptedField {
  readonly $enc: 'v1';
  readonly subject: string;
  readonly iv: string;
  readonly ct: string;
  readonly tag: string;
}

export function isEncryptedField(value: unknown): value is EncryptedField {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { $enc?: unknown }).$enc === 'v1' &&
    typeof (value as { subject?: unknown }).subject === 'string'
  );
}

/**
 * The additional authenticated data: a ciphertext only decrypts in the place it was written for, so a
 * prompt cannot be passed off as another event's response.
 */
const aad = (eventType: string, fieldPath: string) => Buffer.from(`${eventType}:${fieldPath}`, 'utf8');

export function encryptField(
  key: Buffer,
  subject: string,
  eventType: string,
  fieldPath: string,
  plaintext: string,
): EncryptedField {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad(eventType, fieldPath));
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return {
    $enc: 'v1',
    subject,
    iv: iv.toString('base64'),
    ct: ct.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
  };
}

/** The plaintext, or ERASED when the key is gone or is not the one the field was written with. */
export function decryptField(
  key: Buffer | undefined,
  eventType: string,
  fieldPath: string,
  field: EncryptedField,
): string {
  if (!key) return ERASED;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(field.iv, 'base64'));
    decipher.setAAD(aad(eventType, fieldPath));
    decipher.setAuthTag(Buffer.from(field.tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(field.ct, 'base64')), decipher.final()]).toString(
      'utf8',
    );
  } catch {
    // A key made for the subject after an erasure cannot open what was written before it.
    return ERASED;
  }
}
