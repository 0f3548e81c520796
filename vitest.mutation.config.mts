import { relative } from "node:path";
import { BaseSequencer, type TestSpecification } from "vitest/node";
import { defineConfig } from "vitest/config";

/**
 * The tests `npm run mutate` judges mutants with (docs/testing.md): the suites that run the product
 * core in the test's own process and finish in seconds. Stryker learns which tests cover a mutant
 * from counters the instrumented code bumps in that process, and a mutant that survives reruns every
 * test that covers it. Left out, with the reason:
 * - suites that drive the core in a child process (`flowdeploy local`, the CLI binaries, crash
 *   recovery) report no coverage back, so they could never be chosen for a mutant;
 * - suites whose tests wait on real time and sockets (reliability: Retry-After, connection resets,
 *   duplicate deliveries; the CLI's rollout and migration walkthroughs; the client and integration
 *   suites over the local broker) take about 5 of the suite's 6.5 minutes of test time. Code every
 *   deployment runs is covered by all of them, so each of its survivors would cost minutes, and the
 *   core's thousands of mutants would take days on two cores. What they alone kill is not counted:
 *   the score is a lower bound of what `npm test` kills;
 * - the stand-ins' own suites (broker, simulator, runner), the status page in a browser and the
 *   packaging checks exercise no core code.
 */
const SUITES = ["unit", "intake", "activities", "orchestrations", "functions", "azure", "security", "inventory"];

/**
 * Stryker runs a mutant's covering tests one file after another and stops at the first failure
 * (vitest's `bail`). Vitest's own order puts the slowest files first; for a mutant that is killed,
 * the focused fast suites (unit, intake, activities) usually fail first, so they go first, and the
 * end-to-end suites after them. Within a tier, files run in path order, so every run, the dry run and
 * each mutant's, meets the files in the same order (the files share one module registry).
 */
const TIERS = ["test/unit/", "test/intake/", "test/activities/", "test/inventory/", "test/functions/", "test/azure/", "test/orchestrations/", "test/security/"];

class FastFirstSequencer extends BaseSequencer {
  override sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root;
    const path = (f: TestSpecification) => relative(root, f.moduleId).replaceAll("\\", "/");
    const tier = (f: TestSpecification) => {
      const i = TIERS.findIndex((t) => path(f).startsWith(t));
      return i === -1 ? TIERS.length : i;
    };
    return Promise.resolve([...files].sort((a, b) => tier(a) - tier(b) || path(a).localeCompare(path(b))));
  }
}

export default defineConfig({
  test: {
    include: [`test/{${SUITES.join(",")}}/**/*.test.ts`],
    environment: "node",
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Stryker's vitest runner runs each mutant in one worker thread (it sets `pool: "threads"` and
    // `maxWorkers: 1` itself). Without isolation the worker loads the app and the Azure SDKs once
    // instead of once per test file: the fast suites take 44 s instead of 108 s here, and they all
    // pass this way. Stryker switches a mutant on at run time (a global the instrumented code reads),
    // so a module loaded once still obeys whichever mutant is active.
    pool: "threads",
    isolate: false,
    sequence: { sequencer: FastFirstSequencer },
  },
});
