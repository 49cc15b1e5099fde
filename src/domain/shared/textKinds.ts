import { z } from 'zod';

/**
 * Every string an event can carry is one of two kinds, said in its payload schema:
 *   free:  text a person or a model wrote (names, reasons, prompts, answers, corrections...); the
 *          application services redact PII from it before the event is appended, because an append-only
 *          log cannot be cleaned afterwards;
 *   exact: text that must stay byte for byte (ids, hashes, timestamps, codes, actors, paths the platform
 *          made); redaction would break what refers to it.
 * `z.unknown()` payloads (transform parameters, evidence) are marked too: free redacts every string inside.
 */
export type TextKind = 'free' | 'exact';

export const textKinds = z.registry<{ textKind: TextKind }>();

/** A copy of `schema` marked as free text: redacted before it reaches the log. */
export function freeText<Schema extends z.ZodType>(schema: Schema): Schema {
  const copy = schema.clone() as Schema;
  textKinds.add(copy, { textKind: 'free' });
  return copy;
}

/** A copy of `schema` marked as exact text: kept as given (ids, hashes, codes, platform-made paths). */
export function exactText<Schema extends z.ZodType>(schema: Schema): Schema {
  const copy = schema.clone() as Schema;
  textKinds.add(copy, { textKind: 'exact' });
  return copy;
}

type Def = { readonly type: string } & Record<string, unknown>;
const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** Wrappers whose inner schema says what the value is. */
const wrappers = new Set(['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch', 'nonoptional']);
/** Leaves that hold no text a person chose: numbers, booleans, enums and literals are codes. */
const textless = new Set([
  'number',
  'int',
  'boolean',
  'bigint',
  'enum',
  'literal',
  'null',
  'undefined',
  'date',
]);

/**
 * The paths of `schema` that hold text but are marked neither free nor exact (strings, record keys,
 * unknown payloads). Empty when every string field of the schema says what it is.
 */
export function unmarkedTextPaths(schema: z.ZodType, path = '$'): string[] {
  if (textKinds.has(schema)) return [];
  const def = defOf(schema);
  if (wrappers.has(def.type)) return unmarkedTextPaths(def['innerType'] as z.ZodType, path);
  if (textless.has(def.type)) return [];
  switch (def.type) {
    case 'object':
      return Object.entries(def['shape'] as Record<string, z.ZodType>).flatMap(([key, field]) =>
        unmarkedTextPaths(field, `${path}.${key}`),
      );
    case 'array':
      return unmarkedTextPaths(def['element'] as z.ZodType, `${path}[]`);
    case 'union':
      return (def['options'] as z.ZodType[]).flatMap((option, index) =>
        unmarkedTextPaths(option, `${path}|${index}`),
      );
    case 'record':
      return [
        ...unmarkedTextPaths(def['keyType'] as z.ZodType, `${path}{key}`),
        ...unmarkedTextPaths(def['valueType'] as z.ZodType, `${path}{}`),
      ];
    case 'pipe':
      return unmarkedTextPaths(def['in'] as z.ZodType, path);
    default:
      // Strings (with or without a format), unknown and anything new: the schema must say.
      return [path];
  }
}

/**
 * `value` (already valid against `schema`) with `rewrite` applied to every free-text string, exact text
 * kept as it is. Unmarked text is left alone here; unmarkedTextPaths finds it and a test refuses it.
 */
export function mapFreeText(schema: z.ZodType, value: unknown, rewrite: (text: string) => string): unknown {
  if (value === undefined || value === null) return value;
  const kind = textKinds.get(schema)?.textKind;
  if (kind === 'exact') return value;
  if (kind === 'free') return mapEveryString(value, rewrite);
  const def = defOf(schema);
  if (wrappers.has(def.type)) return mapFreeText(def['innerType'] as z.ZodType, value, rewrite);
  switch (def.type) {
    case 'object': {
      if (typeof value !== 'object') return value;
      const shape = def['shape'] as Record<string, z.ZodType>;
      const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
      for (const [key, field] of Object.entries(shape)) {
        if (key in out) out[key] = mapFreeText(field, out[key], rewrite);
      }
      return out;
    }
    case 'array':
      return Array.isArray(value)
        ? value.map((item) => mapFreeText(def['element'] as z.ZodType, item, rewrite))
        : value;
    case 'union': {
      const option = (def['options'] as z.ZodType[]).find((candidate) => candidate.safeParse(value).success);
      return option ? mapFreeText(option, value, rewrite) : value;
    }
    case 'record': {
      if (typeof value !== 'object') return value;
      const keyType = def['keyType'] as z.ZodType;
      const valueType = def['valueType'] as z.ZodType;
      return Object.fromEntries(
        Object.entries(value as Record<string, unknown>).map(([key, item]) => [
          mapFreeText(keyType, key, rewrite) as string,
          mapFreeText(valueType, item, rewrite),
        ]),
      );
    }
    case 'pipe':
      return mapFreeText(def['in'] as z.ZodType, value, rewrite);
    default:
      return value;
  }
}

/**
 * Whole strings the platform made (sha256 hashes, UUIDs) inside a free payload: kept, since PII
 * recognisers see a phone or card number in about one hash in 250.
 */
const PLATFORM_TOKEN = /^(?:[0-9a-f]{64}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

function mapEveryString(value: unknown, rewrite: (text: string) => string): unknown {
  if (typeof value === 'string') return PLATFORM_TOKEN.test(value) ? value : rewrite(value);
  if (Array.isArray(value)) return value.map((item) => mapEveryString(item, rewrite));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([key, item]) => [
        key,
        mapEveryString(item, rewrite),
      ]),
    );
  }
  return value;
}
