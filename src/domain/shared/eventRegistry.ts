import type { z } from 'zod';
import { DomainError } from './domainError.js';
import type { DomainEvent } from './decider.js';

/** Turns the data of schema version n into the data of version n + 1. Pure. */
export type Upcaster = (data: Readonly<Record<string, unknown>>) => Record<string, unknown>;

/**
 * One event type's contract: its current payload schema and version, and the upcasters that lift
 * every older stored shape to the current one. Stored events are never rewritten; they are upcast
 * on read.
 */
export interface EventDefinition<Type extends string = string, Schema extends z.ZodType = z.ZodType> {
  readonly type: Type;
  readonly schemaVersion: number;
  readonly schema: Schema;
  /** `upcasters[n]` lifts version n to n + 1, for every n from 1 to schemaVersion - 1. */
  readonly upcasters: Readonly<Record<number, Upcaster>>;
}

export function defineEvent<Type extends string, Schema extends z.ZodType>(
  type: Type,
  schema: Schema,
  versioning: { schemaVersion: number; upcasters: Readonly<Record<number, Upcaster>> } = {
    schemaVersion: 1,
    upcasters: {},
  },
): EventDefinition<Type, Schema> {
  for (let version = 1; version < versioning.schemaVersion; version++) {
    if (!versioning.upcasters[version]) {
      throw new Error(
        `${type} v${versioning.schemaVersion} lacks the upcaster from v${version} to v${version + 1}`,
      );
    }
  }
  return { type, schema, ...versioning };
}

/** The data type of an event definition. */
export type EventData<Definition> =
  Definition extends EventDefinition<string, infer Schema> ? z.infer<Schema> : never;

/** The domain event of an event definition: `{ type, data }`. */
export type EventOf<Definition> =
  Definition extends EventDefinition<infer Type, infer Schema> ? DomainEvent<Type, z.infer<Schema>> : never;

/**
 * The union of the domain events a list of definitions defines. Each aggregate's event union is
 * derived from its definitions list with this, so an event is declared once (its schema) and the
 * union, the registry and every `switch (event.type)` over the union follow from it.
 */
export type EventUnionOf<Definitions extends readonly EventDefinition[]> = EventOf<Definitions[number]>;

/** One member of an event union, by type: `EventOfType<LifecycleEvent, 'DatasetArchived'>`. */
export type EventOfType<Event extends DomainEvent, Type extends Event['type']> = Extract<
  Event,
  { type: Type }
>;

export interface EventRegistry {
  readonly types: readonly string[];
  has(type: string): boolean;
  definition(type: string): EventDefinition;
  currentVersion(type: string): number;
  /**
   * Lifts stored data of `schemaVersion` to the current version. Unknown types pass through
   * unchanged (foreign events in the log are not ours to judge).
   */
  upcast(type: string, schemaVersion: number, data: unknown): { schemaVersion: number; data: unknown };
  /** Parses data against the current schema; throws DomainError EVENT_SCHEMA_INVALID. */
  validate(type: string, data: unknown): unknown;
}

export function createEventRegistry(definitions: readonly EventDefinition[]): EventRegistry {
  const byType = new Map<string, EventDefinition>();
  for (const definition of definitions) {
    if (byType.has(definition.type)) throw new Error(`Event type ${definition.type} is defined twice`);
    byType.set(definition.type, definition);
  }

  const definition = (type: string): EventDefinition => {
    const found = byType.get(type);
    if (!found) {
      throw new DomainError('EVENT_TYPE_UNKNOWN', `Event type "${type}" is not in the event registry.`, {
        type,
      });
    }
    return found;
  };

  return {
    types: [...byType.keys()],
    has: (type) => byType.has(type),
    definition,
    currentVersion: (type) => definition(type).schemaVersion,
    upcast(type, schemaVersion, data) {
      const found = byType.get(type);
      if (!found || schemaVersion === found.schemaVersion) return { schemaVersion, data };
      if (schemaVersion > found.schemaVersion) {
        throw new DomainError(
          'EVENT_VERSION_TOO_NEW',
          `${type} v${schemaVersion} was written by a newer tuneledger (this one knows up to v${found.schemaVersion}); upgrade before reading this stream.`,
          { type, schemaVersion },
        );
      }
      let current = data as Record<string, unknown>;
      for (let version = Math.max(1, schemaVersion); version < found.schemaVersion; version++) {
        current = found.upcasters[version]!(current);
      }
      return { schemaVersion: found.schemaVersion, data: current };
    },
    validate(type, data) {
      const result = definition(type).schema.safeParse(data);
      if (!result.success) {
        const issues = result.error.issues
          .slice(0, 5)
          .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
          .join('; ');
        throw new DomainError('EVENT_SCHEMA_INVALID', `${type} payload is invalid: ${issues}.`, {
          type,
          issues: result.error.issues,
        });
      }
      return result.data;
    },
  };
}
