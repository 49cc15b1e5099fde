import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/eventstore/index.js';
import { canonicalJsonOfJsonbText } from '../../src/eventstore/canonicalJson.js';
import { databaseTargets, type TestDatabase } from '../support/databases.js';

/** The canonical text of a value, found from the database's own jsonb output of it, as the whole-log check does. */
for (const target of databaseTargets) {
  describe(`canonicalJsonOfJsonbText on ${target.name}`, () => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await target.open();
    });
    afterAll(() => database.close());

    async function jsonbTexts(values: readonly unknown[]): Promise<string[]> {
      const { rows } = await sql<{ text: string }>`
        SELECT (value::jsonb)::text AS text FROM unnest(${values.map((value) => JSON.stringify(value))}::text[])
        WITH ORDINALITY AS t(value, n) ORDER BY n`.execute(database.db);
      return rows.map((row) => row.text);
    }

    it('gives canonicalJson of the value for the cases where jsonb prints differently', async () => {
      const values: unknown[] = [
        { b: 1, a: 2, aa: 3, 'a!': 4, ' ': 5, 'a ': 6, é: 7, 'z\u0001': 8, '"q"': 9, 'back\\slash': 10 },
        { nested: { z: [{ y: 1, x: [] }, {}], a: 'tab\there "quoted" \\ \u001f é 😀 \u2028' } },
        [1e-7, 1e-6, 0.000001234, 1e21, 1e20, 123456789012345680, 0.1, 1 / 3, -2.5, 12345.678901234, 2 ** 53],
        [-0.000001, 5e-324, 1.7976931348623157e308, -1e-7, 100, -100, 0],
        { learningRate: 0.00001, loss: 1 / 7, step: 3, stage: 'general', tags: ['x', 3, null, true, false] },
        'just a string',
        42,
        null,
        true,
        [],
        {},
      ];
      const texts = await jsonbTexts(values);
      values.forEach((value, index) =>
        expect(canonicalJsonOfJsonbText(texts[index]!)).toBe(canonicalJson(value)),
      );
    });

    it('agrees with canonicalJson for any JSON value', async () => {
      // Values without NUL characters (jsonb refuses them) and without -0 (JSON text has no -0 in jsonb either way).
      const values = fc
        .sample(fc.jsonValue({ maxDepth: 4 }), 400)
        .map((value) => JSON.parse(JSON.stringify(value)) as unknown)
        .filter((value) => !JSON.stringify(value).includes('\\u0000'));
      const texts = await jsonbTexts(values);
      values.forEach((value, index) =>
        expect(canonicalJsonOfJsonbText(texts[index]!)).toBe(canonicalJson(value)),
      );
    });

    it('rejects text that is not JSON', () => {
      expect(() => canonicalJsonOfJsonbText('{"a": ')).toThrow(SyntaxError);
    });
  });
}
