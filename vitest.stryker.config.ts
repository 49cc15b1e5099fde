import { mergeConfig } from 'vitest/config';

import shared from './vitest.config.js';

// Stryker runs the tests related to the mutated files (vitest `related`). MUTATE_TESTS (comma-separated test
// files) narrows that further when one module is mutated and its own tests are known, which keeps a run on a
// loaded two-core machine to minutes; unset, every test file is a candidate.
const only = process.env.MUTATE_TESTS?.split(',')
  .map((file) => file.trim())
  .filter((file) => file.length > 0);

const config = mergeConfig(shared, {});
if (only && only.length > 0) config.test = { ...config.test, include: only };

export default config;
