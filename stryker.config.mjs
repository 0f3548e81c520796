// Mutation testing of the product core (docs/testing.md). Run it through `npm run mutate [-- <folder>]`
// (scripts/mutate.ts), which gives each core folder its own committed report: Stryker writes its
// incremental report with only the files of the run that wrote it. Not part of `npm test`: the whole
// core takes hours on two cores, so it is measured a folder at a time. The stand-ins (src/local), the
// CLI and the Functions wiring are not mutated: they are what the tests run the core against.
/** @type {import("@stryker-mutator/api/core").PartialStrykerOptions} */
export default {
  testRunner: "vitest",
  // The in-process suites that finish in seconds (vitest.mutation.config.mts says which and why).
  vitest: { configFile: "vitest.mutation.config.mts", related: true },
  // Asked for, but without isolation (vitest.mutation.config.mts) the vitest runner reports no
  // coverage: each mutant runs every related test until one fails, and `ignoreStatic` finds no static
  // mutant to ignore (docs/testing.md, "No per-test coverage"). Kept so that a runner that reports
  // coverage again would judge each mutant by its covering tests only.
  coverageAnalysis: "perTest",
  ignoreStatic: true,
  mutate: ["orchestrations/**/*.ts", "src/domain/**/*.ts", "src/intake/**/*.ts", "src/contracts/**/*.ts", "src/activities/**/*.ts"],
  // Four runners on two cores: a runner's tests mostly wait on sockets and timers (at two runners each
  // used about a third of a core), so four keep both cores busy (docs/testing.md, "What a full run costs").
  concurrency: 4,
  timeoutMS: 60_000,
  // The dry run executes every test related to the mutated files once, with coverage: 1.5 minutes here.
  dryRunTimeoutMinutes: 15,
  timeoutFactor: 2,
  reporters: ["clear-text", "progress", "html", "json"],
  htmlReporter: { fileName: "reports/mutation/index.html" },
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  thresholds: { high: 90, low: 85, break: null },
  incremental: true,
  // A bare `stryker run` (or a run over some files of a folder) writes this uncommitted scratch report;
  // `npm run mutate -- <folder>` passes the folder's report instead.
  incrementalFile: "reports/mutation/scratch.json",
  tempDirName: ".stryker-tmp",
  cleanTempDir: true,
};
