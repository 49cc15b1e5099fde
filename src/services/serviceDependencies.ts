import type { EventStore } from '../eventstore/index.js';
import type { Clock, IdGenerator } from './clock.js';
import type { CommandContext } from './commandContext.js';
import { CommandHandler } from './commandHandler.js';
import { deterministicId } from './idempotency.js';
import { StreamFacts } from './streamFacts.js';

/** What every application service is built from; clock and ids are injected for deterministic tests. */
export interface ServiceDependencies {
  readonly store: EventStore;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  /** Version-conflict retries per command (CommandHandlerOptions.maxRetries). Default 25. */
  readonly maxRetries?: number;
  /**
   * How the redaction gate treats free text (CommandHandlerOptions.redact): the platform passes its PII
   * policy, so a kind the policy keeps or pseudonymises is not redacted again on the way to the log.
   */
  readonly redact?: (text: string) => string;
}

/** The parts services share, built once. */
export interface ServiceKit {
  readonly handler: CommandHandler;
  readonly facts: StreamFacts;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly now: () => string;
  /** A new id for `purpose`; deterministic under an idempotency key so retries find their stream. */
  readonly newId: (context: CommandContext, purpose: string) => string;
}

export function serviceKit(dependencies: ServiceDependencies): ServiceKit {
  const handler = new CommandHandler(dependencies.store, {
    ...(dependencies.maxRetries !== undefined ? { maxRetries: dependencies.maxRetries } : {}),
    ...(dependencies.redact ? { redact: dependencies.redact } : {}),
  });
  return {
    handler,
    facts: new StreamFacts(handler),
    clock: dependencies.clock,
    ids: dependencies.ids,
    now: () => dependencies.clock.now().toISOString(),
    newId: (context, purpose) =>
      context.idempotencyKey ? deterministicId(context.idempotencyKey, purpose) : dependencies.ids.newId(),
  };
}

/** A command's fields as a service method takes them: no type tag, no timestamp. */
export type Input<Command> = Omit<Command, 'type' | 'at'>;
