import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { printApiSchema } from '../../src/graphql/printSchema.js';

const checkedIn = fileURLToPath(new URL('../../schema.graphql', import.meta.url));

describe('schema.graphql', () => {
  it('matches the schema the code builds (regenerate: UPDATE_SCHEMA=1 npx vitest run test/graphql/schema.test.ts)', async () => {
    const printed = await printApiSchema();
    if (process.env.UPDATE_SCHEMA === '1') writeFileSync(checkedIn, printed);
    const onDisk = readFileSync(checkedIn, 'utf8');
    expect(
      printed === onDisk,
      'schema.graphql is out of date: run `UPDATE_SCHEMA=1 npx vitest run test/graphql/schema.test.ts` (or `npm run build && node dist/src/graphql/printSchema.js`) and commit it',
    ).toBe(true);
  });
});
