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

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'bench/results/', 'coverage/', '.data/', '.tmp/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'warn',
    },
  },
  ...layeringRules(),
  {
    files: ['bin/**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
