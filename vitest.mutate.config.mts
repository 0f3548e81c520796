import { defineConfig } from "vitest/config";

/**
 * A quick mutation pass (docs/testing.md): only the fast tests (unit, intake), so a file's mutants are
 * judged in minutes. The score it gives is a lower bound: the full suite's end-to-end tests kill more.
 * `npm run mutate:quick -- --mutate <files>`. Otherwise as vitest.config.mts.
 */
export default defineConfig({
  test: {
    include: ["test/unit/**/*.test.ts", "test/intake/**/*.test.ts"],
    environment: "node",
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
  },
});
