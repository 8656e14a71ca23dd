/**
 * How many cases a property-based test tries. `npm test` runs a few thousand in all
 * so it stays fast; `npm run fuzz` sets FERRY_FUZZ_RUNS to run far more of the same
 * properties on demand. fast-check prints the seed and the shrunk counterexample of
 * any failure, so a fuzz finding can be replayed and turned into a plain test.
 */
export function fuzzRuns(quick: number): number {
  return asked() ?? quick;
}

/**
 * The time limit of a property test: none on a long run, which would not end within
 * vitest's usual 5 s; the usual one otherwise.
 */
export const fuzzTimeout: number | undefined = asked() === undefined ? undefined : 0;

function asked(): number | undefined {
  const runs = Number(process.env.FERRY_FUZZ_RUNS);
  return Number.isInteger(runs) && runs > 0 ? runs : undefined;
}
