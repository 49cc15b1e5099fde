import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { readFileSync } from 'node:fs';
import { LedgerError } from './ledgerError.js';

/** The Ed25519 key that signs ledger checkpoints. It lives in a file or an environment variable, never in the database. */
export interface LedgerSigningKey {
  readonly privateKey: KeyObject;
  readonly publicKey: LedgerPublicKey;
}

export interface LedgerPublicKey {
  readonly key: KeyObject;
  /** SPKI PEM, as served at /ledger/checkpoints and written by `ledger keygen`. */
  readonly pem: string;
  /** The first 16 hex digits of SHA-256 over the SPKI DER: names the key in every checkpoint. */
  readonly keyId: string;
}

/** A new key pair as PEM text (PKCS#8 private key, SPKI public key). */
export function generateLedgerKeyPair(): { privateKeyPem: string; publicKeyPem: string; keyId: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const pub = describePublicKey(publicKey);
  return { privateKeyPem, publicKeyPem: pub.pem, keyId: pub.keyId };
}

/**
 * A private key given as PEM text or as the base64 of its PKCS#8 DER (handy in one environment variable).
 * `where` names its source in the error.
 */
export function parseLedgerSigningKey(text: string, where: string): LedgerSigningKey {
  let privateKey: KeyObject;
  try {
    const trimmed = text.trim();
    privateKey = trimmed.startsWith('-----BEGIN')
      ? createPrivateKey(trimmed)
      : createPrivateKey({ key: Buffer.from(trimmed, 'base64'), format: 'der', type: 'pkcs8' });
  } catch (error) {
    throw new LedgerError('LEDGER_KEY_INVALID', `${where} is not a private key: ${(error as Error).message}`);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new LedgerError(
      'LEDGER_KEY_INVALID',
      `${where} is a ${privateKey.asymmetricKeyType ?? 'unknown'} key; ledger checkpoints are signed with Ed25519 ` +
        '(make one with `tuneledger ledger keygen`)',
    );
  }
  return { privateKey, publicKey: describePublicKey(createPublicKey(privateKey)) };
}

/** A public key as SPKI PEM, or a private key's PEM (its public half is taken). */
export function parseLedgerPublicKey(text: string, where: string): LedgerPublicKey {
  let key: KeyObject;
  try {
    key = createPublicKey(text.trim());
  } catch (error) {
    throw new LedgerError('LEDGER_KEY_INVALID', `${where} is not a public key: ${(error as Error).message}`);
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new LedgerError(
      'LEDGER_KEY_INVALID',
      `${where} is a ${key.asymmetricKeyType ?? 'unknown'} key, not Ed25519`,
    );
  }
  return describePublicKey(key);
}

/** The signing key from TUNELEDGER_LEDGER_KEY_FILE or TUNELEDGER_LEDGER_KEY, or undefined when neither is set. */
export function ledgerSigningKeyFrom(source: {
  keyFile?: string;
  key?: string;
}): LedgerSigningKey | undefined {
  if (source.keyFile && source.key) {
    throw new LedgerError(
      'LEDGER_KEY_INVALID',
      'both TUNELEDGER_LEDGER_KEY_FILE and TUNELEDGER_LEDGER_KEY are set; set one',
    );
  }
  if (source.keyFile) {
    let text: string;
    try {
      text = readFileSync(source.keyFile, 'utf8');
    } catch (error) {
      throw new LedgerError(
        'LEDGER_KEY_INVALID',
        `TUNELEDGER_LEDGER_KEY_FILE ${source.keyFile} cannot be read: ${(error as Error).message}`,
      );
    }
    return parseLedgerSigningKey(text, `TUNELEDGER_LEDGER_KEY_FILE (${source.keyFile})`);
  }
  if (source.key) return parseLedgerSigningKey(source.key, 'TUNELEDGER_LEDGER_KEY');
  return undefined;
}

function describePublicKey(key: KeyObject): LedgerPublicKey {
  const der = key.export({ type: 'spki', format: 'der' });
  return {
    key,
    pem: key.export({ type: 'spki', format: 'pem' }).toString(),
    keyId: createHash('sha256').update(der).digest('hex').slice(0, 16),
  };
}
