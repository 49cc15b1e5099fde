import { redactText } from '../data/index.js';
import { mapFreeText, textKinds, type EventRegistry, type TextKind } from '../domain/index.js';
import type { z } from 'zod';

type Def = { readonly type: string } & Record<string, unknown>;
const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;
const wrappers = new Set(['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch', 'nonoptional']);

/**
 * Free text the platform keeps outside the log (a job's last error in the jobs table, which a
 * worker reports with releaseJob or finishJob): redacted as the gate redacts event fields.
 */
export function redactKeptText(text: string): string;
export function redactKeptText(text: string | undefined): string | undefined;
export function redactKeptText(text: string | undefined): string | undefined {
  return text === undefined ? undefined : redactText(text);
}

/**
 * The one place PII is taken out of what the platform records. Every command the CommandHandler runs
 * passes it twice: before decide, so the decider (and any refusal it words) sees redacted text; and
 * every decided event before append, field by field as its schema marks it (freeText / exactText in
 * src/domain), which is the guarantee: whatever path a command came by (GraphQL, REST, a worker, the
 * serving capture), no free-text field reaches the log unredacted.
 */
export class RedactionGate {
  /** Command fields redacted before decide: names that are free text in every event schema that has them. */
  private readonly freeKeys: ReadonlySet<string>;

  constructor(
    private readonly registry: EventRegistry,
    private readonly redact: (text: string) => string = (text) => redactText(text),
  ) {
    this.freeKeys = freeOnlyKeys(registry);
  }

  /** The command with the free text of its fields redacted (fields named as in the events it leads to). */
  command<Command>(command: Command): Command {
    return this.redactKeys(command) as Command;
  }

  /** An event's data (valid against its schema) with every free-text field redacted. */
  eventData(type: string, data: unknown): unknown {
    return mapFreeText(this.registry.definition(type).schema, data, this.redact);
  }

  private redactKeys(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((item) => this.redactKeys(item));
    // Facts a service looked up for the decider (states with Maps, ...) are not text a caller sent.
    if (!isPlainObject(value)) return value;
    const out: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(value as Record<string, unknown>)) {
      out[key] = this.freeKeys.has(key) ? this.redactLeaf(field) : this.redactKeys(field);
    }
    return out;
  }

  /** A string or a list of strings at a free key is redacted; anything structured is walked. */
  private redactLeaf(value: unknown): unknown {
    if (typeof value === 'string') return this.redact(value);
    if (Array.isArray(value) && value.every((item) => typeof item === 'string')) {
      return value.map((item) => this.redact(item));
    }
    return this.redactKeys(value);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

/** Field names marked free text somewhere in the registry's schemas and exact nowhere. */
function freeOnlyKeys(registry: EventRegistry): Set<string> {
  const kinds = new Map<string, Set<TextKind>>();
  const note = (key: string, kind: TextKind) => kinds.set(key, (kinds.get(key) ?? new Set()).add(kind));
  const leafKind = (schema: z.ZodType): TextKind | undefined => {
    const marked = textKinds.get(schema)?.textKind;
    if (marked) return marked;
    const def = defOf(schema);
    if (wrappers.has(def.type)) return leafKind(def['innerType'] as z.ZodType);
    if (def.type === 'array') return leafKind(def['element'] as z.ZodType);
    return undefined;
  };
  const visit = (schema: z.ZodType): void => {
    const def = defOf(schema);
    if (wrappers.has(def.type)) return visit(def['innerType'] as z.ZodType);
    if (def.type === 'array') return visit(def['element'] as z.ZodType);
    if (def.type === 'union') return (def['options'] as z.ZodType[]).forEach(visit);
    if (def.type === 'record') return visit(def['valueType'] as z.ZodType);
    if (def.type !== 'object') return;
    for (const [key, field] of Object.entries(def['shape'] as Record<string, z.ZodType>)) {
      const kind = leafKind(field);
      if (kind) note(key, kind);
      visit(field);
    }
  };
  for (const type of registry.types) visit(registry.definition(type).schema);
  return new Set([...kinds].filter(([, found]) => !found.has('exact')).map(([key]) => key));
}
