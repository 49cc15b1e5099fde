import { sign, verify } from 'node:crypto';
import type { LedgerPublicKey, LedgerSigningKey } from './ledgerKey.js';
import { LedgerError } from './ledgerError.js';

/** A signed tree head: the ledger's Merkle root over its first `treeSize` events, signed with Ed25519. */
export interface SignedCheckpoint {
  readonly treeSize: number;
  /** MTH of the first treeSize events' leaves, hex. */
  readonly rootHash: string;
  /** When it was signed (ISO). */
  readonly timestamp: string;
  readonly keyId: string;
  /** Ed25519 over `checkpointText`, base64. */
  readonly signature: string;
}

/** The exact bytes a checkpoint's signature covers. */
export function checkpointText(checkpoint: Omit<SignedCheckpoint, 'signature'>): string {
  return (
    'tuneledger ledger checkpoint v1\n' +
    `tree size ${checkpoint.treeSize}\n` +
    `root ${checkpoint.rootHash}\n` +
    `timestamp ${checkpoint.timestamp}\n` +
    `key ${checkpoint.keyId}\n`
  );
}

export function signCheckpoint(
  key: LedgerSigningKey,
  head: { treeSize: number; rootHash: string; timestamp: string },
): SignedCheckpoint {
  const unsigned = { ...head, keyId: key.publicKey.keyId };
  const signature = sign(null, Buffer.from(checkpointText(unsigned)), key.privateKey).toString('base64');
  return { ...unsigned, signature };
}

/** Why the checkpoint's signature does not hold for this public key, or undefined when it does. */
export function checkpointSignatureProblem(
  checkpoint: SignedCheckpoint,
  publicKey: LedgerPublicKey,
): string | undefined {
  if (checkpoint.keyId !== publicKey.keyId) {
    return `signed by key ${checkpoint.keyId}, not by the ledger key ${publicKey.keyId}`;
  }
  const valid = verify(
    null,
    Buffer.from(checkpointText(checkpoint)),
    publicKey.key,
    Buffer.from(checkpoint.signature, 'base64'),
  );
  return valid ? undefined : `its signature does not verify with the ledger key ${publicKey.keyId}`;
}

/**
 * A checkpoint as kept by a user: one checkpoint object (with an optional `publicKey` PEM), or the whole
 * answer of GET /ledger/checkpoints (its newest checkpoint and its public key).
 */
export function parseKeptCheckpoint(
  text: string,
  where: string,
): { checkpoint: SignedCheckpoint; publicKeyPem?: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new LedgerError('LEDGER_CHECKPOINT_INVALID', `${where} is not JSON: ${(error as Error).message}`);
  }
  const record = (value ?? {}) as Record<string, unknown>;
  const list = record.checkpoints;
  const candidate = Array.isArray(list) ? (list[0] as unknown) : value;
  const publicKeyPem = typeof record.publicKey === 'string' ? record.publicKey : undefined;
  const checkpoint = asSignedCheckpoint(candidate);
  if (!checkpoint) {
    throw new LedgerError(
      'LEDGER_CHECKPOINT_INVALID',
      `${where} holds no checkpoint: expected {treeSize, rootHash, timestamp, keyId, signature} ` +
        '(as written by `tuneledger ledger checkpoint --out` or served at /ledger/checkpoints)',
    );
  }
  return { checkpoint, publicKeyPem };
}

/** The checkpoint fields of a value (an event's data, a kept file), or undefined when they are not all there. */
export function asSignedCheckpoint(value: unknown): SignedCheckpoint | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { treeSize, rootHash, timestamp, keyId, signature } = value as Record<string, unknown>;
  if (
    !Number.isSafeInteger(treeSize) ||
    (treeSize as number) < 0 ||
    typeof rootHash !== 'string' ||
    !/^[0-9a-f]{64}$/.test(rootHash) ||
    typeof timestamp !== 'string' ||
    typeof keyId !== 'string' ||
    typeof signature !== 'string'
  ) {
    return undefined;
  }
  return { treeSize: treeSize as number, rootHash, timestamp, keyId, signature };
}
