import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type * as df from "durable-functions";
import { afterAll, describe, expect, it } from "vitest";
import { VirtualClock } from "../../src/local/clock";
import { DurableRuntime, FunctionRegistry, LocalDurableClient } from "../../src/local/runner";
import { MINUTE, sleep, T0 } from "./support/harness";

const root = mkdtempSync(join(tmpdir(), "flowdeploy-runner-load-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A deployment-shaped orchestration: sequential steps, a poll loop on timers, a fan-out, a custom status. */
const functions = new FunctionRegistry()
  .activity("step", async (input: unknown) => {
    await sleep(1); // stands in for an HTTPS call to the simulator
    return input;
  })
  .activity("probe", async (input: unknown) => (Number(input) >= 2 ? "Succeeded" : "Running"))
  .orchestration("deployish", function* (ctx: df.OrchestrationContext) {
    for (const stage of ["endpoint", "roles", "model"]) {
      ctx.df.setCustomStatus({ stage });
      yield ctx.df.callActivity("step", stage);
    }
    yield ctx.df.createTimer(new Date(ctx.df.currentUtcDateTime.getTime() + 16 * MINUTE));
    for (let attempt = 0; ; attempt++) {
      const state: string = yield ctx.df.callActivity("probe", attempt);
      if (state === "Succeeded") break;
      yield ctx.df.createTimer(new Date(ctx.df.currentUtcDateTime.getTime() + 30_000));
    }
    const smoke: unknown[] = yield ctx.df.Task.all([1, 2, 3].map((n) => ctx.df.callActivity("step", `smoke-${n}`)));
    return smoke.length;
  });

async function runMany(count: number, stateDir: string): Promise<{ runtime: DurableRuntime; wallMs: number }> {
  const runtime = new DurableRuntime({ functions, clock: new VirtualClock(T0), stateDir, activityConcurrency: 8 });
  const client = new LocalDurableClient(runtime);
  const started = performance.now();
  for (let i = 0; i < count; i++) await client.startNew("deployish", { instanceId: `load-${i}` });
  await runtime.runUntilIdle();
  return { runtime, wallMs: performance.now() - started };
}

describe("load", () => {
  it("300 concurrent orchestrations through one persisted runner; replay cost is per instance, not across instances", async () => {
    const small = await runMany(100, join(root, "small"));
    const large = await runMany(300, join(root, "large"));
    expect(large.runtime.metrics().byStatus).toEqual({ Completed: 300 });
    // Replay work per instance must not grow with the number of instances (no cross-instance O(n^2)).
    // Not exactly equal: how many completions of a fan-out share one episode depends on timing.
    const perInstanceSmall = small.runtime.metrics().replayedEvents / 100;
    const perInstanceLarge = large.runtime.metrics().replayedEvents / 300;
    expect(perInstanceLarge).toBeGreaterThan(perInstanceSmall * 0.8);
    expect(perInstanceLarge).toBeLessThan(perInstanceSmall * 1.2);
    for (const rec of large.runtime.listInstances()) {
      const m = large.runtime.instanceMetrics(rec.instanceId);
      expect(m.replayedEvents).toBeLessThanOrEqual(m.episodes * m.currentHistoryLength);
    }
    // Wall time is reported, not asserted (speed targets live in bench/: `npm run bench -- --only=load`).
    console.info(`300 orchestrations through one persisted runner: ${Math.round(large.wallMs)} ms wall`);
  }, 30_000);
});

describe("metrics", () => {
  it("per instance: episodes, history events, activity busy/max ms, timers, wall and clock time", async () => {
    const { runtime } = await runMany(1, join(root, "one"));
    const m = runtime.instanceMetrics("load-0");
    const historyLength = runtime.getHistory("load-0").length;
    expect(m).toMatchObject({ runtimeStatus: "Completed", historyEvents: historyLength, currentHistoryLength: historyLength, timersFired: 3 });
    // 3 steps + 3 probes + 3 smoke steps.
    expect(m.activities.calls).toBe(9);
    expect(m.episodes).toBeGreaterThanOrEqual(10);
    expect(m.activities.maxMs).toBeGreaterThanOrEqual(1);
    expect(m.activities.busyMs).toBeGreaterThanOrEqual(m.activities.maxMs);
    const simulatedMs = 16 * MINUTE + 2 * 30_000;
    expect(m.clockMs).toBe(simulatedMs);
    // The virtual clock skips the waits: wall time is a fraction of the 17 simulated minutes, however loaded the machine.
    expect(m.wallMs).toBeGreaterThanOrEqual(0);
    expect(m.wallMs).toBeLessThan(simulatedMs / 10);
    const total = runtime.metrics();
    expect(total.activities.byName.step?.calls).toBe(6);
    expect(total.activities.byName.probe?.calls).toBe(3);
    expect(total.replayedEvents).toBe(m.replayedEvents);
  });
});
