import { relative } from "node:path";
import { BaseSequencer, type TestSpecification } from "vitest/node";
import { defineConfig } from "vitest/config";

/**
 * The tests `npm run mutate` judges mutants with (docs/testing.md): every suite that runs the product
 * core in the test's own process. Stryker learns which tests cover a mutant from counters the
 * instrumented code bumps in that process; code a test runs in a child process (`flowdeploy local`,
 * the CLI binaries) reports nothing back, so a test that only drives a child would never be chosen for
 * a mutant and would only lengthen the dry run. Suites that mix both (`serve` in-process beside the
 * CLI as a child) stay. The stand-ins' own suites (broker, simulator, runner), the status page in a
 * browser and the packaging checks exercise no core code.
 */
const CHILD_PROCESS_ONLY = [
  "test/reliability/crashRecovery.test.ts",
  "test/cli/local.test.ts",
  "test/cli/localHangs.test.ts",
  "test/cli/serve.test.ts",
  "test/cli/serveWalkthrough.test.ts",
  "test/cli/stateDir.test.ts",
  "test/cli/validate.test.ts",
];

/**
 * Stryker runs a mutant's covering tests one file after another and stops at the first failure
 * (vitest's `bail`). Vitest's own order puts the slowest files first; for a mutant that is killed,
 * the focused fast suites (unit, intake, activities) usually fail first, so they go first, and the
 * end-to-end suites after them. Within a tier, the shorter file (by vitest's cached duration) first.
 */
const TIERS = ["test/unit/", "test/intake/", "test/activities/", "test/azure/", "test/security/", "test/functions/", "test/inventory/", "test/orchestrations/"];

class FastFirstSequencer extends BaseSequencer {
  override sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root;
    const path = (f: TestSpecification) => relative(root, f.moduleId).replaceAll("\\", "/");
    const tier = (f: TestSpecification) => {
      const i = TIERS.findIndex((t) => path(f).startsWith(t));
      return i === -1 ? TIERS.length : i;
    };
    const duration = (f: TestSpecification) => this.ctx.cache.getFileTestResults(`${f.project.name}:${path(f)}`)?.duration ?? Number.MAX_SAFE_INTEGER;
    return Promise.resolve([...files].sort((a, b) => tier(a) - tier(b) || duration(a) - duration(b)));
  }
}

export default defineConfig({
  test: {
    include: [
      "test/{unit,intake,activities,orchestrations,functions,azure,security,inventory,integration,reliability,cli,client}/**/*.test.ts",
    ],
    exclude: CHILD_PROCESS_ONLY,
    environment: "node",
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    sequence: { sequencer: FastFirstSequencer },
  },
});
