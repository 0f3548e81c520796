// The quick mutation pass (docs/testing.md): stryker.config.mjs with only the fast tests
// (vitest.mutate.config.mts). A lower bound of the full score, in minutes rather than hours:
// `npm run mutate:quick -- --mutate src/domain/parity.ts`.
import base from "./stryker.config.mjs";

// Its results are a lower bound, so they never go into the committed incremental report.
export default {
  ...base,
  vitest: { ...base.vitest, configFile: "vitest.mutate.config.mts" },
  dryRunTimeoutMinutes: 10,
  incremental: false,
  jsonReporter: { fileName: "reports/mutation-quick/mutation.json" },
  htmlReporter: { fileName: "reports/mutation-quick/index.html" },
};
