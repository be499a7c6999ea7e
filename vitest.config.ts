import { defineConfig } from 'vitest/config';

// One process for all test files: Dawn and its compiled pipelines are set up once (each compile costs
// tens of ms on lavapipe), and lavapipe already uses both cores.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    poolOptions: { forks: { singleFork: true, isolate: false } },
    testTimeout: 120_000,
    hookTimeout: 120_000,
    env: { XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' },
  },
});
