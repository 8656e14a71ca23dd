import { defineConfig } from 'vitest/config';

/** Benchmarks: real transfers that print figures. Not part of `npm test`. */
export default defineConfig({
  test: {
    include: ['tests/bench/**/*.bench.test.ts'],
    environment: 'node',
    fileParallelism: false,
    testTimeout: 900_000,
    hookTimeout: 120_000,
  },
});
