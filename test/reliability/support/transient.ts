import { beforeAll, describe, expect, it } from "vitest";
import type { FaultInput, ScenarioInput } from "../../../src/local/simulator";
import { armCalls, recordedDeploy, sideEffects, type RecordedRun } from "./deploy";
import { reportRow } from "./report";

/**
 * Promise 1, the harness: each case injects faults into the simulator (the real SDK clients, the
 * real activities and orchestrator on the local runner, the real broker) and requires a Succeeded
 * deployment with the same side effects as a clean run, within a bounded number of extra calls and of
 * extra simulated time, both measured against a clean baseline run of the same file.
 */
export const START = new Date("2026-11-23T10:00:00.000Z");

/** Every ARM operation group the pipeline calls (the request log of a clean run). */
export const GROUPS = ["workspaces", "onlineEndpoints", "operationStatus", "roleAssignments", "modelContainers", "modelVersions", "environmentVersions", "onlineDeployments"] as const;

export const groupSelector = (group: string) => `${group}.*` as FaultInput["op"];

export interface TransientCase {
  label: string;
  faults?: FaultInput[];
  scenario?: ScenarioInput;
  /** How many requests the faults must have hit (proves the fault really fired). */
  faulted: number | ((run: RecordedRun) => number);
  maxExtraCalls: number;
  maxExtraSimulatedSeconds: number;
}

/**
 * Each case runs twice. On exact timers it must stay within its bounds of extra calls and simulated
 * time (timer lateness would move both against the baseline). With timers up to 30 s late, as on the
 * Azure Storage backend, it must still reach the same outcome with the same side effects.
 */
const EXACT_TIMERS = { timerLatenessSeconds: 0 };

export function describeTransientCases(title: string, cases: TransientCase[]): void {
  let baseline: RecordedRun;
  beforeAll(async () => {
    baseline = await recordedDeploy({ startAt: START, runner: EXACT_TIMERS }, "baseline");
    expect(baseline.notification.outcome).toBe("Succeeded");
    reportRow("transient-baseline", { calls: baseline.requests.length, armCalls: armCalls(baseline.requests).length, simulatedSeconds: baseline.simulatedSeconds });
  });

  describe(title, () => {
    it.each(cases)("$label", async (c) => {
      const scenario: ScenarioInput = { ...c.scenario, faults: [...(c.scenario?.faults ?? []), ...(c.faults ?? [])] };
      const run = await recordedDeploy({ startAt: START, scenario, runner: EXACT_TIMERS }, c.label);
      const n = run.notification;
      const extraCalls = run.requests.length - baseline.requests.length;
      const extraSeconds = run.simulatedSeconds - baseline.simulatedSeconds;
      const expectedFaulted = typeof c.faulted === "function" ? c.faulted(run) : c.faulted;
      const faulted = c.faults ? run.requests.filter((r) => r.fault).length : expectedFaulted;
      reportRow("transient", {
        label: c.label,
        outcome: n.outcome,
        faulted,
        extraCalls,
        extraArmCalls: armCalls(run.requests).length - armCalls(baseline.requests).length,
        extraSimulatedSeconds: extraSeconds,
        wallMs: run.wallMs,
      });

      expect(n, JSON.stringify(n.error)).toMatchObject({ outcome: "Succeeded", error: null, traffic: { green: 100 } });
      // The faults really fired, as many times as asked.
      expect(faulted).toBe(expectedFaulted);
      expect(faulted).toBeGreaterThan(0);
      expect(extraCalls).toBeGreaterThanOrEqual(faulted);
      expect(extraCalls).toBeLessThanOrEqual(c.maxExtraCalls);
      expect(extraSeconds).toBeLessThanOrEqual(c.maxExtraSimulatedSeconds);
      // Nothing was created twice (a role assignment re-PUT under its deterministic name is a 200, not
      // a new assignment), and exactly one notification went out.
      const { roleAssignmentPuts: _r, ...effects } = sideEffects(run.requests);
      const { roleAssignmentPuts: _b, ...clean } = sideEffects(baseline.requests);
      expect(effects).toEqual(clean);
      expect(run.state.roleAssignments).toHaveLength(baseline.state.roleAssignments.length);
      expect(run.published.map((p) => p.outcome)).toEqual(["Succeeded"]);

      const late = await recordedDeploy({ startAt: START, scenario }, `${c.label} (late timers)`);
      expect(late.notification, JSON.stringify(late.notification.error)).toMatchObject({ outcome: "Succeeded", error: null, traffic: { green: 100 } });
      const { roleAssignmentPuts: _l, ...lateEffects } = sideEffects(late.requests);
      expect(lateEffects).toEqual(clean);
      expect(late.published.map((p) => p.outcome)).toEqual(["Succeeded"]);
    });
  });
}
