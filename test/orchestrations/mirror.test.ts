import { afterEach, describe, expect, it } from "vitest";
import { parseDeployRequest, type DeploymentNotification } from "../../src/contracts";
import type { DeployFlowStatus } from "../../src/contracts/orchestration";
import { requestCancel } from "../../src/intake/cancel";
import type { LocalStack } from "../../src/local/localStack";
import { startLoadedRollout } from "../support/loadedRollout";
import { sampleRequest } from "../support/samples";

/**
 * Mirrored traffic (issue 17 item 3), through the whole local stack: blue serves 60 synthetic calls a
 * minute; the rollout mirrors a share of them to green (the simulator serves the copies through
 * green's own scoring path and counts them in green's metrics, as Azure does), judges green from
 * those metrics after the bake, and stops mirroring before anything else — healthy or not. The run is
 * stepped a simulated minute at a time and the endpoint's live and mirrored splits read every minute.
 */
let stack: LocalStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

const T0 = new Date("2026-11-23T10:00:00.000Z");

interface Observed {
  traffic: Record<string, number>;
  mirror: Record<string, number>;
}

async function runMirror(requestId: string, rollout: Record<string, unknown>, greenBehaviour: Record<string, unknown> | null, opts: { cancelAtMinute?: number; liveBlue?: boolean } = {}) {
  const { stack: s, id } = await startLoadedRollout(T0, requestId, rollout, greenBehaviour, opts);
  stack = s;
  const seen: Observed[] = [];
  let cancelOutcome: string | undefined;
  const statuses: DeployFlowStatus[] = [];
  for (let minute = 1; minute <= 180 && !s.runtime.getInstance(id)?.outputJson; minute++) {
    // Through the cancel route's own check (src/intake/cancel.ts): at stage traffic it refuses, unless a mirror bakes.
    if (minute === opts.cancelAtMinute) cancelOutcome = (await requestCancel(s.client as never, id, { reason: "operator" })).outcome;
    await s.runtime.runUntilIdle({ advanceClockUntil: new Date(T0.getTime() + minute * 60_000) });
    const ep = s.sim.state().endpoints.find((e) => e.name === "web-classify")!;
    const now = { traffic: { ...ep.traffic }, mirror: Object.fromEntries(Object.entries(ep.mirrorTraffic).filter(([, v]) => v > 0)) };
    const last = seen[seen.length - 1];
    if (!last || JSON.stringify(last) !== JSON.stringify(now)) seen.push(now);
    const custom = s.runtime.getInstance(id)?.exec.customStatusJson;
    if (custom) statuses.push(JSON.parse(custom) as DeployFlowStatus);
  }
  const notification = JSON.parse(s.runtime.getInstance(id)!.outputJson!) as DeploymentNotification;
  return { s, id, notification, seen, statuses, cancelOutcome };
}

const ANALYSIS = { maxErrorRatePercent: 1, maxP95LatencyMs: 500, minRequests: 20 };

describe("mirrored traffic before any live traffic", () => {
  it("a healthy deployment: green gets 20% of the calls as copies for the bake, judged from its own metrics, mirror stopped, then 100% live", async () => {
    const { notification, seen, statuses } = await runMirror("mirror-ok", { strategy: "blueGreen", mirror: { percent: 20, bakeMinutes: 10 }, analysis: ANALYSIS }, null);
    expect(notification.error).toBeNull();
    expect(notification).toMatchObject({ outcome: "Succeeded", traffic: { blue: 0, green: 100 } });
    // No live traffic while mirrored; the mirror is gone before live traffic moves.
    expect(seen).toEqual([
      // A new deployment is not in the endpoint's traffic map until a PUT names it.
      { traffic: { blue: 100 }, mirror: {} },
      { traffic: { blue: 100 }, mirror: { green: 20 } },
      { traffic: { blue: 100 }, mirror: {} },
      { traffic: { blue: 0, green: 100 }, mirror: {} },
    ]);
    const analysis = notification.stages.find((st) => st.name === "analysis")!;
    expect(analysis).toMatchObject({ outcome: "Succeeded", note: "mirror 20%" });
    // Judged on the copies: 20% of 60 calls a minute over a 10-minute bake.
    const judged = statuses.map((st) => st.lastAnalysis).find((a) => a !== undefined)!;
    expect(judged).toMatchObject({ verdict: "healthy" });
    expect(judged.requests).toBeGreaterThanOrEqual(100);
    expect(judged.requests).toBeLessThanOrEqual(130);
    // Custom status showed the mirror and its bake while it ran.
    expect(statuses.some((st) => st.mirror?.percent === 20 && typeof st.mirror.bakeUntil === "string")).toBe(true);
    expect(statuses[statuses.length - 1]!.mirror).toBeUndefined();
    expect(notification.stages.filter((st) => st.name === "traffic").map((st) => st.note)).toEqual(["mirror 20%", "mirror 20% stopped", undefined]);
  });

  it("errors on the copies: Failed at stage analysis, the mirror removed, live traffic never touched, green deleted", async () => {
    const { notification, seen } = await runMirror("mirror-errors", { strategy: "blueGreen", mirror: { percent: 20, bakeMinutes: 10 }, analysis: { maxErrorRatePercent: 5, minRequests: 20 } }, { errorRatePercent: 25 });
    expect(notification).toMatchObject({ outcome: "Failed", error: { stage: "analysis", code: "AnalysisFailed" }, traffic: { blue: 100 }, deletedDeployments: ["green"] });
    expect(notification.error!.message).toMatch(/^mirror 20%: .*error rate/i);
    expect(seen.every((o) => (o.traffic["green"] ?? 0) === 0)).toBe(true);
    expect(seen[seen.length - 1]!.mirror).toEqual({});
  });

  it("a cancel during the mirror's bake stops the mirror and ends Cancelled with blue untouched", async () => {
    const { notification, seen, statuses, cancelOutcome } = await runMirror("mirror-cancel", { strategy: "blueGreen", mirror: { percent: 10, bakeMinutes: 30 }, analysis: ANALYSIS }, null, { cancelAtMinute: 40 });
    expect(cancelOutcome).toBe("requested");
    expect(statuses.some((st) => st.stage === "traffic" && st.mirror !== undefined)).toBe(true);
    expect(seen.some((o) => o.mirror["green"] === 10)).toBe(true);
    expect(notification).toMatchObject({ outcome: "Cancelled", traffic: { blue: 100 } });
    expect(seen[seen.length - 1]!.mirror).toEqual({});
    expect(seen.every((o) => (o.traffic["green"] ?? 0) === 0)).toBe(true);
  });

  it("then a canary: mirror first, then the steps, each judged", async () => {
    const { notification, seen } = await runMirror(
      "mirror-canary",
      { strategy: "canary", mirror: { percent: 10, bakeMinutes: 5 }, steps: [{ percent: 25, bakeMinutes: 5 }], analysis: ANALYSIS },
      null,
    );
    expect(notification).toMatchObject({ outcome: "Succeeded", traffic: { blue: 0, green: 100 } });
    expect(seen.map((o) => [o.traffic["green"] ?? 0, o.mirror["green"] ?? 0])).toEqual([
      [0, 0],
      [0, 10],
      [0, 0],
      [25, 0],
      [100, 0],
    ]);
    expect(notification.stages.filter((st) => st.name === "analysis").map((a) => a.note)).toEqual(["mirror 10%", "step 1 of 1: 25%"]);
  });

  it("once live traffic has moved, the cancel route refuses (the run publishes cancellable: false) and the rollout finishes", async () => {
    const { notification, statuses, cancelOutcome } = await runMirror(
      "mirror-canary-late-cancel",
      { strategy: "canary", mirror: { percent: 10, bakeMinutes: 5 }, steps: [{ percent: 25, bakeMinutes: 30 }], analysis: ANALYSIS },
      null,
      { cancelAtMinute: 45 },
    );
    const at45 = statuses[44]!;
    expect(at45).toMatchObject({ cancellable: false, canary: { step: 1, percent: 25 } });
    expect(cancelOutcome).toBe("tooLate");
    expect(notification).toMatchObject({ outcome: "Succeeded", traffic: { blue: 0, green: 100 } });
    // Before the traffic stage it was cancellable; the final status says it no longer is.
    expect(statuses.some((st) => st.stage === "deployment" && st.cancellable === true)).toBe(true);
    expect(statuses[statuses.length - 1]!.cancellable).toBe(false);
  });

  it("no live traffic to copy (a new endpoint, or nothing live): the mirror step is skipped with a note", async () => {
    const { notification, seen } = await runMirror("mirror-none", { strategy: "blueGreen", mirror: { percent: 20, bakeMinutes: 10 }, analysis: ANALYSIS }, null, { liveBlue: false });
    expect(notification).toMatchObject({ outcome: "Succeeded" });
    expect(seen.every((o) => Object.keys(o.mirror).length === 0)).toBe(true);
    expect(notification.stages.find((st) => st.note?.startsWith("mirror"))).toMatchObject({ outcome: "Succeeded", note: "mirror 20% skipped: no live traffic to copy" });
  });
});

describe("the request's mirror field", () => {
  it("at most 50%, with analysis, and analysis only with a canary or a mirror", () => {
    const with_ = (rollout: Record<string, unknown>) => {
      const body = sampleRequest();
      body.rollout = rollout as never;
      const parsed = parseDeployRequest(body);
      return parsed.ok ? [] : parsed.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    };
    expect(with_({ mirror: { percent: 60, bakeMinutes: 5 }, analysis: ANALYSIS })).toEqual(["rollout.mirror.percent: Azure mirrors at most 50% of the traffic"]);
    expect(with_({ mirror: { percent: 10, bakeMinutes: 5 } })).toEqual(['rollout.analysis: required with "mirror": e.g. {"maxErrorRatePercent": 1}']);
    expect(with_({ analysis: ANALYSIS })).toEqual(['rollout.analysis: only for strategy "canary" or "migrate", or with "mirror"']);
    expect(with_({ mirror: { percent: 10, bakeMinutes: 5 }, analysis: ANALYSIS })).toEqual([]);
  });
});
