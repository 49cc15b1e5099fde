/**
 * GraphQL input types built from the zod schemas the domain validates with, at schema-build time, so a
 * mutation's input cannot drift from what the platform records: one source of truth, no hand-copied field
 * lists. The mapping:
 *   string → String (an `id` in a field named id or ...Id → ID), int → Int, number → Float, boolean → Boolean;
 *   enum and literal → a GraphQL enum (UPPER_CASE names, the domain's values inside; an enum of enums.ts
 *     with the same values is reused);
 *   object → a named input type; array → a list;
 *   a discriminated union → one input with the discriminator as a required enum and every option's other
 *     fields optional (GraphQL has no input unions); the zod schema still says which fields each kind needs;
 *   record, unknown and other unions → JSON: the user's own free form.
 * Optional, nullable and defaulted fields are nullable. GraphQL only checks the shape: the resolver still
 * parses the argument, through `inputValue` below, with the same zod schema, so bounds and per-kind fields
 * are BAD_USER_INPUT naming the path.
 */
import 'reflect-metadata';
import { Field, Float, ID, InputType, Int } from 'type-graphql';
import type { z } from 'zod';
import { id } from '../../domain/index.js';
import { knownEnumWithValues, graphqlEnumOf } from './enums.js';
import { JSON as JsonScalar } from './scalars.js';

type Def = { readonly type: string } & Record<string, unknown>;
const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** What a generated field's type function returns: a scalar, an enum, an input class, or a list of one. */
type GraphqlTypeRef = object | [GraphqlTypeRef];

export interface ZodInputOptions {
  readonly description?: string;
  /**
   * GraphQL names for sub-schemas shared by several inputs (a model reference, a dataset reference): one
   * input type wherever the same zod schema appears. Unnamed objects are named after their path.
   */
  readonly named?: ReadonlyMap<z.ZodType, string>;
}

/** A zod schema with its wrappers (optional, default, pipe...) taken off, and whether a value may be absent. */
function unwrap(schema: z.ZodType): { inner: z.ZodType; optional: boolean } {
  let inner = schema;
  let optional = false;
  for (;;) {
    const def = defOf(inner);
    if (['optional', 'nullable', 'default', 'prefault'].includes(def.type)) optional = true;
    if (
      ['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch', 'nonoptional'].includes(def.type)
    ) {
      inner = def['innerType'] as z.ZodType;
    } else if (def.type === 'pipe') {
      inner = def['in'] as z.ZodType;
    } else {
      return { inner, optional };
    }
  }
}

const capitalized = (word: string) => word.charAt(0).toUpperCase() + word.slice(1);

interface FieldSpec {
  readonly type: GraphqlTypeRef;
  readonly nullable: boolean;
  readonly description?: string;
}

/** Builds input classes; one builder per call of zodInputType, sharing the named types across calls. */
class InputTypeBuilder {
  private static readonly namedTypes = new Map<z.ZodType, object>();

  private readonly named: ReadonlyMap<z.ZodType, string>;

  constructor(options: ZodInputOptions) {
    this.named = new Map([...(options.named ?? [])].map(([schema, name]) => [unwrap(schema).inner, name]));
  }

  /** The input class for an object or a discriminated union, named `name`. */
  inputClass(name: string, schema: z.ZodType, description?: string): object {
    const named = this.named.get(schema);
    const cached = InputTypeBuilder.namedTypes.get(schema);
    if (named && cached) return cached;
    const typeName = named ?? name;
    const fields = this.fieldsOf(typeName, schema);
    const InputClass = { [typeName]: class {} }[typeName]!;
    for (const [key, spec] of Object.entries(fields)) {
      Field(() => spec.type, {
        nullable: spec.nullable,
        ...(spec.description ? { description: spec.description } : {}),
      })(InputClass.prototype, key);
    }
    InputType(typeName, description ? { description } : {})(InputClass);
    if (named) InputTypeBuilder.namedTypes.set(schema, InputClass);
    return InputClass;
  }

  private fieldsOf(typeName: string, schema: z.ZodType): Record<string, FieldSpec> {
    const def = defOf(schema);
    if (def.type === 'object') {
      const shape = def['shape'] as Record<string, z.ZodType>;
      return Object.fromEntries(
        Object.entries(shape).map(([key, field]) => {
          const { inner, optional } = unwrap(field);
          const description = (field.description ?? inner.description) || undefined;
          return [
            key,
            {
              type: this.typeOf(inner, `${typeName.replace(/Input$/, '')}${capitalized(key)}`, key),
              nullable: optional,
              ...(description ? { description } : {}),
            },
          ];
        }),
      );
    }
    if (def.type === 'union' && typeof def['discriminator'] === 'string') {
      return this.unionFields(typeName, def['discriminator'], def['options'] as z.ZodType[]);
    }
    throw new Error(
      `${typeName}: an input type is built from an object or a discriminated union, not ${def.type}`,
    );
  }

  /** A discriminated union's options as one input: the discriminator required, every other field optional. */
  private unionFields(
    typeName: string,
    discriminator: string,
    options: z.ZodType[],
  ): Record<string, FieldSpec> {
    const kinds: string[] = [];
    const others = new Map<string, { field: z.ZodType; kinds: string[] }>();
    for (const option of options) {
      const shape = defOf(option)['shape'] as Record<string, z.ZodType>;
      const kind = defOf(unwrap(shape[discriminator]!).inner)['values'] as string[];
      kinds.push(...kind);
      for (const [key, field] of Object.entries(shape)) {
        if (key === discriminator) continue;
        const seen = others.get(key);
        if (!seen) {
          others.set(key, { field, kinds: [...kind] });
          continue;
        }
        if (unwrap(seen.field).inner !== unwrap(field).inner && !sameShape(seen.field, field)) {
          throw new Error(
            `${typeName}.${key}: the ${seen.kinds.join(', ')} and ${kind.join(', ')} kinds give it different types; name them apart in the zod schema`,
          );
        }
        seen.kinds.push(...kind);
      }
    }
    const base = typeName.replace(/Input$/, '');
    const fields: Record<string, FieldSpec> = {
      [discriminator]: { type: this.enumOf(kinds, `${base}${capitalized(discriminator)}`), nullable: false },
    };
    for (const [key, { field, kinds: usedBy }] of others) {
      const { inner } = unwrap(field);
      const description = field.description ?? inner.description;
      fields[key] = {
        type: this.typeOf(inner, `${base}${capitalized(key)}`, key),
        nullable: true,
        description: `${description ? `${description} ` : ''}(${discriminator} ${usedBy.join(', ')})`,
      };
    }
    return fields;
  }

  private typeOf(schema: z.ZodType, path: string, key: string): GraphqlTypeRef {
    if (schema === id && /(^id|Id|Ids)$/.test(key)) return ID;
    const def = defOf(schema);
    switch (def.type) {
      case 'string':
        return String;
      case 'boolean':
        return Boolean;
      case 'number':
        return typeof def['format'] === 'string' && /int/.test(def['format']) ? Int : Float;
      case 'enum':
        return this.enumOf(Object.values(def['entries'] as Record<string, string>), path, schema);
      case 'literal':
        return this.enumOf(def['values'] as string[], path);
      case 'array':
        return [this.typeOf(unwrap(def['element'] as z.ZodType).inner, path, key)];
      case 'object':
        return this.inputClass(`${path}Input`, schema);
      case 'union':
        if (typeof def['discriminator'] === 'string') return this.inputClass(`${path}Input`, schema);
        return JsonScalar;
      default:
        // record, unknown, any: the user's own free form.
        return JsonScalar;
    }
  }

  private enumOf(values: readonly string[], path: string, schema?: z.ZodType): object {
    const name = schema && this.named.get(schema);
    if (name)
      return knownEnumWithValues(values) ?? graphqlEnumOf(name, values, `${name} (domain's zod schema).`);
    return (
      knownEnumWithValues(values) ??
      graphqlEnumOf(path, values, `${path} (generated from the domain's zod schema).`)
    );
  }
}

/** Two field schemas that make the same GraphQL type (both the same enum values or the same scalar). */
function sameShape(a: z.ZodType, b: z.ZodType): boolean {
  const [left, right] = [defOf(unwrap(a).inner), defOf(unwrap(b).inner)];
  if (left.type !== right.type) return false;
  if (left.type === 'object' || left.type === 'union' || left.type === 'array') return false;
  const values = (def: Def) => JSON.stringify(def['values'] ?? def['entries'] ?? null);
  return values(left) === values(right);
}

/**
 * A GraphQL input type named `name` with the fields of `schema` (an object or a discriminated union). Its
 * values reach the resolver as GraphQL gives them: pass them through `inputValue` and the same schema.
 */
export function zodInputType(name: string, schema: z.ZodType, options: ZodInputOptions = {}): object {
  return new InputTypeBuilder(options).inputClass(name, schema, options.description);
}

/**
 * A GraphQL argument value as zod reads it: input objects (type-graphql gives instances of their classes) as
 * plain objects, with the fields given as null left out (GraphQL lets a client send null for an optional
 * field; the zod schemas say optional, not nullable). JSON values (plain objects) are the user's, kept whole.
 */
export function inputValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(inputValue);
  if (value === null || typeof value !== 'object' || Object.getPrototypeOf(value) === Object.prototype) {
    return value;
  }
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, field]) => field !== null && field !== undefined)
      .map(([key, field]) => [key, inputValue(field)]),
  );
}
