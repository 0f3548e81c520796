import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    environment: "node",
    // Simulator and broker tests open real sockets; keep them generous but bounded.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
  },
});
