/**
 * `npm run client`: writes src/client/operations.graphql from the manuals and the typed client in
 * src/client/generated/ from schema.graphql and those operations (GraphQL Code Generator, client preset).
 * test/client/typedClient.test.ts checks both are up to date and runs every operation.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { generate } from '@graphql-codegen/cli';
import type { Types } from '@graphql-codegen/plugin-helpers';
import { docsOperations, operationsFile } from './docsOperations.js';

export const OPERATIONS_FILE = 'src/client/operations.graphql';
export const GENERATED_DIR = 'src/client/generated/';

/** The generated client's files (path relative to `root`, and content), written nowhere. */
export async function clientFiles(root: string): Promise<{ path: string; content: string }[]> {
  const operations = docsOperations(root);
  // One file per operation outside the tree: codegen reads documents from files (and mangles escapes in one
  // given as text), gql.ts then maps each operation's own text, and the up-to-date check writes nothing here.
  const scratch = mkdtempSync(join(tmpdir(), 'tuneledger-client-'));
  operations.forEach((operation, i) =>
    writeFileSync(join(scratch, `${String(i).padStart(3, '0')}-${operation.name}.graphql`), operation.text),
  );
  const config: Types.Config = {
    schema: join(root, 'schema.graphql'),
    documents: join(scratch, '*.graphql'),
    silent: true,
    errorsOnly: true,
    generates: {
      [join(root, GENERATED_DIR)]: {
        preset: 'client',
        presetConfig: { fragmentMasking: false },
        config: {
          emitLegacyCommonJSImports: false,
          useTypeImports: true,
          enumsAsTypes: true,
          scalars: { DateTime: 'string', JSON: 'unknown', JSONObject: 'Record<string, unknown>' },
        },
      },
    },
  };
  let outputs: { filename: string; content: string }[];
  try {
    outputs = await generate({ ...config, cwd: root }, false);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return [
    { path: OPERATIONS_FILE, content: operationsFile(operations) },
    ...outputs.map((output) => ({
      path: output.filename.startsWith(root)
        ? output.filename.slice(root.length).replace(/^\//, '')
        : output.filename,
      content: output.content,
    })),
  ];
}

async function main(): Promise<void> {
  const root = process.cwd();
  const files = await clientFiles(root);
  rmSync(join(root, GENERATED_DIR), { recursive: true, force: true });
  for (const file of files) {
    mkdirSync(dirname(join(root, file.path)), { recursive: true });
    writeFileSync(join(root, file.path), file.content);
  }
  console.log(`wrote ${files.map((file) => file.path).join(', ')}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
