/** Bad ledger input (a key, a kept checkpoint file): a stable code and a message that says what to fix. */
export class LedgerError extends Error {
  constructor(
    readonly code: 'LEDGER_KEY_INVALID' | 'LEDGER_CHECKPOINT_INVALID' | 'LEDGER_UNSUPPORTED',
    message: string,
  ) {
    super(message);
    this.name = 'LedgerError';
  }
}
