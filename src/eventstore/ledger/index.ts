/** The ledger: a Merkle tree over the global log, signed checkpoints recorded as events, and the whole-log check. */
export { LedgerError } from './ledgerError.js';
export {
  generateLedgerKeyPair,
  ledgerSigningKeyFrom,
  parseLedgerPublicKey,
  parseLedgerSigningKey,
  type LedgerPublicKey,
  type LedgerSigningKey,
} from './ledgerKey.js';
export {
  checkpointSignatureProblem,
  checkpointText,
  parseKeptCheckpoint,
  signCheckpoint,
  type SignedCheckpoint,
} from './signedCheckpoint.js';
export {
  CHECKPOINT_EVENT_TYPE,
  LEDGER_STREAM,
  checkpointEventData,
  type CheckpointEventData,
} from './ledgerStream.js';
export { readCheckpointEvents } from './ledgerLog.js';
export {
  recordLedgerCheckpoint,
  type RecordCheckpointOptions,
  type RecordedCheckpoint,
} from './recordCheckpoint.js';
export {
  verifyLedger,
  type LedgerProblem,
  type LedgerProblemKind,
  type LedgerVerdict,
  type VerifyLedgerOptions,
} from './verifyLedger.js';
export { ledgerInclusion, type InclusionProof, type LedgerInclusion } from './inclusionProofs.js';
