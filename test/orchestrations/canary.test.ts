import { afterEach, describe, expect, it } from "vitest";
import type { DeploymentNotification } from "../../src/contracts";
import type { LocalStack } from "../../src/local/localStack";
import { startLoadedRollout } from "../support/loadedRollout";

/**
 * Canary steps with health analysis (issue 17 item 2), through the whole local stack: the simulator
 * serves 60 synthetic calls a minute through the endpoint's real traffic split and answers the Azure
 * Monitor metrics API from the calls it served. The run is stepped one simulated minute at a time and
 * the endpoint's split is read after every minute.
 */
let stack: LocalStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

const T0 = new Date("2026-11-23T10:00:00.000Z");
const STEPS = [
  { percent: 10, bakeMinutes: 15 },
  { percent: 50, bakeMinutes: 15 },
];

async function runCanary(requestId: string, greenBehaviour: Record<string, unknown> | null, analysis: Record<string, unknown>) {
  const { stack: s, id } = await startLoadedRollout(T0, requestId, { strategy: "canary", steps: STEPS, analysis }, greenBehaviour);
  stack = s;
  const splits: Record<string, number>[] = [];
  for (let minute = 1; minute <= 180 && !s.runtime.getInstance(id)?.outputJson; minute++) {
    await s.runtime.runUntilIdle({ advanceClockUntil: new Date(T0.getTime() + minute * 60_000) });
    const traffic = s.sim.state().endpoints.find((e) => e.name === "web-classify")!.traffic;
    const last = splits[splits.length - 1];
    if (!last || JSON.stringify(last) !== JSON.stringify(traffic)) splits.push({ ...traffic });
  }
  const notification = JSON.parse(s.runtime.getInstance(id)!.outputJson!) as DeploymentNotification;
  return { s, id, notification, splits };
}

describe("canary rollout", () => {
  it("a healthy deployment moves 10% → 50% → 100%, each step judged from the metrics before the next", async () => {
    const { notification, splits } = await runCanary("canary-ok", null, { maxErrorRatePercent: 1, maxP95LatencyMs: 500, minRequests: 20 });
    expect(notification.error).toBeNull();
    expect(notification).toMatchObject({ outcome: "Succeeded", traffic: { blue: 0, green: 100 } });
    expect(splits).toEqual([{ blue: 100 }, { blue: 90, green: 10 }, { blue: 50, green: 50 }, { blue: 0, green: 100 }]);
    const analyses = notification.stages.filter((st) => st.name === "analysis");
    expect(analyses.map((a) => [a.outcome, a.note])).toEqual([
      ["Succeeded", "step 1 of 2: 10%"],
      ["Succeeded", "step 2 of 2: 50%"],
    ]);
    // Each step served its bake before it was judged (15 minutes + 3 for the metrics to settle).
    const moves = notification.stages.filter((st) => st.name === "traffic");
    for (const [i, a] of analyses.entries()) expect(Date.parse(a.startedAt) - Date.parse(moves[i]!.endedAt!)).toBeGreaterThanOrEqual(18 * 60_000);
  });

  it("errors from the new deployment at 10%: Failed at stage analysis with the figures, the exact previous split restored at once", async () => {
    const { s, id, notification, splits } = await runCanary("canary-errors", { errorRatePercent: 20 }, { maxErrorRatePercent: 5, minRequests: 20 });
    expect(notification).toMatchObject({ outcome: "Failed", error: { stage: "analysis", code: "AnalysisFailed" }, traffic: { blue: 100 }, deletedDeployments: ["green"] });
    expect(notification.error!.message).toMatch(/^step 1 of 2: 10%: .*error rate/i);
    // Never beyond the first step, and back to the previous split in one update.
    expect(splits).toEqual([{ blue: 100 }, { blue: 90, green: 10 }, { blue: 100 }]);
    const status = JSON.parse(s.runtime.getInstance(id)!.exec.customStatusJson!) as { lastAnalysis?: { verdict: string; errors: number; requests: number } };
    expect(status.lastAnalysis).toMatchObject({ verdict: "unhealthy" });
    expect(status.lastAnalysis!.errors).toBeGreaterThan(0);
  });

  it("a latency breach fails the step's analysis the same way (P95 above the limit)", async () => {
    const { notification, splits } = await runCanary("canary-slow", { latencyMs: 900 }, { maxErrorRatePercent: 5, maxP95LatencyMs: 500, minRequests: 20 });
    expect(notification).toMatchObject({ outcome: "Failed", error: { stage: "analysis", code: "AnalysisFailed" }, traffic: { blue: 100 } });
    expect(notification.error!.message).toMatch(/900/);
    expect(splits[splits.length - 1]).toEqual({ blue: 100 });
    expect(Math.max(...splits.map((t) => t.green ?? 0))).toBe(10);
  });
});
