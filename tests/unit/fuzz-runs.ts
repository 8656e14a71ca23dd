/**
 * How many cases a property-based test tries. `npm test` runs a few thousand in all
 * so it stays fast; `npm run fuzz` sets FERRY_FUZZ_RUNS to run far more of the same
 * properties on demand. fast-check prints the seed and the shrunk counterexample of
 * any failure, so a fuzz finding can be replayed and turned into a plain test.
 */
export function fuzzRuns(quick: number): number {
  const asked = Number(process.env.FERRY_FUZZ_RUNS);
  return Number.isInteger(asked) && asked > 0 ? asked : quick;
}
