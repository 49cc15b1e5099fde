import { registerEvalCommand } from './eval.command.js';
import { registerMigrateCommand } from './migrate.command.js';
import { registerTokenCommand } from './token.command.js';
import { registerDatasetCommand } from './dataset.command.js';
import { registerRedactCommand } from './redact.command.js';
import { registerModelCommand } from './model.command.js';
import { registerWorkerCommand } from './worker.command.js';
import { registerStartCommand } from './start.command.js';
import { registerDemoCommand } from './demo.command.js';
import { registerLedgerCommand } from './ledger.command.js';
import { registerForgetCommand } from './forget.command.js';

import type { RegisterCommand } from './registerCommand.js';

export type { RegisterCommand } from './registerCommand.js';

export const commands: RegisterCommand[] = [
  registerStartCommand,
  registerMigrateCommand,
  registerEvalCommand,
  registerTokenCommand,
  registerDatasetCommand,
  registerRedactCommand,
  registerModelCommand,
  registerWorkerCommand,
  registerDemoCommand,
  registerLedgerCommand,
  registerForgetCommand,
];
