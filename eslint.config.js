import graphqlPlugin from '@graphql-eslint/eslint-plugin';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The rooms of src/ and the rooms each may import (README, "How it is built"). A room may always import
 * itself; anything missing here is an upward import and fails `npm run check`.
 */
const ROOM_IMPORTS = {
  domain: [],
  eventstore: [],
  data: [],
  ml: ['data'],
  privacy: ['eventstore'],
  projections: ['domain', 'eventstore', 'privacy'],
  services: ['domain', 'eventstore', 'privacy', 'ml', 'data'],
  graphql: ['domain', 'eventstore', 'privacy', 'services', 'projections', 'ml', 'data'],
  workers: ['domain', 'eventstore', 'privacy', 'services', 'projections', 'ml', 'data'],
  serving: ['domain', 'eventstore', 'privacy', 'services', 'projections', 'ml', 'data'],
  app: [
    'domain',
    'eventstore',
    'privacy',
    'services',
    'projections',
    'graphql',
    'workers',
    'ml',
    'data',
    'serving',
  ],
};
const ROOMS = Object.keys(ROOM_IMPORTS);
const DEEPEST_FOLDER = 6;

/**
 * One `no-restricted-imports` block per room and folder depth: from src/ROOM/a/b/file.ts, '../../../X' is
 * room X, so the pattern for each depth names exactly the rooms, never a sub-folder that shares a name.
 */
function layeringRules() {
  const blocks = [];
  for (const [room, allowed] of Object.entries(ROOM_IMPORTS)) {
    const forbidden = ROOMS.filter((other) => other !== room && !allowed.includes(other));
    if (forbidden.length === 0) continue;
    const message =
      allowed.length === 0
        ? `src/${room} imports nothing of ours (README, "How it is built").`
        : `src/${room} may import only ${allowed.join(', ')} (README, "How it is built"): imports point down the rooms, never up.`;
    for (let depth = 1; depth <= DEEPEST_FOLDER; depth++) {
      blocks.push({
        files: [`src/${room}/${'*/'.repeat(depth - 1)}*.ts`],
        rules: {
          'no-restricted-imports': [
            'error',
            { patterns: [{ regex: `^(\\.\\./){${depth}}(${forbidden.join('|')})(/|$)`, message }] },
          ],
        },
      });
    }
  }
  return blocks;
}

/**
 * The GraphQL contract (schema.graphql, regenerated from src/graphql) linted for naming and descriptions:
 * graphql-eslint's recommended schema rules and its Relay rules, with the exceptions below, each with its reason.
 */
const recommendedNaming =
  graphqlPlugin.configs['flat/schema-recommended'].rules['@graphql-eslint/naming-convention'][1];
const graphqlContractRules = {
  files: ['schema.graphql'],
  languageOptions: {
    parser: graphqlPlugin.parser,
    parserOptions: { graphQLConfig: { schema: 'schema.graphql' } },
  },
  plugins: { '@graphql-eslint': graphqlPlugin },
  rules: {
    ...graphqlPlugin.configs['flat/schema-recommended'].rules,
    ...graphqlPlugin.configs['flat/schema-relay'].rules,
    '@graphql-eslint/naming-convention': [
      'error',
      {
        ...recommendedNaming,
        // Published before this rule: renaming a value breaks clients, so only a deliberate contract change
        // (CHANGELOG.md) renames them; every new value is UPPER_CASE.
        EnumValueDefinition: {
          style: 'UPPER_CASE',
          ignorePattern: '^(downstream|upstream|cancelled|completed|failed|requested|running)$',
        },
        'ObjectTypeDefinition,ObjectTypeExtension': {
          ...recommendedNaming['ObjectTypeDefinition,ObjectTypeExtension'],
          ignorePattern: '^MemoryEstimateType$',
        },
      },
    ],
    // Every field and argument described is the goal; the schema does not reach it yet (500 undescribed
    // fields and arguments), so descriptions are required where a client starts: each query, mutation and
    // subscription, and each directive.
    // (The rule's own `rootField` option joins the root type names with commas into its regular expression
    // and so matches no field of a schema with a Mutation type: the selector below says the same thing.)
    '@graphql-eslint/require-description': [
      'error',
      {
        DirectiveDefinition: true,
        FieldDefinition: true,
        ignoredSelectors: [
          'ObjectTypeDefinition[name.value!=/^(Query|Mutation|Subscription)$/] > FieldDefinition',
          'InterfaceTypeDefinition > FieldDefinition',
        ],
      },
    ],
    // Objects are keyed by the ids the event log and the CLI use (datasetId, runId, modelName + version);
    // `Dataset.datasetId` says which id it is wherever it is copied to.
    '@graphql-eslint/no-typename-prefix': 'off',
    '@graphql-eslint/strict-id-in-types': 'off',
    // Connections page forward (first/after); small lists of values (a run's stages, a lineage's nodes) stay
    // plain lists, and no type implements Relay's Node interface yet.
    // Off until Interaction.labels and TrainingRun.checkpoints take first/after: they return whole connections.
    '@graphql-eslint/relay-arguments': 'off',
    '@graphql-eslint/relay-edge-types': [
      'error',
      { withEdgeSuffix: true, shouldImplementNode: false, listTypeCanWrapOnlyEdgeType: false },
    ],
    '@graphql-eslint/require-nullable-fields-with-oneof': 'error',
    '@graphql-eslint/require-type-pattern-with-oneof': 'error',
  },
};

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'node_modules/',
      'bench/results/',
      'coverage/',
      '.data/',
      '.tmp/',
      'src/client/generated/',
      'console/src/gql/',
      'test-artifacts/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'warn',
    },
  },
  ...layeringRules(),
  graphqlContractRules,
  {
    files: ['bin/**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
