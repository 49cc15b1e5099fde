import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lexicographicSortSchema, printSchema } from 'graphql';
import { buildApiSchema } from './schema.js';

/** The schema as checked in at schema.graphql: sorted, so a diff shows only real changes. */
export async function printApiSchema(): Promise<string> {
  return `${printSchema(lexicographicSortSchema(await buildApiSchema()))}\n`;
}

/** `node dist/src/graphql/printSchema.js [file]` rewrites schema.graphql (default: in the working directory). */
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const file = resolve(process.argv[2] ?? 'schema.graphql');
  writeFileSync(file, await printApiSchema());
  process.stdout.write(`wrote ${file}\n`);
}
