// Mutation testing of the product core (docs/testing.md): `npm run mutate`, or a part of it with
// `npm run mutate -- --mutate src/domain/parity.ts`. Not part of `npm test`: the whole core takes hours
// on two cores, so it is measured a folder at a time. The stand-ins (src/local), the CLI and the Functions wiring are not mutated: they are
// what the tests run the core against. Results accumulate in the committed incremental report, so a
// run over one folder keeps every other folder's results, and a rerun retests only the mutants whose
// code or covering tests changed; `npm run mutate:score` prints the score docs/testing.md records.
/** @type {import("@stryker-mutator/api/core").PartialStrykerOptions} */
export default {
  testRunner: "vitest",
  // The in-process suites that finish in seconds (vitest.mutation.config.mts says which and why).
  vitest: { configFile: "vitest.mutation.config.mts", related: true },
  // Each mutant runs only the tests that covered its code in the dry run.
  coverageAnalysis: "perTest",
  // A static mutant (code run once, when its module loads: a constant table, a zod schema) cannot be
  // switched on per test, so Stryker would rerun every test of the mutation config for each one, a
  // minute and a half here. They are reported as ignored, and counted apart in docs/testing.md.
  ignoreStatic: true,
  mutate: ["orchestrations/**/*.ts", "src/domain/**/*.ts", "src/intake/**/*.ts", "src/contracts/**/*.ts", "src/activities/**/*.ts"],
  concurrency: 2,
  timeoutMS: 60_000,
  // The dry run executes every test related to the mutated files once, with coverage: 1.5 minutes here.
  dryRunTimeoutMinutes: 15,
  timeoutFactor: 2,
  reporters: ["clear-text", "progress", "html", "json"],
  htmlReporter: { fileName: "reports/mutation/index.html" },
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  thresholds: { high: 90, low: 85, break: null },
  incremental: true,
  incrementalFile: "reports/mutation/incremental.json",
  tempDirName: ".stryker-tmp",
  cleanTempDir: true,
};
