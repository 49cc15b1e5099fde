import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // type-graphql and Apollo must see one copy of graphql, or they fail with "another module or realm".
    alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }],
  },
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 180_000,
    // expect.poll's 1 s default is too short on two busy cores, where a websocket handshake plus a
    // catch-up read can take longer; a poll still fails fast when the condition never holds.
    expect: { poll: { timeout: 15_000 } },
    // Set-up starts databases, platforms and sometimes trains a tiny model: as long as a test may take.
    hookTimeout: 180_000,
    reporters: ['default'],
  },
});
