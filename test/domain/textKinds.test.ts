import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  eventRegistry,
  exactText,
  freeText,
  mapFreeText,
  unmarkedTextPaths,
} from '../../src/domain/index.js';

describe('text kinds of the event schemas', () => {
  it('marks every string field of every event as free text or exact', () => {
    const unmarked = eventRegistry.types.flatMap((type) =>
      unmarkedTextPaths(eventRegistry.definition(type).schema).map((path) => `${type} ${path}`),
    );
    // A new string field must say whether it is redacted before append (freeText) or kept (exactText).
    expect(unmarked).toEqual([]);
  });

  it('finds an unmarked string, record key or unknown payload wherever it sits', () => {
    const schema = z.object({
      id: exactText(z.string()),
      note: freeText(z.string()),
      plain: z.string().optional(),
      nested: z.array(z.object({ label: z.string().default('x') })),
      choice: z.discriminatedUnion('kind', [
        z.object({ kind: z.literal('a'), text: z.string() }),
        z.object({ kind: z.literal('b'), n: z.number() }),
      ]),
      scores: z.record(z.string(), z.number()),
      extra: z.unknown(),
      timestamp: z.iso.datetime(),
      code: z.enum(['x', 'y']),
    });
    expect(unmarkedTextPaths(schema)).toEqual([
      '$.plain',
      '$.nested[].label',
      '$.choice|0.text',
      '$.scores{key}',
      '$.extra',
      '$.timestamp',
    ]);
  });

  it('rewrites free text only, wherever it sits, and keeps exact text and platform tokens', () => {
    const schema = z.object({
      id: exactText(z.string()),
      note: freeText(z.string()),
      items: z.array(z.object({ id: exactText(z.string()), text: freeText(z.string()) })),
      label: z.discriminatedUnion('kind', [
        z.object({ kind: z.literal('up') }),
        z.object({ kind: z.literal('text'), text: freeText(z.string()) }),
      ]),
      params: z.record(exactText(z.string()), freeText(z.unknown())),
    });
    const hash = 'ab'.repeat(32);
    const value = {
      id: 'pii',
      note: 'pii',
      items: [{ id: 'pii', text: 'pii' }],
      label: { kind: 'text', text: 'pii' },
      params: { pii: { deep: ['pii', hash] } },
    };
    expect(mapFreeText(schema, value, (text) => text.replaceAll('pii', '[X]'))).toEqual({
      id: 'pii',
      note: '[X]',
      items: [{ id: 'pii', text: '[X]' }],
      label: { kind: 'text', text: '[X]' },
      params: { pii: { deep: ['[X]', hash] } },
    });
  });
});
