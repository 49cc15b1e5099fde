import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { canonicalJson } from '../../src/eventstore/index.js';
import { canonicalJsonOfParsed } from '../../src/eventstore/canonicalJson.js';

describe('canonicalJson', () => {
  it('sorts keys at every level and drops whitespace', () => {
    expect(canonicalJson({ b: [{ z: 1, a: 2 }], a: { y: null, x: 'é' }, c: undefined })).toBe(
      '{"a":{"x":"é","y":null},"b":[{"a":2,"z":1}]}',
    );
    expect(canonicalJson({ b: 1, a: 2 })).toBe(canonicalJson({ a: 2, b: 1 }));
  });

  it('refuses what JSON cannot carry, saying where', () => {
    expect(() => canonicalJson({ run: { loss: Number.NaN } })).toThrow(/data\.run\.loss is NaN/);
    expect(() => canonicalJson({ at: new Date(0) })).toThrow(/data\.at is a Date/);
    expect(() => canonicalJson([1, 2n])).toThrow(/data\[1\] is a bigint/);
    expect(() => canonicalJson({ s: 'a\u0000b' })).toThrow(/NUL/);
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(() => canonicalJson(cycle)).toThrow(/circular/);
  });

  it('gives the same text for any parsed JSON through the unchecked path the whole-log check uses', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const parsed = JSON.parse(JSON.stringify(value)) as unknown;
        // PostgreSQL's jsonb holds no NUL character, so the log never carries one.
        if (JSON.stringify(parsed).includes('\\u0000')) return;
        expect(canonicalJsonOfParsed(parsed)).toBe(canonicalJson(parsed));
      }),
      { numRuns: 500 },
    );
    expect(canonicalJsonOfParsed({ b: [{ z: 1, a: 2 }], a: { y: null, x: 'é' }, '': -0 })).toBe(
      '{"":0,"a":{"x":"é","y":null},"b":[{"a":2,"z":1}]}',
    );
  });
});
