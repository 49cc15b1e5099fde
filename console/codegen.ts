import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * The console's typed client: every operation written with `graphql(...)` under console/src is checked against
 * schema.graphql and gets its result and variable types. Run from the repository root (npm run console:codegen).
 */
const config: CodegenConfig = {
  schema: 'schema.graphql',
  documents: ['console/src/**/*.{ts,tsx}', '!console/src/gql/**'],
  ignoreNoDocuments: false,
  generates: {
    'console/src/gql/': {
      preset: 'client',
      config: {
        documentMode: 'string',
        useTypeImports: true,
        enumsAsTypes: true,
        scalars: { DateTime: 'string', JSON: 'unknown' },
      },
      presetConfig: { fragmentMasking: false },
    },
  },
};

export default config;
